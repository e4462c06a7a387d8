/**
 * The session reducer on its own: pure transitions and the effects they ask for, in Node,
 * without timers, DOM or sockets. Each block follows one path of the state machine.
 */
import { describe, expect, it } from "vitest";
import type { CallState } from "../../../worker/protocol";
import { IDLE, joinedCall, phaseOf, reduce, refusalText, type Action, type Effect, type Session, type SessionEvent } from "./session";

const me = "u-alice";
const bob = { id: "u-bob", name: "Bob" };
const part = (id: string, joinedAt = 1, goneSince: number | null = null) => ({ id, name: id, audio: true, video: true, screen: false, joinedAt, goneSince });
const call = (over: Partial<CallState> = {}): CallState => ({
  id: "c1",
  media: "video",
  caller: bob,
  startedAt: 1,
  answeredAt: null,
  participants: [part(bob.id)],
  ringing: [me],
  ...over,
});
const ours = (over: Partial<CallState> = {}) => call({ caller: { id: me, name: "Alice" }, participants: [part(me)], ringing: [bob.id], ...over });
const answered = (over: Partial<CallState> = {}) => ours({ answeredAt: 5, ringing: [], participants: [part(me), part(bob.id, 5)], ...over });

/** Runs events from `s`, returning the last session and every effect asked for. */
function run(s: Session, ...events: SessionEvent[]): { session: Session; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const e of events) {
    const step = reduce(s, e);
    s = step.session;
    effects.push(...step.effects);
  }
  return { session: s, effects };
}
const kinds = (effects: Effect[]) => effects.map((e) => e.kind);
const start: Action = { kind: "start", media: "video" };
const accept: Action = { kind: "accept", callId: "c1", media: "video" };
/** Joined c1 as its caller, answered by Bob. */
const inCall = () => run(IDLE, { type: "prepare", action: start }, { type: "prepared", req: "r1", call: null, me }, { type: "call", call: answered(), me }).session;

describe("starting a call", () => {
  it("idle → preparing → starting (call.start with its req, the lock taken) → joined when the call with us as caller comes", () => {
    let r = run(IDLE, { type: "prepare", action: start });
    expect(r.session).toEqual({ phase: "preparing", action: start });
    r = run(r.session, { type: "prepared", req: "r1", call: null, me });
    expect(r.session).toEqual({ phase: "starting", media: "video", req: "r1" });
    expect(r.effects).toEqual([{ kind: "send", frame: { type: "call.start", media: "video", req: "r1" } }, { kind: "lock" }]);
    // Someone else's call is not ours.
    expect(run(r.session, { type: "call", call: call(), me }).session).toBe(r.session);
    r = run(r.session, { type: "call", call: ours(), me });
    expect(r.session).toMatchObject({ phase: "joined", callId: "c1", rejoin: false, roster: [] });
    expect(r.effects).toEqual([{ kind: "announce" }, { kind: "peers", keep: [], connect: false }]);
    r = run(r.session, { type: "call", call: answered(), me });
    expect(r.effects).toEqual([{ kind: "peers", keep: [bob.id], connect: true }]);
    expect(r.session).toMatchObject({ roster: [{ id: bob.id, joinedAt: 5, gone: false }] });
  });

  it("one thing at a time: a second prepare is refused while preparing, starting or in a call", () => {
    const preparing = run(IDLE, { type: "prepare", action: start }).session;
    expect(reduce(preparing, { type: "prepare", action: accept }).session).toBe(preparing);
    const joined = inCall();
    expect(reduce(joined, { type: "prepare", action: start }).session).toBe(joined);
  });

  it("a refused start (matched by req) goes back to idle, releases and says why; another req changes nothing", () => {
    const starting = run(IDLE, { type: "prepare", action: start }, { type: "prepared", req: "r1", call: null, me }).session;
    expect(reduce(starting, { type: "refused", req: "other", code: "call_exists", message: "x" }).session).toBe(starting);
    const r = reduce(starting, { type: "refused", req: "r1", code: "call_exists", message: "x" });
    expect(r.session).toEqual(IDLE);
    expect(r.effects).toEqual([{ kind: "release" }, { kind: "notice", text: "A call is already running in this room" }]);
  });

  it("a start that could not be sent (not connected) goes back to idle", () => {
    const starting = run(IDLE, { type: "prepare", action: start }, { type: "prepared", req: "r1", call: null, me }).session;
    const r = reduce(starting, { type: "unsent", req: "r1" });
    expect(r.session).toEqual(IDLE);
    expect(kinds(r.effects)).toEqual(["release", "notice"]);
  });

  it("the room found nobody to ring: call.ended (missed) before any call frame ends the start", () => {
    const starting = run(IDLE, { type: "prepare", action: start }, { type: "prepared", req: "r1", call: null, me }).session;
    const r = reduce(starting, { type: "ended", callId: "c9", outcome: "missed" });
    expect(r.session).toEqual({ phase: "ended", last: "c9", outcome: "missed" });
    expect(kinds(r.effects)).toEqual(["release"]);
  });

  it("hanging up while call.start is on its way cancels: the call is hung up once its id comes", () => {
    const starting = run(IDLE, { type: "prepare", action: start }, { type: "prepared", req: "r1", call: null, me }).session;
    let r = reduce(starting, { type: "hangup" });
    expect(r.session).toEqual({ phase: "cancelling", req: "r1" });
    expect(kinds(r.effects)).toEqual(["release"]);
    expect(phaseOf(r.session, null, me, false)).toBe("idle");
    r = reduce(r.session, { type: "call", call: ours(), me });
    expect(r.session).toEqual(IDLE);
    expect(r.effects).toEqual([{ kind: "send", frame: { type: "call.hangup", callId: "c1" } }]);
    // Or the start is refused: nothing to hang up.
    expect(run(IDLE, { type: "prepare", action: start }, { type: "prepared", req: "r1", call: null, me }, { type: "hangup" }, { type: "refused", req: "r1", code: "call_exists", message: "" }).session).toEqual(IDLE);
  });
});

