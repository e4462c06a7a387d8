import { describe, expect, it } from "vitest";
import type { Message } from "../../worker/protocol";
import { applyReaction, buildRows, humanSize, contiguousFrom, initials, mergeBySeq, previewLine, shortWhen, typingLine, type Pending } from "./messages";

const T0 = new Date(2026, 10, 21, 9, 0).getTime();
const msg = (seq: number, uid = "u1", ts = T0 + seq * 1000): Message => ({
  seq,
  cid: `c${seq}`,
  uid,
  name: uid === "u1" ? "Alice" : "Bob",
  text: `m${seq}`,
  ts,
});

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

describe("buildRows", () => {
  const me = { id: "u1", name: "Alice" };

  it("adds a day separator per calendar day and groups runs by sender", () => {
    const nextDay = T0 + 24 * 3600_000;
    const rows = buildRows([msg(1), msg(2), msg(3, "u2"), msg(4, "u1", nextDay)], [], me, nextDay);
    expect(rows.map((r) => (r.kind === "day" ? `day:${r.label}` : `${r.seq}${r.head ? "*" : ""}`))).toEqual([
      "day:Yesterday",
      "1*",
      "2",
      "3*",
      "day:Today",
      "4*",
    ]);
  });

  it("starts a new group after a long pause", () => {
    const rows = buildRows([msg(1), msg(2, "u1", T0 + 11 * 60_000)], [], me, T0);
    expect(rows.filter((r) => r.kind === "msg" && r.head)).toHaveLength(2);
  });

  it("shows pending messages after confirmed ones, keyed like their confirmed selves", () => {
    const p: Pending = { cid: "c9", text: "hi", createdAt: T0 + 9000, status: "sending" };
    const pendingRows = buildRows([msg(1, "u2")], [p], me, T0);
    const last = pendingRows[pendingRows.length - 1];
    expect(last).toMatchObject({ kind: "msg", status: "sending", mine: true, seq: null });
    const confirmed = buildRows([msg(1, "u2"), { ...msg(2), cid: "c9" }], [], me, T0);
    expect(confirmed[confirmed.length - 1]?.key).toBe(last?.key);
  });
});

describe("small formatters", () => {
  it("typingLine", () => {
    expect(typingLine([])).toBe("");
    expect(typingLine(["Alice"])).toBe("Alice is typing…");
    expect(typingLine(["Alice", "Bob"])).toBe("Alice and Bob are typing…");
    expect(typingLine(["A", "B", "C"])).toBe("A, B and C are typing…");
    expect(typingLine(["A", "B", "C", "D"])).toBe("Several people are typing…");
  });
  it("initials", () => {
    expect(initials("alice")).toBe("A");
    expect(initials("Alice van der Berg")).toBe("AB");
    expect(initials("  ")).toBe("?");
    expect(initials("Émile Zola")).toBe("ÉZ");
  });
});

describe("sidebar formatting", () => {
  it("previews the last message: You, the text alone in a DM, Name in a group, on one line", () => {
    const last = { seq: 3, ts: 0, uid: "u2", name: "Bob", text: "hi\n  there" };
    expect(previewLine(last, "group", "u1")).toBe("Bob: hi there");
    expect(previewLine(last, "dm", "u1")).toBe("hi there");
    expect(previewLine(last, "group", "u2")).toBe("You: hi there");
    expect(previewLine(null, "group", "u1")).toBe("");
  });

  it("previews files and deleted messages instead of an empty line", () => {
    const base = { seq: 3, ts: 0, uid: "u2", name: "Bob" };
    expect(previewLine({ ...base, text: "", files: 1 }, "group", "u1")).toBe("Bob: 📎 File");
    expect(previewLine({ ...base, text: "look", files: 2 }, "dm", "u1")).toBe("📎 2 files · look");
    expect(previewLine({ ...base, text: "", deleted: true }, "group", "u2")).toBe("You: Message deleted");
  });

  it("shows a time today, Yesterday, a weekday this week, else a date", () => {
    const now = new Date(2026, 10, 21, 15, 0).getTime();
    expect(shortWhen(new Date(2026, 10, 21, 9, 5).getTime(), now)).toBe("09:05");
    expect(shortWhen(new Date(2026, 10, 20, 23, 59).getTime(), now)).toBe("Yesterday");
    expect(shortWhen(new Date(2026, 10, 17, 12).getTime(), now)).toBe(new Date(2026, 10, 17).toLocaleDateString(undefined, { weekday: "short" }));
    expect(shortWhen(new Date(2026, 9, 1).getTime(), now)).toBe(new Date(2026, 9, 1).toLocaleDateString(undefined, { day: "numeric", month: "short" }));
  });
});

describe("media helpers", () => {
  it("applyReaction adds, ignores repeats, removes and drops an emptied emoji", () => {
    let r = applyReaction(undefined, "👍", "a", true);
    r = applyReaction(r, "👍", "b", true);
    r = applyReaction(r, "👍", "b", true);
    expect(r).toEqual([{ emoji: "👍", users: ["a", "b"] }]);
    r = applyReaction(r, "👍", "a", false);
    r = applyReaction(r, "👍", "b", false);
    expect(r).toEqual([]);
  });
  it("humanSize reads like a file manager", () => {
    expect(humanSize(585)).toBe("585 B");
    expect(humanSize(1536)).toBe("1.5 KB");
    expect(humanSize(100 * 1024 * 1024)).toBe("100 MB");
  });
});
