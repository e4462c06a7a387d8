import { describe, expect, it } from "vitest";
import type { Message } from "../../../worker/protocol";
import type { Pending } from "../../state/room";
import { SEEN_BY_ROWS, buildRows, seenOf, tickOf, withReceipts, type MsgRow, type Row } from "./rows";

const T0 = new Date(2026, 10, 21, 9, 0).getTime();
const msg = (seq: number, uid = "u1", ts = T0 + seq * 1000): Message => ({
  seq,
  cid: `c${seq}`,
  uid,
  name: uid === "u1" ? "Alice" : "Bob",
  text: `m${seq}`,
  ts,
});

describe("buildRows", () => {
  const me = { id: "u1", name: "Alice" };

  it("draws \"New messages\" above the first message from others after the read position, once, starting a group", () => {
    const show = (rows: ReturnType<typeof buildRows>) => rows.filter((r) => r.kind !== "day").map((r) => (r.kind === "unread" ? "new" : `${r.seq}${r.head ? "*" : ""}`));
    const list = [msg(1, "u2"), msg(2, "u2"), msg(3, "u1"), msg(4, "u2"), msg(5, "u2")];
    // Read up to 2; 3 is mine (read by sending it): the line goes above 4, which heads a group.
    expect(show(buildRows(list, [], me, T0, 2))).toEqual(["1*", "2", "3*", "new", "4*", "5"]);
    expect(show(buildRows([msg(1, "u2"), msg(2, "u2")], [], me, T0, 1))).toEqual(["1*", "new", "2*"]);
    // Nothing unread, or nothing after the position: no line.
    expect(show(buildRows(list, [], me, T0, null))).toEqual(["1*", "2", "3*", "4*", "5"]);
    expect(show(buildRows(list, [], me, T0, 5))).toEqual(["1*", "2", "3*", "4*", "5"]);
  });

  it("adds a day separator per calendar day and groups runs by sender", () => {
    const nextDay = T0 + 24 * 3600_000;
    const rows = buildRows([msg(1), msg(2), msg(3, "u2"), msg(4, "u1", nextDay)], [], me, nextDay);
    expect(rows.map((r) => (r.kind === "day" ? `day:${r.label}` : r.kind === "unread" ? "new" : `${r.seq}${r.head ? "*" : ""}`))).toEqual([
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

  it("a call entry stands alone: it neither joins a group nor continues one", () => {
    const call = { id: "c", media: "audio" as const, outcome: "completed" as const, durationMs: 1000 };
    const rows = buildRows([msg(1), { ...msg(2), call }, msg(3)], [], me, T0);
    expect(rows.filter((r) => r.kind === "msg").map((r) => r.kind === "msg" && r.head)).toEqual([true, true, true]);
  });
});

describe("read receipts on the rows", () => {
  const me = { id: "u1", name: "Alice" };
  const msgs = (rows: Row[]) => rows.filter((r): r is MsgRow => r.kind === "msg");
  const positions = (...list: { id: string; delivered: number; read?: number }[]) => new Map(list.map((r) => [r.id, r]));

  it("ticks our confirmed DM messages: ✓ sent, ✓✓ delivered, ✓✓ read; theirs and pending ones get none", () => {
    const list = [msg(1), msg(2), msg(3), msg(4, "u2"), msg(5)];
    const pending = [{ cid: "p1", text: "later", createdAt: T0 + 9000, status: "sending" } as Pending];
    const rows = msgs(withReceipts(buildRows(list, pending, me, T0), positions({ id: "u2", delivered: 3, read: 1 }), "u1", true));
    expect(rows.map((r) => r.tick ?? "-")).toEqual(["read", "delivered", "delivered", "-", "sent", "-"]);
    // Nothing known about them yet: sent.
    expect(msgs(withReceipts(buildRows(list, [], me, T0), new Map(), "u1", true))[0]?.tick).toBe("sent");
    // Their read hidden (privacy): delivered at most.
    expect(tickOf(1, { id: "u2", delivered: 5 })).toBe("delivered");
  });

  it("puts each other member under the newest message they have read, not their own, and none in a DM", () => {
    const list = [msg(1), msg(2, "u2"), msg(3), msg(4, "u3")];
    const p = positions({ id: "u2", delivered: 4, read: 3 }, { id: "u3", delivered: 4, read: 4 }, { id: "u4", delivered: 4, read: 3 }, { id: "u1", delivered: 4, read: 4 });
    const rows = msgs(withReceipts(buildRows(list, [], me, T0), p, "u1", false));
    // u3 read up to its own message 4: shown under 3, the newest it read that is not its own.
    expect(rows.map((r) => r.seenBy ?? "")).toEqual(["", "", "u2,u3,u4", ""]);
    expect(msgs(withReceipts(buildRows(list, [], me, T0), p, "u1", true)).every((r) => r.seenBy === undefined)).toBe(true);
    // A member whose read is hidden is drawn nowhere.
    expect(msgs(withReceipts(buildRows(list, [], me, T0), positions({ id: "u2", delivered: 4 }), "u1", false)).every((r) => !r.seenBy)).toBe(true);
  });

  it("draws \"Seen by\" only near the bottom, and keeps rows without a mark as they were", () => {
    const list = Array.from({ length: SEEN_BY_ROWS + 10 }, (_, i) => msg(i + 1));
    const built = buildRows(list, [], me, T0);
    const rows = withReceipts(built, positions({ id: "u2", delivered: 40, read: 2 }, { id: "u3", delivered: 40, read: 39 }), "u1", false);
    expect(msgs(rows).filter((r) => r.seenBy).map((r) => [r.seq, r.seenBy])).toEqual([[39, "u3"]]);
    expect(rows.filter((r, i) => r !== built[i])).toHaveLength(1);
  });

  it("lists who has seen a message: read at or past it, but its author and us", () => {
    const p = positions({ id: "u1", delivered: 9, read: 9 }, { id: "u2", delivered: 9, read: 5 }, { id: "u3", delivered: 9, read: 4 }, { id: "u4", delivered: 9 });
    expect(seenOf(5, "u5", p, "u1")).toEqual(["u2"]);
    expect(seenOf(4, "u5", p, "u1")).toEqual(["u2", "u3"]);
    expect(seenOf(4, "u2", p, "u1")).toEqual(["u3"]);
  });
});
