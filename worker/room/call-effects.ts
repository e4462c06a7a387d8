/**
 * The call state machine (call.ts) applied to the room: each step's new call is
 * stored, its frames addressed (the error to the sender, `call` to everyone,
 * `call.ended` to those it concerned), its history message written on the normal
 * message path (against the room's message budget), and the hubs of people it started or
 * stopped ringing told.
 */
import { assertNever, type ClientFrame } from "../protocol";
import * as calls from "./call";
import type { Sender, Step, StoredCall } from "./call";
import { frameTo, reject, type Conn, type Effect } from "./effects";
import { record } from "./messages";
import type { MessageBudget } from "./rate-limit";
import type { RoomStore } from "./store/room-store";

type CallFrame = Exclude<Extract<ClientFrame, { type: `call.${string}` }>, { type: "call.start" }>;
type RtcFrame = Extract<ClientFrame, { type: "rtc" }>;

const sender = (me: Conn): Sender => ({ id: me.uid, name: me.name, conn: me.conn });

/**
 * Carries out one step computed from `before` (the stored call; an unchanged call is
 * the very same object). `from`: the connection whose frame it answers, and the request
 * id its error must echo.
 */
export function apply(
  store: RoomStore,
  budget: MessageBudget,
  before: StoredCall | null,
  step: Step,
  now: number,
  from?: { conn: string; req?: string | undefined },
): Effect[] {
  const out: Effect[] = [];
  if (step.error && from) out.push(reject(from.conn, step.error.code, step.error.message, { req: from.req }));
  if (step.call !== before) store.setCall(step.call);
  if (step.replaced && step.call) {
    // The person rejoined on a newer connection: for this one (if still open) the call is over.
    out.push(frameTo({ conn: step.replaced }, { type: "call.ended", callId: step.call.id, outcome: "completed" }));
  }
  const e = step.ended;
  if (e) {
    const ended = { type: "call.ended", callId: e.call.id, outcome: e.outcome, ...(e.by ? { by: e.by } : {}) } as const;
    out.push(frameTo({ users: e.users, conns: e.conns }, ended));
  }
  if (step.call !== before && (step.call || before)) out.push(frameTo({ all: true }, { type: "call", call: step.call ? calls.view(step.call) : null }));
  // One history message per call (its cid dedupes a repeat), unless it was cancelled at once.
  if (e?.history) out.push(...record(store, budget, { cid: `call:${e.call.id}`, uid: e.call.caller.id, name: e.call.caller.name, text: e.text, call: e.summary }, now));
  if (step.call !== before) {
    out.push(...rings(before, step.call));
    const at = calls.deadline(step.call);
    if (at !== null) out.push({ type: "alarm", at });
  }
  return out;
}

/**
 * `call.ring` for those a call started ringing, `call.ring_ended` for those it stopped
 * ringing (answered, declined, missed, ended): a member without the room open sees the
 * incoming call, and sees it go.
 */
export function rings(before: StoredCall | null, after: StoredCall | null): Effect[] {
  const was = new Set(before && (!after || before.id === after.id) ? before.ringing : []);
  const now = new Set(after ? after.ringing : []);
  const started = after ? [...now].filter((u) => !was.has(u)) : [];
  const stopped = before ? before.ringing.filter((u) => !(after && after.id === before.id && now.has(u))) : [];
  const out: Effect[] = [];
  if (stopped.length > 0) out.push({ type: "hub", users: stopped, notice: { type: "ring_ended", callId: before!.id } });
  if (started.length > 0) out.push({ type: "hub", users: started, notice: { type: "ring", callId: after!.id, media: after!.media, caller: after!.caller } });
  return out;
}

/**
 * `me` starts a call, ringing `members` (the room's members from D1, read by the adapter
 * before this: a call start is rare, so that read is off the message path). A call
 * already running answers `call_exists`.
 */
export function start(store: RoomStore, budget: MessageBudget, me: Conn, media: "audio" | "video", members: readonly string[], id: string, now: number, ringMs: number, req?: string): Effect[] {
  const c = store.call();
  const others = members.filter((u) => u !== me.uid);
  return apply(store, budget, c, calls.start(c, sender(me), media, others, id, now, ringMs), now, { conn: me.conn, req });
}

/** accept / join / decline / busy / hangup / media from `me`. */
export function frame(store: RoomStore, budget: MessageBudget, me: Conn, f: CallFrame, now: number): Effect[] {
  const c = store.call();
  const who = sender(me);
  let step: Step;
  switch (f.type) {
    case "call.accept":
      step = calls.accept(c, who, f.callId, now);
      break;
    case "call.join":
      step = calls.join(c, who, f.callId, now);
      break;
    case "call.decline":
      step = calls.refuse(c, who, f.callId, "declined", now);
      break;
    case "call.busy":
      step = calls.refuse(c, who, f.callId, "busy", now);
      break;
    case "call.hangup":
      step = calls.hangup(c, who, f.callId, now);
      break;
    case "call.media":
      step = calls.media(c, who, f.callId, { audio: f.audio, video: f.video, screen: f.screen });
      break;
    default:
      return assertNever(f);
  }
  return apply(store, budget, c, step, now, { conn: me.conn, req: f.req });
}

/** Relays SDP or an ICE candidate to the one connection the addressed person is in the call with. */
export function rtc(store: RoomStore, me: Conn, f: RtcFrame): Effect[] {
  const target = calls.rtcTarget(store.call(), sender(me), f.callId, f.to);
  if ("code" in target) return [reject(me.conn, target.code, target.message)];
  if (target.conn === null) return []; // they dropped and may come back; they will negotiate anew
  return [
    frameTo(
      { conn: target.conn },
      {
        type: "rtc",
        callId: f.callId,
        from: me.uid,
        ...(f.description !== undefined ? { description: f.description } : {}),
        ...(f.candidate !== undefined ? { candidate: f.candidate } : {}),
      },
    ),
  ];
}

/** A connection closed: if it was in the call, its participant is gone for now. */
export function disconnected(store: RoomStore, budget: MessageBudget, conn: string, now: number): Effect[] {
  const c = store.call();
  return apply(store, budget, c, calls.disconnected(c, conn, now), now);
}

/** A person is no longer a member: out of the call at once, and no longer rung. */
export function removed(store: RoomStore, budget: MessageBudget, uid: string, now: number): Effect[] {
  const c = store.call();
  return apply(store, budget, c, calls.removed(c, uid, now), now);
}

/** The alarm: participants gone too long leave, an unanswered call is missed. */
export function tick(store: RoomStore, budget: MessageBudget, now: number): Effect[] {
  const c = store.call();
  return apply(store, budget, c, calls.tick(c, now), now);
}
