import { describe, expect, it } from "vitest";
import { Strikes, TokenBuckets } from "./rate-limit";

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
