import { describe, expect, it } from "vitest";
import type { Message } from "../../../worker/protocol";
import { applyReaction, applySync, contiguousFrom, mergeBySeq, tombstone, updateBySeq } from "./list";

const msg = (seq: number, uid = "u1"): Message => ({ seq, cid: `c${seq}`, uid, name: uid === "u1" ? "Alice" : "Bob", text: `m${seq}`, ts: 1000 * seq });

describe("mergeBySeq", () => {
  it("appends newer messages in order", () => {
    expect(mergeBySeq([msg(1), msg(2)], [msg(3), msg(4)]).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });

  it("keeps one total order by seq and drops duplicates, whatever the arrival order", () => {
    const merged = mergeBySeq([msg(2), msg(5)], [msg(4), msg(2), msg(1), msg(5), msg(3)]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("returns the same array when nothing is new (a signal would not notify)", () => {
    const held = [msg(1), msg(2)];
    expect(mergeBySeq(held, [msg(2)])).toBe(held);
    expect(mergeBySeq(held, [])).toBe(held);
  });

  it("prepends an older page", () => {
    expect(mergeBySeq([msg(3), msg(4)], [msg(1), msg(2)]).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });
});

describe("contiguousFrom", () => {
  it("advances through held seqs without a hole", () => {
    expect(contiguousFrom(2, [msg(1), msg(2), msg(3), msg(4)])).toBe(4);
  });
  it("stops at the first hole", () => {
    expect(contiguousFrom(2, [msg(1), msg(3), msg(5)])).toBe(3);
    expect(contiguousFrom(2, [msg(4), msg(5)])).toBe(2);
  });
});

describe("reactions and deletion", () => {
  it("applyReaction adds, ignores repeats, removes and drops an emptied emoji", () => {
    let r = applyReaction(undefined, "👍", "a", true);
    r = applyReaction(r, "👍", "b", true);
    r = applyReaction(r, "👍", "b", true);
    expect(r).toEqual([{ emoji: "👍", users: ["a", "b"] }]);
    r = applyReaction(r, "👍", "a", false);
    r = applyReaction(r, "👍", "b", false);
    expect(r).toEqual([]);
  });

  it("tombstone keeps the place and the sender, drops text, files and reactions", () => {
    const t = tombstone({ ...msg(1), attachments: [{ id: "f", name: "f", type: "text/plain", size: 1, thumb: false }], reactions: [{ emoji: "👍", users: ["a"] }] });
    expect(t).toEqual({ seq: 1, cid: "c1", uid: "u1", name: "Alice", text: "", ts: 1000, deleted: true });
  });

  it("updateBySeq replaces one message, and returns the same array when it is missing or unchanged", () => {
    const held = [msg(1), msg(2)];
    expect(updateBySeq(held, 2, (m) => ({ ...m, text: "edited" })).map((m) => m.text)).toEqual(["m1", "edited"]);
    expect(updateBySeq(held, 9, (m) => ({ ...m, text: "x" }))).toBe(held);
    expect(updateBySeq(held, 1, (m) => m)).toBe(held);
  });

  it("applySync replaces reactions in its range, tombstones its deletions, and leaves the rest alone", () => {
    const held = [{ ...msg(1), reactions: [{ emoji: "👍", users: ["u2"] }] }, msg(2), msg(3), { ...msg(4), reactions: [{ emoji: "🎉", users: ["u2"] }] }];
    const next = applySync(held, { from: 1, to: 3, reactions: [{ seq: 2, reactions: [{ emoji: "🎉", users: ["u1"] }] }], deleted: [3] });
    expect(next.map((m) => [m.seq, m.reactions, m.deleted])).toEqual([
      [1, undefined, undefined],
      [2, [{ emoji: "🎉", users: ["u1"] }], undefined],
      [3, undefined, true],
      [4, [{ emoji: "🎉", users: ["u2"] }], undefined],
    ]);
    expect(applySync(next, { from: 1, to: 3, reactions: [{ seq: 2, reactions: [{ emoji: "🎉", users: ["u1"] }] }], deleted: [3] })).toBe(next);
  });
});
