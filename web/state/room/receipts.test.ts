import { describe, expect, it } from "vitest";
import { Receipts, merged } from "./receipts";

describe("the room's receipts", () => {
  it("takes the welcome's positions, then frames, never going back", () => {
    const r = new Receipts();
    r.welcome([{ id: "b", delivered: 4, read: 3 }]);
    r.change([{ id: "b", delivered: 2, read: 1 }, { id: "c", delivered: 1 }]);
    expect(r.positions.value.get("b")).toEqual({ id: "b", delivered: 4, read: 3 });
    expect(r.positions.value.get("c")).toEqual({ id: "c", delivered: 1 });
    r.change([{ id: "b", delivered: 6, read: 6 }]);
    expect(r.positions.value.get("b")).toEqual({ id: "b", delivered: 6, read: 6 });
  });

  it("drops a read position the room no longer shows (privacy), and a welcome replaces the picture", () => {
    expect(merged({ id: "b", delivered: 5, read: 5 }, { id: "b", delivered: 5 })).toEqual({ id: "b", delivered: 5 });
    const r = new Receipts();
    r.change([{ id: "b", delivered: 2, read: 2 }, { id: "c", delivered: 1 }]);
    r.welcome([{ id: "b", delivered: 3 }]);
    expect([...r.positions.value.values()]).toEqual([{ id: "b", delivered: 3 }]);
  });
});
