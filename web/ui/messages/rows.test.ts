import { describe, expect, it } from "vitest";
import type { Message } from "../../../worker/protocol";
import type { Pending } from "../../state/room";
import { buildRows } from "./rows";

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
