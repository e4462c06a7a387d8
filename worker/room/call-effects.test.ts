import { describe, expect, it } from "vitest";
import { PEER_GONE_MS, QUIET_CANCEL_MS } from "../protocol";
import * as callEffects from "./call-effects";
import type { Effect } from "./effects";
import { MessageBudget } from "./rate-limit";
import { alice, bob, carol, newStore } from "./testing/fixtures";

const RING = 30_000;
const budget = () => new MessageBudget({ perSec: 10, burst: 20 }, { perSec: 50, burst: 100 });
const of = <T extends Effect["type"]>(effects: Effect[], type: T) => effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
const frames = (effects: Effect[]) => of(effects, "frame").map((e) => e.frame.type);

function ringing(members = [alice.uid, bob.uid]) {
  const { store } = newStore();
  const effects = callEffects.start(store, budget(), alice, "video", members, "call1", 0, RING, "r1");
  return { store, effects };
}

describe("a call in the room", () => {
  it("starts ringing the other members: stored, shown to everyone, their hubs told", () => {
    const { store, effects } = ringing([alice.uid, bob.uid, carol.uid]);
    expect(store.call()).toMatchObject({ id: "call1", ringing: [bob.uid, carol.uid] });
    expect(frames(effects)).toEqual(["call"]);
    expect(of(effects, "hub")).toEqual([
      { type: "hub", users: [bob.uid, carol.uid], notice: { type: "ring", callId: "call1", media: "video", caller: { id: alice.uid, name: "Alice" } } },
    ]);
  });

  it("answers a second start with call_exists, echoing its request id, and changes nothing", () => {
    const { store } = ringing();
    const effects = callEffects.start(store, budget(), bob, "audio", [alice.uid, bob.uid], "call2", 1, RING, "again");
    expect(effects).toEqual([{ type: "reject", conn: bob.conn, code: "call_exists", message: expect.any(String), req: "again", strike: true }]);
    expect(store.call()?.id).toBe("call1");
  });

  it("with nobody to ring is over at once: nobody_to_call, and a missed-call entry in the history", () => {
    const { store } = newStore();
    const effects = callEffects.start(store, budget(), alice, "audio", [alice.uid], "c", 0, RING, "r");
    expect(of(effects, "reject")[0]).toMatchObject({ code: "nobody_to_call", req: "r" });
    expect(of(effects, "publish")[0]?.message).toMatchObject({ cid: "call:c", call: { outcome: "missed" } });
    expect(store.call()).toBeNull();
  });

  it("on accept stops ringing (the hub told), and on hangup ends for both with one history entry", () => {
    const { store } = ringing();
    const accepted = callEffects.frame(store, budget(), bob, { type: "call.accept", callId: "call1" }, 1000);
    expect(of(accepted, "hub")).toEqual([{ type: "hub", users: [bob.uid], notice: { type: "ring_ended", callId: "call1" } }]);
    const ended = callEffects.frame(store, budget(), bob, { type: "call.hangup", callId: "call1" }, 61_000);
    expect(of(ended, "frame").find((e) => e.frame.type === "call.ended")).toMatchObject({
      to: { users: [], conns: [alice.conn, bob.conn] },
      frame: { type: "call.ended", callId: "call1", outcome: "completed" },
    });
    expect(of(ended, "publish")[0]?.message).toMatchObject({ cid: "call:call1", text: "Video call · 1:00", call: { durationMs: 60_000 } });
    expect(store.call()).toBeNull();
    // The same end again records nothing.
    expect(callEffects.frame(store, budget(), bob, { type: "call.hangup", callId: "call1", req: "h" }, 62_000)).toEqual([
      { type: "reject", conn: bob.conn, code: "no_such_call", message: expect.any(String), req: "h", strike: true },
    ]);
  });

  it("relays signaling only to the connection the addressed person is in the call with", () => {
    const { store } = ringing();
    callEffects.frame(store, budget(), bob, { type: "call.accept", callId: "call1" }, 1);
    const sdp = { type: "offer" as const, sdp: "v=0" };
    expect(callEffects.rtc(store, alice, { type: "rtc", callId: "call1", to: bob.uid, description: sdp })).toEqual([
      { type: "frame", to: { conn: bob.conn }, frame: { type: "rtc", callId: "call1", from: alice.uid, description: sdp } },
    ]);
    expect(callEffects.rtc(store, carol, { type: "rtc", callId: "call1", to: bob.uid, candidate: null })[0]).toMatchObject({ code: "not_in_call" });
  });

  it("gives a dropped participant PEER_GONE_MS to come back, then the alarm ends the call", () => {
    const { store } = ringing();
    callEffects.frame(store, budget(), bob, { type: "call.accept", callId: "call1" }, 1);
    expect(frames(callEffects.disconnected(store, budget(), bob.conn, 10))).toEqual(["call"]);
    expect(callEffects.tick(store, budget(), 10 + PEER_GONE_MS - 1)).toEqual([]);
    const ended = callEffects.tick(store, budget(), 10 + PEER_GONE_MS);
    expect(frames(ended)).toContain("call.ended");
    expect(store.call()).toBeNull();
  });

  it("misses an unanswered call when the ring times out, telling the rung hubs it stopped", () => {
    const { store } = ringing();
    const missed = callEffects.tick(store, budget(), RING);
    expect(of(missed, "publish")[0]?.message.call).toMatchObject({ outcome: "missed" });
    expect(of(missed, "hub")).toEqual([{ type: "hub", users: [bob.uid], notice: { type: "ring_ended", callId: "call1" } }]);
  });

  it("takes a removed member out at once", () => {
    const { store } = ringing([alice.uid, bob.uid, carol.uid]);
    callEffects.removed(store, budget(), carol.uid, 5);
    expect(store.call()?.ringing).toEqual([bob.uid]);
  });
});

describe("a call's history line", () => {
  const history = (effects: Effect[]) => of(effects, "publish").filter((e) => e.message.cid.startsWith("call:"));

  it("is not written for a call its caller cancels within QUIET_CANCEL_MS, and is after that", () => {
    const { store } = ringing();
    expect(history(callEffects.frame(store, budget(), alice, { type: "call.hangup", callId: "call1" }, QUIET_CANCEL_MS - 1))).toEqual([]);
    expect(store.call()).toBeNull();
    const later = ringing();
    const [line] = history(callEffects.frame(later.store, budget(), alice, { type: "call.hangup", callId: "call1" }, QUIET_CANCEL_MS));
    expect(line?.message).toMatchObject({ text: "Cancelled video call", call: { outcome: "cancelled" } });
  });

  it("counts against the room's message budget, and is not written when that is spent", () => {
    const b = new MessageBudget({ perSec: 10, burst: 20 }, { perSec: 1, burst: 1 });
    const { store } = newStore();
    expect(history(callEffects.start(store, b, alice, "audio", [alice.uid], "c1", 0, RING))).toHaveLength(1);
    expect(history(callEffects.start(store, b, alice, "audio", [alice.uid], "c2", 0, RING))).toEqual([]);
    expect(store.page(null, 10).map((m) => m.cid)).toEqual(["call:c1"]);
  });
});
