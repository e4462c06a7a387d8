import { describe, expect, it } from "vitest";
import {
  COOLDOWN_BASE_MS,
  COOLDOWN_MAX_MS,
  COOLDOWN_MEMORY_MS,
  MessageBudget,
  NEWCOMER_MS,
  Strikes,
  TokenBuckets,
  coolDown,
  isNewcomer,
  newcomerBurst,
} from "./rate-limit";

describe("token buckets", () => {
  it("allow a burst, then the rate, and say how long until the next token", () => {
    const b = new TokenBuckets(10, 3);
    expect([b.take("a", 0), b.take("a", 0), b.take("a", 0), b.take("a", 0)]).toEqual([true, true, true, false]);
    expect(b.wait("a", 0)).toBe(100);
    expect(b.wait("a", 60)).toBe(40);
    expect(b.take("a", 100)).toBe(true);
    expect(b.wait("b", 0)).toBe(0);
    expect(b.take("b", 0)).toBe(true);
  });
});

describe("token buckets: a smaller start, and a reserve left for others", () => {
  it("a new key starts with `start` tokens, then refills up to the full burst", () => {
    const b = new TokenBuckets(10, 20);
    for (let i = 0; i < 3; i++) expect(b.take("a", 0, { start: 3 })).toBe(true);
    expect(b.take("a", 0, { start: 3 })).toBe(false);
    expect(b.wait("a", 10_000, { start: 3 })).toBe(0);
    for (let i = 0; i < 20; i++) expect(b.take("a", 10_000)).toBe(true);
    expect(b.take("a", 10_000)).toBe(false);
  });

  it("a drawer that must keep `keep` tokens stops there; others may go on", () => {
    const b = new TokenBuckets(10, 4);
    expect([b.take("r", 0, { keep: 2 }), b.take("r", 0, { keep: 2 }), b.take("r", 0, { keep: 2 })]).toEqual([true, true, false]);
    expect(b.wait("r", 0, { keep: 2 })).toBe(100);
    expect([b.take("r", 0), b.take("r", 0), b.take("r", 0)]).toEqual([true, true, false]);
    expect(b.wait("r", 0, { keep: 2 })).toBe(300);
  });
});

describe("the message budget: the sender's and the room's", () => {
  const sender = { perSec: 10, burst: 20 };
  const NEWCOMER_BURST = newcomerBurst(sender.burst);
  const room = { perSec: 50, burst: 100 };

  it("a member posts up to their burst at once", () => {
    const b = new MessageBudget(sender, room);
    for (let i = 0; i < 20; i++) expect(b.take("m", false, 0)).toBeNull();
    expect(b.take("m", false, 0)).toEqual({ retryMs: 100, room: false });
  });

  it("a newcomer starts with a smaller burst of their own (a quarter: 5 of 20, 250 of 1000)", () => {
    expect([NEWCOMER_BURST, newcomerBurst(1000), newcomerBurst(2)]).toEqual([5, 250, 1]);
    const b = new MessageBudget(sender, room);
    for (let i = 0; i < NEWCOMER_BURST; i++) expect(b.take("n", true, 0)).toBeNull();
    expect(b.take("n", true, 0)).toEqual({ retryMs: 100, room: false });
  });

  it("a crowd of newcomers gets no more than the room's budget above its reserve; members still post, and first", () => {
    const b = new MessageBudget(sender, room);
    let taken = 0;
    for (let i = 0; i < 100; i++) for (let k = 0; k < NEWCOMER_BURST; k++) if (!b.take(`n${i}`, true, 0)) taken++;
    expect(taken).toBe(50);
    expect(b.take("n-late", true, 0)).toEqual({ retryMs: 20, room: true });
    for (let i = 0; i < 20; i++) expect(b.take("m1", false, 0)).toBeNull();
    // Once members dip into the reserve, newcomers wait for it to fill back up.
    expect(b.take("n-late", true, 0)).toEqual({ retryMs: 420, room: true });
    expect(b.take("n-late", true, 420)).toBeNull();
  });

  it("the room's own messages draw on the room's budget, and are refused when it is spent", () => {
    const b = new MessageBudget(sender, { perSec: 1, burst: 2 });
    expect([b.takeRoom(0), b.takeRoom(0), b.takeRoom(0)]).toEqual([true, true, false]);
    expect(b.take("m", false, 0)).toEqual({ retryMs: 1000, room: true });
    expect(b.takeRoom(1000)).toBe(true);
  });

  it("a newcomer is a member for less than NEWCOMER_MS (a socket without the date is not)", () => {
    expect(isNewcomer(0, NEWCOMER_MS - 1)).toBe(true);
    expect(isNewcomer(0, NEWCOMER_MS)).toBe(false);
    expect(isNewcomer(undefined, 0)).toBe(false);
  });
});

describe("cool-down after an abuse close", () => {
  it("starts short, doubles with each close soon after the last, caps, and is forgotten after a quiet hour", () => {
    const first = coolDown(undefined, 0);
    expect(first).toEqual({ closes: 1, until: COOLDOWN_BASE_MS });
    const second = coolDown(first, first.until + 1);
    expect(second).toEqual({ closes: 2, until: first.until + 1 + 2 * COOLDOWN_BASE_MS });
    let c = second;
    for (let i = 0; i < 20; i++) c = coolDown(c, c.until);
    const capped = coolDown(c, c.until);
    expect(capped.until - c.until).toBe(COOLDOWN_MAX_MS);
    expect(coolDown(capped, capped.until + COOLDOWN_MEMORY_MS)).toEqual({ closes: 1, until: capped.until + COOLDOWN_MEMORY_MS + COOLDOWN_BASE_MS });
  });
});

describe("strikes", () => {
  it("reach the limit only within the window, and are forgotten on request", () => {
    const s = new Strikes(3, 1000);
    expect([s.add("c", 0), s.add("c", 10)]).toEqual([false, false]);
    expect(s.add("c", 2000)).toBe(false); // the window passed: counting starts over
    expect([s.add("c", 2001), s.add("c", 2002)]).toEqual([false, true]);
    s.forget("c");
    expect(s.add("c", 2003)).toBe(false);
  });
});
