import { describe, expect, it } from "vitest";
import { newStore } from "./testing/fixtures";
import { NO_POSITION, advance, receiptOf, view, type Position } from "./receipts";

describe("read positions", () => {
  it("move only forward: a read from the past changes nothing", () => {
    const p = advance(undefined, { read: 5 }, 10)!;
    expect(p).toEqual({ read: 5, delivered: 5, hidden: false });
    expect(advance(p, { read: 3 }, 10)).toBeNull();
    expect(advance(p, { read: 5 }, 10)).toBeNull();
    expect(advance(p, { read: 7 }, 10)).toEqual({ read: 7, delivered: 7, hidden: false });
  });

  it("never pass the room's last seq", () => {
    expect(advance(undefined, { read: 999 }, 10)).toEqual({ read: 10, delivered: 10, hidden: false });
    expect(advance({ read: 10, delivered: 10, hidden: false }, { read: 999, delivered: 999 }, 10)).toBeNull();
    expect(advance(undefined, { read: 3 }, 0)).toBeNull();
  });

  it("delivered moves on its own and never below read; a read implies delivered", () => {
    const d = advance(undefined, { delivered: 4 }, 10)!;
    expect(d).toEqual({ read: 0, delivered: 4, hidden: false });
    expect(advance(d, { delivered: 2 }, 10)).toBeNull();
    expect(advance(d, { read: 6 }, 10)).toEqual({ read: 6, delivered: 6, hidden: false });
    expect(advance({ read: 6, delivered: 8, hidden: true }, { read: 7 }, 10)).toEqual({ read: 7, delivered: 8, hidden: true });
  });
});

describe("privacy hides reads both ways", () => {
  const positions = new Map<string, Position>([
    ["a", { read: 5, delivered: 6, hidden: false }],
    ["b", { read: 4, delivered: 4, hidden: true }],
    ["c", { ...NO_POSITION, delivered: 2 }],
  ]);

  it("a viewer who shares sees the others' reads, but not those of one who hides them", () => {
    expect(view(positions, false)).toEqual([
      { id: "a", delivered: 6, read: 5 },
      { id: "b", delivered: 4 },
      { id: "c", delivered: 2 },
    ]);
  });

  it("a viewer who hides their reads sees no one's, only deliveries", () => {
    expect(view(positions, true)).toEqual([
      { id: "a", delivered: 6 },
      { id: "b", delivered: 4 },
      { id: "c", delivered: 2 },
    ]);
    expect(receiptOf("a", positions.get("a")!, true)).not.toHaveProperty("read");
  });
});

describe("the store's receipts", () => {
  it("keeps positions and who hides reads across reads of the table", () => {
    const { store } = newStore();
    store.setReceipt("a", { read: 3, delivered: 4, hidden: false });
    store.setReceipt("b", { read: 0, delivered: 1, hidden: true });
    expect(store.receipt("a")).toEqual({ read: 3, delivered: 4, hidden: false });
    expect([...store.receipts().keys()].sort()).toEqual(["a", "b"]);
    expect([...store.receipts(["b", "zz"]).keys()]).toEqual(["b"]);
    expect(store.hiddenReaders()).toEqual(new Set(["b"]));
    store.setReceipt("b", { read: 0, delivered: 2, hidden: false });
    expect(store.hiddenReaders().size).toBe(0);
    store.dropReceipt("a");
    expect(store.receipt("a")).toBeUndefined();
  });
});
