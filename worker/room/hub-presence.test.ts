import { describe, expect, it } from "vitest";
import { presenceList, presencePlan, slices, statusOf } from "./hub-presence";

describe("hub presence", () => {
  it("is online while one tab is in use, away when every tab is away, offline with none", () => {
    expect(statusOf([])).toBe("offline");
    expect(statusOf([{ away: true }, {}])).toBe("online");
    expect(statusOf([{ away: true }, { away: true }])).toBe("away");
    expect(statusOf([{ away: false }])).toBe("online");
  });

  it("tells only live hubs, and knows the others as offline with their last seen", () => {
    const rows = [
      { id: "a", live: true, lastSeen: 0 },
      { id: "b", live: false, lastSeen: 42 },
      { id: "c", live: true, lastSeen: 7 },
    ];
    expect(presencePlan(rows)).toEqual({ tell: ["a", "c"], offline: [{ id: "b", status: "offline", lastSeen: 42 }] });
    // A live hub that did not answer (failed, or its app just closed) counts as offline.
    const answers = new Map([["a", { id: "a", status: "away" as const, lastSeen: 0 }]]);
    expect(presenceList(rows, answers)).toEqual([
      { id: "a", status: "away", lastSeen: 0 },
      { id: "b", status: "offline", lastSeen: 42 },
      { id: "c", status: "offline", lastSeen: 7 },
    ]);
  });

  it("calls hubs in slices", () => {
    expect(slices([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(slices([], 50)).toEqual([]);
    expect(slices(Array.from({ length: 500 }, (_, i) => i), 50)).toHaveLength(10);
  });
});
