import { describe, expect, it } from "vitest";
import type { Message } from "../protocol";
import { Fanout } from "./fanout";

function harness() {
  let now = 1000;
  const sent: number[][] = [];
  const timers: Array<{ at: number; fn: () => void }> = [];
  const fanout = new Fanout({ deliver: (list) => sent.push(list.map((m) => m.seq)), later: (fn, ms) => timers.push({ at: now + ms, fn }), now: () => now }, 10);
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.splice(0).sort((a, b) => a.at - b.at)) (t.at <= now ? t.fn() : timers.push(t));
  };
  const m = (seq: number) => ({ seq }) as Message;
  return { fanout, sent, timers, advance, m };
}

describe("fan-out", () => {
  it("sends a message of a quiet room at once, one per frame", () => {
    const h = harness();
    h.fanout.publish(h.m(1));
    h.advance(50);
    h.fanout.publish(h.m(2));
    expect(h.sent).toEqual([[1], [2]]);
    expect(h.timers).toEqual([]);
  });

  it("batches what arrives within the window into one frame, in order, without delaying past it", () => {
    const h = harness();
    h.fanout.publish(h.m(1));
    h.advance(2);
    h.fanout.publish(h.m(2));
    h.fanout.publish(h.m(3));
    expect(h.sent).toEqual([[1]]);
    expect(h.timers).toHaveLength(1);
    h.advance(8);
    expect(h.sent).toEqual([[1], [2, 3]]);
  });

  it("drops what waits when the room is deleted", () => {
    const h = harness();
    h.fanout.publish(h.m(1));
    h.fanout.publish(h.m(2));
    h.fanout.drop();
    h.advance(20);
    expect(h.sent).toEqual([[1]]);
  });
});
