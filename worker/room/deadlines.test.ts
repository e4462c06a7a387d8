import { describe, expect, it } from "vitest";
import { flushAt, nextAlarm, type AlarmInputs } from "./deadlines";

const cfg = { flushDelayMs: 1000, ghostAfterMs: 60_000 };
const idle: AlarmInputs = { now: 100, flush: { pending: false }, retryAt: null, announceAt: null, sockets: false, call: null };

describe("the next alarm", () => {
  it("is none when nothing waits", () => {
    expect(nextAlarm(idle, cfg)).toBeNull();
  });

  it("comes a flush delay after new work, at once when the last run stopped at its limit", () => {
    expect(nextAlarm({ ...idle, flush: { pending: true, since: 100 } }, cfg)).toBe(1100);
    expect(nextAlarm({ ...idle, flush: { pending: true, since: 100, more: true } }, cfg)).toBe(100);
  });

  it("never brings a flush before the retry time while D1 is failing, whatever new work arrives", () => {
    const failing = { ...idle, retryAt: 120_000 };
    for (const since of [100, 5000, 110_000]) expect(flushAt({ ...failing, now: since, flush: { pending: true, since } }, 1000)).toBe(120_000);
    expect(nextAlarm({ ...failing, flush: { pending: true, since: 100, more: true } }, cfg)).toBe(120_000);
    // Past the retry time, the normal delay again.
    expect(flushAt({ now: 130_000, flush: { pending: true, since: 130_000 }, retryAt: 120_000 }, 1000)).toBe(131_000);
  });

  it("is the earliest of the flush, a deferred announcement, the ghost sweep and the call", () => {
    const all: AlarmInputs = { now: 100, flush: { pending: true, since: 100 }, retryAt: null, announceAt: 3000, sockets: true, call: 800 };
    expect(nextAlarm(all, cfg)).toBe(800);
    expect(nextAlarm({ ...all, call: null }, cfg)).toBe(1100);
    expect(nextAlarm({ ...all, call: null, flush: { pending: false } }, cfg)).toBe(3000);
    expect(nextAlarm({ ...idle, sockets: true }, cfg)).toBe(60_100);
  });
});
