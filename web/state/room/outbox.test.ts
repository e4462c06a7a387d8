/**
 * The outbox on its own, with a scripted transmit and fake timers: pending until acked,
 * re-sent with the same cids after every welcome, paced by the room's advertised budget,
 * held (never failed) when the room says `rate_limited` with `retryMs`, persisted per user.
 */
import { effect } from "@preact/signals";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClientFrame } from "../../../worker/protocol";
import { stubBrowser } from "../fakes";
import { DEFAULT_BUDGET, MAX_PENDING, Outbox, PACE, TokenBucket, paceFor, type Budget } from "./outbox";

type Send = Extract<ClientFrame, { type: "send" }>;

const ROOM = "AAAAAAAAAAAAAAAAAAAAAA";
let sent: Send[];
let connected: boolean;
let outbox: Outbox;
const texts = () => sent.map((f) => f.text);
const transmit = (f: ClientFrame) => {
  if (!connected) return false;
  sent.push(f as Send);
  return true;
};

beforeEach(() => {
  stubBrowser();
  sent = [];
  connected = true;
  outbox = new Outbox("u-alice", ROOM, transmit);
});

afterEach(() => {
  outbox.dispose();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("outbox", () => {
  it("keeps a message pending until its ack, and sends nothing before the first welcome", () => {
    expect(outbox.add("hello")).toBe(true);
    expect(sent).toEqual([]);
    outbox.start();
    const cid = outbox.pending.value[0]!.cid;
    expect(sent).toEqual([{ type: "send", cid, text: "hello" }]);
    expect(outbox.ack(cid)).toMatchObject({ cid, text: "hello" });
    expect(outbox.pending.value).toEqual([]);
    expect(outbox.ack(cid)).toBeUndefined(); // a re-ack changes nothing
  });

  it("re-sends every message still sending after each welcome, in order, with the same cids", () => {
    outbox.start();
    outbox.stop(); // the socket closed
    connected = false;
    outbox.add("one");
    outbox.add("two");
    expect(sent).toEqual([]);
    connected = true;
    outbox.start();
    const cids = outbox.pending.value.map((p) => p.cid);
    expect(sent.map((f) => f.cid)).toEqual(cids);
    outbox.stop();
    outbox.start(); // again after the next welcome: the room dedupes by cid
    expect(sent.map((f) => f.cid)).toEqual([...cids, ...cids]);
  });

  it("sends attachment ids and keeps the attachments on the pending message", () => {
    const file = { id: "att-1", name: "a.png", type: "image/png", size: 10, thumb: false };
    outbox.start();
    outbox.add("", [file]);
    expect(sent[0]).toMatchObject({ text: "", attachments: ["att-1"] });
    expect(outbox.pending.value[0]!.attachments).toEqual([file]);
  });

  it("a socket gone under it stops it; the next welcome sends what is left", () => {
    outbox.start();
    connected = false;
    outbox.add("lost");
    connected = true;
    outbox.add("queued");
    expect(sent).toEqual([]); // stopped by the failed send: nothing goes out on a dead socket
    outbox.start();
    expect(texts()).toEqual(["lost", "queued"]);
  });

  it("paces a long outbox in order at the default budget when the welcome advertises none", () => {
    for (let i = 0; i < 30; i++) outbox.add(`q${i}`);
    outbox.start();
    expect(sent).toHaveLength(DEFAULT_BUDGET.burst);
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBeLessThanOrEqual(DEFAULT_BUDGET.burst + DEFAULT_BUDGET.perSec + 1);
    vi.advanceTimersByTime(5000);
    expect(texts()).toEqual(Array.from({ length: 30 }, (_, i) => `q${i}`));
  });

  it("paces at the room's advertised budget: its burst at once, then 90% of its rate", () => {
    for (let i = 0; i < 40; i++) outbox.add(`q${i}`);
    outbox.start({ perSec: 20, burst: 5 });
    expect(sent).toHaveLength(5);
    // Timers wait whole milliseconds (rounded up): at most one token behind the exact rate.
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBeGreaterThanOrEqual(5 + 20 * PACE - 1);
    expect(sent.length).toBeLessThanOrEqual(5 + 20 * PACE);
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBeGreaterThanOrEqual(5 + 2 * 20 * PACE - 1);
    expect(sent.length).toBeLessThanOrEqual(5 + 2 * 20 * PACE);
  });

  it("a refused message waits retryMs, goes again first, and is never shown as failed", () => {
    const failed = watchFailures();
    for (let i = 0; i < 3; i++) outbox.add(`m${i}`);
    outbox.start({ perSec: 10, burst: 20 });
    const [a, b, c] = outbox.pending.value.map((p) => p.cid);
    expect(texts()).toEqual(["m0", "m1", "m2"]);
    outbox.ack(a!);
    // The room's bucket was empty for m1 and m2 (another tab of ours spent it).
    expect(outbox.early(b!, 300)).toBe(true);
    expect(outbox.early(c!, 300)).toBe(true);
    outbox.add("m3");
    vi.advanceTimersByTime(299);
    expect(texts()).toEqual(["m0", "m1", "m2"]); // held, the new one too
    expect(outbox.pending.value.map((p) => p.status)).toEqual(["sending", "sending", "sending"]);
    vi.advanceTimersByTime(1);
    expect(texts().slice(3, 4)).toEqual(["m1"]); // our bucket was spent too: paced from here
    vi.advanceTimersByTime(1000);
    expect(texts().slice(3)).toEqual(["m1", "m2", "m3"]);
    for (const p of outbox.pending.value) outbox.ack(p.cid);
    expect(outbox.pending.value).toEqual([]);
    expect(failed()).toEqual([]);
  });

  it("a burst beyond the room's budget is rate_limited, re-sent after retryMs and acked in order, never failed", () => {
    const budget: Budget = { perSec: 10, burst: 20 };
    // The room: its bucket for us starts empty (a reconnect storm; another tab); it answers
    // 20 ms after each frame, with an ack or rate_limited + retryMs, like worker/room/rate-limit.ts.
    const room = new TokenBucket(budget);
    room.empty();
    const accepted: string[] = [];
    let refusals = 0;
    const roomTransmit = (f: ClientFrame) => {
      const s = f as Send;
      setTimeout(() => {
        if (room.take()) {
          accepted.push(s.text);
          outbox.ack(s.cid);
        } else {
          refusals++;
          outbox.early(s.cid, room.wait());
        }
      }, 20);
      return true;
    };
    outbox.dispose();
    outbox = new Outbox("u-alice", ROOM, roomTransmit);
    const failed = watchFailures();
    for (let i = 0; i < 25; i++) outbox.add(`b${i}`);
    outbox.start(budget);
    vi.advanceTimersByTime(10_000);
    expect(refusals).toBeGreaterThan(0);
    expect(accepted).toEqual(Array.from({ length: 25 }, (_, i) => `b${i}`));
    expect(outbox.pending.value).toEqual([]);
    expect(failed()).toEqual([]);
  });

  it("an early answer without retryMs (an older room) waits one token's time at our pace", () => {
    outbox.add("x");
    outbox.start();
    const cid = outbox.pending.value[0]!.cid;
    outbox.early(cid);
    vi.advanceTimersByTime(Math.ceil(1000 / DEFAULT_BUDGET.perSec) - 1);
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(2);
  });

  it("any other refusal marks the message failed; retry re-sends the same cid; discard drops it", () => {
    outbox.start();
    outbox.add("bad");
    outbox.add("worse");
    const [a, b] = outbox.pending.value.map((p) => p.cid);
    expect(outbox.fail(a!, "Too long to send.")).toBe(true);
    expect(outbox.fail("not-ours", "?")).toBe(false);
    expect(outbox.pending.value[0]).toMatchObject({ status: "failed", error: "Too long to send." });
    outbox.stop();
    outbox.start(); // a failed message is not re-sent by a welcome
    expect(sent.filter((f) => f.cid === a)).toHaveLength(1);
    outbox.retry(a!);
    expect(outbox.pending.value[0]).toMatchObject({ status: "sending", error: undefined });
    expect(sent.filter((f) => f.cid === a)).toHaveLength(2);
    outbox.discard(b!);
    expect(outbox.pending.value.map((p) => p.text)).toEqual(["bad"]);
  });

  it("settles messages that arrived as confirmed ones (a replay after a lost ack, another tab)", () => {
    outbox.add("a");
    outbox.add("b");
    const [a] = outbox.pending.value.map((p) => p.cid);
    outbox.settle(new Set([a!, "someone-else's"]));
    expect(outbox.pending.value.map((p) => p.text)).toEqual(["b"]);
  });

  it("refuses a message past MAX_PENDING", () => {
    for (let i = 0; i < MAX_PENDING; i++) expect(outbox.add(`m${i}`)).toBe(true);
    expect(outbox.add("one too many")).toBe(false);
    expect(outbox.pending.value).toHaveLength(MAX_PENDING);
  });

  it("outlives the page, per user: a shared browser never sends one person's messages as another", () => {
    outbox.add("from alice");
    outbox.dispose();
    const bobs = new Outbox("u-bob", ROOM, transmit);
    expect(bobs.pending.value).toEqual([]);
    bobs.dispose();
    outbox = new Outbox("u-alice", ROOM, transmit);
    expect(outbox.pending.value.map((p) => p.text)).toEqual(["from alice"]);
  });
});

describe("pacing", () => {
  it("paceFor: 90% of an advertised rate with its burst; the default when absent or nonsense", () => {
    expect(paceFor({ perSec: 10, burst: 20 })).toEqual({ perSec: 9, burst: 20 });
    expect(paceFor(undefined)).toEqual(DEFAULT_BUDGET);
    expect(paceFor({ perSec: 0, burst: 20 })).toEqual(DEFAULT_BUDGET);
    expect(paceFor({ perSec: 10, burst: 0 })).toEqual(DEFAULT_BUDGET);
  });

  it("TokenBucket: a full burst, then one token per 1/rate; empty() spends it all; resize keeps what is left", () => {
    const b = new TokenBucket({ perSec: 4, burst: 2 }, 0);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([true, true, false]);
    expect(b.wait(0)).toBe(250);
    expect(b.take(250)).toBe(true);
    b.empty(1000);
    expect(b.wait(1000)).toBe(250);
    b.resize({ perSec: 1, burst: 5 }, 1000);
    expect(b.wait(1000)).toBe(1000);
    expect(b.take(6000)).toBe(true); // refilled to the new burst of 5
    expect([b.take(6000), b.take(6000), b.take(6000), b.take(6000), b.take(6000)]).toEqual([true, true, true, true, false]);
  });
});

/** Every status the outbox ever showed as failed, by text. */
function watchFailures(): () => string[] {
  const failed: string[] = [];
  effect(() => {
    for (const p of outbox.pending.value) if (p.status === "failed") failed.push(p.text);
  });
  return () => failed;
}