describe("answering a call", () => {
  it("accept: call.accept with its req, the lock, our media state, and peers for whoever is in it", () => {
    const r = run(IDLE, { type: "prepare", action: accept }, { type: "prepared", req: "r2", call: call(), me });
    expect(r.session).toEqual({ phase: "joined", callId: "c1", req: "r2", rejoin: false, roster: [{ id: bob.id, joinedAt: 1, gone: false }] });
    expect(r.effects).toEqual([
      { kind: "send", frame: { type: "call.accept", callId: "c1", req: "r2" } },
      { kind: "lock" },
      { kind: "announce" },
      { kind: "peers", keep: [bob.id], connect: false },
    ]);
  });

  it("the call went away while the camera opened: released, and told", () => {
    const r = run(IDLE, { type: "prepare", action: accept }, { type: "prepared", req: "r2", call: call({ id: "c2" }), me });
    expect(r.session).toEqual(IDLE);
    expect(r.effects).toEqual([{ kind: "release" }, { kind: "notice", text: "That call has ended" }]);
  });

  it("the call we are preparing to answer stops ringing: forgotten", () => {
    const preparing = run(IDLE, { type: "prepare", action: accept }).session;
    expect(reduce(preparing, { type: "call", call: call(), me }).session).toBe(preparing);
    const r = reduce(preparing, { type: "call", call: null, me });
    expect(r.session).toEqual(IDLE);
    expect(kinds(r.effects)).toEqual(["release"]);
  });

  it("a refused accept or join leaves the call; a refusal of another action does not", () => {
    const joined = run(IDLE, { type: "prepare", action: { kind: "join", callId: "c1", media: "video" } }, { type: "prepared", req: "r3", call: call({ answeredAt: 2 }), me }).session;
    expect(reduce(joined, { type: "refused", req: "r-media", code: "not_in_call", message: "" }).session).toBe(joined);
    const r = reduce(joined, { type: "refused", req: "r3", code: "call_full", message: "the call is full (4 people)" });
    expect(r.session).toEqual(IDLE);
    expect(r.effects).toEqual([{ kind: "release" }, { kind: "notice", text: "Call is full" }]);
  });

  it("media failed (or was given up): back to idle", () => {
    const preparing = run(IDLE, { type: "prepare", action: accept }).session;
    expect(reduce(preparing, { type: "unprepared" })).toEqual({ session: IDLE, effects: [{ kind: "release" }] });
    expect(reduce(IDLE, { type: "unprepared" }).session).toBe(IDLE);
  });
});

