import { describe, expect, it } from "vitest";
import type { Message } from "../protocol";
import { Fanout } from "./fanout";

/** A fake timer queue: `advance` runs due timers in order; `tick` lets time pass without running any. */
function harness() {
  let now = 0;
  const sent: number[][] = [];
  const presence: { joined: string[]; left: string[] }[] = [];
  const delays: number[] = [];
  const receipts: string[][] = [];
  const timers: Array<{ at: number; fn: () => void }> = [];
  const fanout = new Fanout(
    {
      deliver: (list) => sent.push(list.map((m) => m.seq)),
      deliverPresence: (d) => presence.push({ joined: d.joined.map((p) => p.id), left: d.left }),
      deliverReceipts: (uids) => receipts.push([...uids]),
      later: (fn, ms) => (delays.push(ms), timers.push({ at: now + ms, fn })),
    },
    10,
  );
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const t = timers[0];
      if (!t || t.at > until) break;
      timers.shift();
      now = t.at;
      t.fn();
    }
    now = until;
  };
  const m = (seq: number) => ({ seq }) as Message;
  const tick = (ms: number) => (now += ms); // time passes, but no timer runs (a runtime busy with events)
  return { fanout, sent, presence, receipts, delays, timers, advance, tick, m };
}

describe("adaptive fan-out", () => {
  it("sends each message of a room that keeps up at once, in a frame of its own", () => {
    const h = harness();
    for (let seq = 1; seq <= 5; seq++) {
      h.fanout.publish(h.m(seq));
      h.advance(10);
    }
    expect(h.sent).toEqual([[1], [2], [3], [4], [5]]);
    expect(h.delays.every((d) => d === 0)).toBe(true);
  });

  it("batches what arrives behind a fan-out, in order, exactly once, and widens the window while it keeps coming", () => {
    const h = harness();
    h.fanout.publish(h.m(1)); // goes at once
    h.fanout.publish(h.m(2)); // arrived behind it
    h.fanout.publish(h.m(3));
    expect(h.sent).toEqual([[1]]);
    h.advance(0);
    expect(h.sent).toEqual([[1], [2, 3]]);
    // Under bursts (three messages a millisecond) the check's delay doubles up to the cap.
    let seq = 4;
    for (let ms = 0; ms < 60; ms++) {
      for (let k = 0; k < 3; k++) h.fanout.publish(h.m(seq++));
      h.advance(1);
    }
    h.advance(50);
    expect(h.sent.flat()).toEqual(Array.from({ length: seq - 1 }, (_, i) => i + 1));
    expect(h.delays.slice(0, 7)).toEqual([0, 1, 2, 4, 8, 10, 10]);
    expect(h.sent.length).toBeLessThan(20);
  });

  it("shrinks the window again when each check finds just one message: that is the room's pace, not load", () => {
    const h = harness();
    h.fanout.publish(h.m(1));
    for (let seq = 2; seq <= 6; seq++) h.fanout.publish(h.m(seq));
    h.advance(0); // 2..6 go together; the window opens to 1 ms
    h.fanout.publish(h.m(7));
    h.fanout.publish(h.m(8));
    h.advance(1); // two again: 2 ms
    // Now one message per check: the window halves (2 → 1), the next check finds none, and
    // from then on each message goes alone, at once (every check after it at 0 ms).
    let seq = 9;
    for (let i = 0; i < 3; i++) {
      h.fanout.publish(h.m(seq++));
      h.advance(10);
    }
    h.fanout.publish(h.m(seq++));
    expect(h.delays).toEqual([0, 1, 2, 1, 0, 0, 0]);
    expect(h.sent).toEqual([[1], [2, 3, 4, 5, 6], [7, 8], [9], [10], [11], [12]]);
    expect(h.sent.flat()).toEqual(Array.from({ length: seq - 1 }, (_, i) => i + 1));
  });

  it("goes back to sending at once as soon as nothing waits", () => {
    const h = harness();
    h.fanout.publish(h.m(1));
    h.fanout.publish(h.m(2));
    h.advance(0); // [2] goes, window 1 ms
    h.advance(5); // the check finds nothing: quiet again
    h.fanout.publish(h.m(3));
    expect(h.sent).toEqual([[1], [2], [3]]);
    expect(h.delays.at(-1)).toBe(0);
  });

  it("drops what waits when the room is deleted", () => {
    const h = harness();
    h.fanout.publish(h.m(1));
    h.fanout.publish(h.m(2));
    h.fanout.drop();
    h.advance(20);
    expect(h.sent).toEqual([[1]]);
  });

  it("batches a join storm's presence into one frame per gap, the last change per person winning", () => {
    const h = harness();
    const peer = (id: string) => ({ id, name: id });
    h.fanout.presence({ joined: [peer("a")], left: [] }); // at once
    for (const id of ["b", "c", "d"]) h.fanout.presence({ joined: [peer(id)], left: [] });
    h.fanout.presence({ joined: [], left: ["c"] }); // c came and went within the batch
    h.fanout.presence({ joined: [], left: ["e"] });
    h.fanout.presence({ joined: [peer("e")], left: [] }); // e left and came back: online
    h.fanout.publish(h.m(1)); // messages do not wait for presence
    h.advance(0);
    expect(h.sent).toEqual([[1]]);
    expect(h.presence).toEqual([{ joined: ["a"], left: [] }]);
    h.advance(249);
    expect(h.presence).toHaveLength(1);
    h.advance(1);
    expect(h.presence).toEqual([
      { joined: ["a"], left: [] },
      { joined: ["b", "d", "e"], left: ["c"] },
    ]);
    // 500 joins over a second and a half: a handful of frames, everyone in them once.
    for (let i = 0; i < 500; i++) {
      h.fanout.presence({ joined: [peer(`p${i}`)], left: [] });
      h.advance(3);
    }
    h.advance(250);
    const frames = h.presence.slice(2);
    expect(frames.length).toBeLessThanOrEqual(8);
    expect(frames.flatMap((f) => f.joined)).toEqual(Array.from({ length: 500 }, (_, i) => `p${i}`));
  });

  it("sends a presence change at once again after a quiet gap, and nothing after a drop", () => {
    const h = harness();
    const peer = (id: string) => ({ id, name: id });
    h.fanout.presence({ joined: [peer("a")], left: [] });
    h.advance(250); // the gate's check finds nothing: open again
    h.fanout.presence({ joined: [], left: ["a"] });
    expect(h.presence).toEqual([
      { joined: ["a"], left: [] },
      { joined: [], left: ["a"] },
    ]);
    h.fanout.presence({ joined: [peer("b")], left: [] }); // held
    h.fanout.drop();
    h.advance(1000);
    expect(h.presence).toHaveLength(2);
    h.fanout.presence({ joined: [peer("c")], left: [] }); // at once after the drop
    expect(h.presence.at(-1)).toEqual({ joined: ["c"], left: [] });
  });

  it("sends what piled up behind a late check as one batch, in order, exactly once", () => {
    const h = harness();
    h.fanout.publish(h.m(1));
    // The runtime is busy with a stream of events: the check runs 50 ms late, and nothing
    // goes out inline meanwhile (an inline "overdue" send would only delay it further).
    for (let seq = 2; seq <= 40; seq++) {
      h.fanout.publish(h.m(seq));
      h.tick(1);
    }
    expect(h.sent).toEqual([[1]]);
    h.advance(0);
    expect(h.sent).toEqual([[1], Array.from({ length: 39 }, (_, i) => i + 2)]);
    h.advance(100);
    expect(h.sent.flat()).toHaveLength(40);
  });

  it("after a drop, the next message goes at once and the old check sends nothing", () => {
    const h = harness();
    h.fanout.publish(h.m(1));
    h.fanout.publish(h.m(2));
    h.fanout.drop();
    h.fanout.publish(h.m(3));
    h.advance(20);
    expect(h.sent).toEqual([[1], [3]]);
  });
});

describe("the receipts gate", () => {
  it("holds changes for the gap and sends every member that changed in one frame, each once", () => {
    const h = harness();
    for (const uid of ["b", "c", "b", "b", "c"]) h.fanout.receipts(uid);
    expect(h.receipts).toEqual([]);
    h.advance(399);
    expect(h.receipts).toEqual([]);
    h.advance(1);
    expect(h.receipts).toEqual([["b", "c"]]);
    // A steady stream of reads (one every 50 ms for 2 s) costs one frame per gap, not one per read.
    for (let i = 0; i < 40; i++) {
      h.fanout.receipts(i % 2 ? "b" : "d");
      h.advance(50);
    }
    h.advance(400);
    expect(h.receipts.length).toBeLessThanOrEqual(1 + Math.ceil(2000 / 400) + 1);
    expect(h.receipts.length).toBeGreaterThan(1);
  });

  it("forgets what waits when the room is deleted", () => {
    const h = harness();
    h.fanout.receipts("b");
    h.fanout.drop();
    h.advance(1000);
    expect(h.receipts).toEqual([]);
  });
});