describe("in a call", () => {
  it("peers follow the participants: someone new is connected, someone gone is closed", () => {
    const s = inCall();
    const r = reduce(s, { type: "call", call: answered({ participants: [part(me), part(bob.id, 5), part("u-carol", 7)] }), me });
    expect(r.effects).toEqual([{ kind: "peers", keep: [bob.id, "u-carol"], connect: true }]);
    expect(reduce(r.session, { type: "call", call: answered(), me }).effects).toEqual([{ kind: "peers", keep: [bob.id], connect: true }]);
  });

  it("someone back after a drop, or on a new connection (joinedAt changed), is renegotiated with", () => {
    const s = inCall();
    const gone = reduce(s, { type: "call", call: answered({ participants: [part(me), part(bob.id, 5, 20)] }), me });
    expect(gone.effects).toEqual([{ kind: "peers", keep: [bob.id], connect: true }]);
    const back = reduce(gone.session, { type: "call", call: answered(), me });
    expect(back.effects).toEqual([{ kind: "renegotiate", peers: [bob.id] }, { kind: "peers", keep: [bob.id], connect: true }]);
    const moved = reduce(back.session, { type: "call", call: answered({ participants: [part(me), part(bob.id, 30)] }), me });
    expect(moved.effects[0]).toEqual({ kind: "renegotiate", peers: [bob.id] });
  });

  it("our socket came back: call.join (a new req) at once, then on the next call frame our media and an ICE restart with everyone", () => {
    const s = inCall();
    let r = reduce(s, { type: "welcome", req: "r9" });
    expect(r.effects).toEqual([{ kind: "send", frame: { type: "call.join", callId: "c1", req: "r9" } }]);
    expect(r.session).toMatchObject({ phase: "joined", req: "r9", rejoin: true });
    r = reduce(r.session, { type: "call", call: answered({ participants: [part(me, 1, 40), part(bob.id, 5)] }), me });
    expect(r.effects).toEqual([{ kind: "announce" }, { kind: "renegotiate", peers: "all" }, { kind: "peers", keep: [bob.id], connect: true }]);
    expect(r.session).toMatchObject({ rejoin: false });
    // A welcome when not in a call changes nothing.
    expect(reduce(IDLE, { type: "welcome", req: "r" }).session).toBe(IDLE);
  });

  it("back after we were out of the call too long: every peer starts afresh", () => {
    const r = run(inCall(), { type: "welcome", req: "r9" }, { type: "call", call: answered({ participants: [part(bob.id, 5), part("u-carol", 6)] }), me });
    expect(kinds(r.effects)).toEqual(["send", "close_peers", "announce", "renegotiate", "peers"]);
  });

  it("the rejoin refused (the call ended while we were away) ends it here", () => {
    const r = run(inCall(), { type: "welcome", req: "r9" }, { type: "refused", req: "r9", code: "no_such_call", message: "" });
    expect(r.session).toEqual(IDLE);
    expect(r.effects.slice(1)).toEqual([{ kind: "release" }, { kind: "notice", text: "That call has ended" }]);
  });

  it("call.ended says why (shown until outcome_shown); the call frame that follows changes nothing", () => {
    let r = reduce(inCall(), { type: "ended", callId: "c1", outcome: "declined", by: "Bob" });
    expect(r.session).toEqual({ phase: "ended", last: "c1", outcome: "declined", by: "Bob" });
    expect(kinds(r.effects)).toEqual(["release"]);
    expect(reduce(r.session, { type: "call", call: null, me }).session).toBe(r.session);
    r = reduce(r.session, { type: "outcome_shown" });
    expect(r.session).toEqual({ phase: "idle", last: "c1" });
    // Another call's end is not ours.
    expect(reduce(inCall(), { type: "ended", callId: "c0", outcome: "completed" }).effects).toEqual([]);
  });

  it("the call gone without a word (or replaced by another): ended, completed", () => {
    for (const next of [null, call({ id: "c2" })]) {
      const r = reduce(inCall(), { type: "call", call: next, me });
      expect(r.session).toEqual({ phase: "ended", last: "c1", outcome: "completed" });
      expect(kinds(r.effects)).toEqual(["release"]);
    }
  });

  it("hang up: call.hangup, released; a call.ended that follows still shows how it ended", () => {
    let r = reduce(inCall(), { type: "hangup" });
    expect(r.session).toEqual({ phase: "idle", last: "c1" });
    expect(r.effects).toEqual([{ kind: "send", frame: { type: "call.hangup", callId: "c1" } }, { kind: "release" }]);
    r = reduce(r.session, { type: "ended", callId: "c1", outcome: "completed" });
    expect(r.session).toEqual({ phase: "ended", last: "c1", outcome: "completed" });
    expect(reduce(IDLE, { type: "hangup" }).effects).toEqual([]);
  });

  it("the room gone for us ends whatever was under way", () => {
    expect(reduce(inCall(), { type: "gone" })).toEqual({ session: { phase: "ended", last: "c1", outcome: "completed" }, effects: [{ kind: "release" }] });
    expect(reduce(run(IDLE, { type: "prepare", action: start }).session, { type: "gone" }).session).toMatchObject({ phase: "ended", last: null });
    expect(reduce(IDLE, { type: "gone" }).session).toBe(IDLE);
    expect(reduce({ phase: "cancelling", req: "r" }, { type: "gone" }).session).toEqual(IDLE);
  });
});

describe("what the view shows", () => {
  it("phase: preparing, ringing (as caller until answered), connecting, active once a peer connects", () => {
    expect(phaseOf(IDLE, call(), me, false)).toBe("idle");
    expect(phaseOf({ phase: "preparing", action: start }, null, me, false)).toBe("preparing");
    expect(phaseOf({ phase: "starting", media: "audio", req: "r" }, null, me, false)).toBe("ringing");
    const joined: Session = { phase: "joined", callId: "c1", req: null, rejoin: false, roster: [] };
    expect(phaseOf(joined, ours(), me, false)).toBe("ringing");
    expect(phaseOf(joined, call(), me, false)).toBe("connecting"); // we accepted; not answered yet as far as we know
    expect(phaseOf(joined, answered(), me, false)).toBe("connecting");
    expect(phaseOf(joined, answered(), me, true)).toBe("active");
    expect(joinedCall(joined, answered())?.id).toBe("c1");
    expect(joinedCall(joined, call({ id: "c2" }))).toBeNull();
  });

  it("refusals in a person's words", () => {
    expect(refusalText("call_full", "")).toBe("Call is full");
    expect(refusalText("nobody_to_call", "")).toBe("Nobody else is here to call");
    expect(refusalText("not_ringing", "")).toBe("That call has ended");
    expect(refusalText("invalid_frame", "callId: too long")).toBe("callId: too long");
  });
});
