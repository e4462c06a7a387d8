/**
 * The room's call as a pure state machine: every transition takes the stored
 * call (or null) and returns the next one plus what the room must do about it
 * (an error for the sender, a `call.ended` for some connections and people, the
 * summary for the history message). No I/O, no clock: the room object
 * (chat-room.ts) passes `now`, stores the result in `ctx.storage.kv` ("call"),
 * sends the frames and keeps its one alarm at `deadline(call)`.
 *
 * A participant is a connection (one tab), identified by the connection id the
 * room gives every socket; people are rung by user id (every tab of theirs shows
 * the incoming call).
 */
import {
  CALL_MAX_PARTICIPANTS,
  CallErrorCode,
  PEER_GONE_MS,
  QUIET_CANCEL_MS,
  type CallMedia,
  type CallOutcome,
  type CallParticipant,
  type CallState,
  type CallSummary,
  type MediaState,
  type Peer,
} from "../protocol";

export interface StoredParticipant extends CallParticipant {
  /** The connection that is in the call (a person's other tabs are not). */
  conn: string;
}

/** The call as the room stores it: the wire state plus connections and deadlines. */
export interface StoredCall {
  id: string;
  media: CallMedia;
  caller: Peer;
  startedAt: number;
  answeredAt: number | null;
  participants: StoredParticipant[];
  ringing: string[];
  /** When ringing stops: the call is missed if nobody answered by then. */
  ringUntil: number;
}

/** Who sent a frame: a person on one connection. */
export interface Sender extends Peer {
  conn: string;
}

export type CallError = { code: (typeof CallErrorCode)[keyof typeof CallErrorCode]; message: string };

export interface Ended {
  call: StoredCall;
  outcome: CallOutcome;
  by?: Peer;
  summary: CallSummary;
  /** Human fallback text of the history message. */
  text: string;
  /** Whether it leaves a history message (not when its caller cancelled it within QUIET_CANCEL_MS). */
  history: boolean;
  /** Connections to send `call.ended` to (participants, the caller among them while in it). */
  conns: string[];
  /** People whose every socket gets `call.ended` (those it was still ringing, and who declined). */
  users: string[];
}

export interface Step {
  /** The call after this step (the same object when nothing changed; null when there is none). */
  call: StoredCall | null;
  error?: CallError;
  ended?: Ended;
  /** A connection that was in the call and has been replaced by a newer one of the same person. */
  replaced?: string;
}

const err = (call: StoredCall | null, code: CallError["code"], message: string): Step => ({ call, error: { code, message } });

/** The call as clients see it. */
export function view(c: StoredCall): CallState {
  return {
    id: c.id,
    media: c.media,
    caller: c.caller,
    startedAt: c.startedAt,
    answeredAt: c.answeredAt,
    participants: c.participants.map(({ conn: _conn, ...p }) => p),
    ringing: c.ringing,
  };
}

/** When the room's alarm must next look at the call (null: no deadline). */
export function deadline(c: StoredCall | null): number | null {
  if (!c) return null;
  let at = c.answeredAt === null || c.ringing.length > 0 ? c.ringUntil : Infinity;
  for (const p of c.participants) if (p.goneSince !== null) at = Math.min(at, p.goneSince + PEER_GONE_MS);
  return at === Infinity ? null : at;
}

export function participantByConn(c: StoredCall | null, conn: string): StoredParticipant | undefined {
  return c?.participants.find((p) => p.conn === conn);
}

/** "3:12", "1:02:03". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** The history message's text, for clients that do not render the summary. */
export function summaryText(s: CallSummary, caller: Peer): string {
  const kind = s.media === "video" ? "video call" : "audio call";
  switch (s.outcome) {
    case "completed":
      return `${kind[0]!.toUpperCase()}${kind.slice(1)} · ${formatDuration(s.durationMs)}`;
    case "missed":
      return `Missed ${kind} from ${caller.name}`;
    case "declined":
      return `Declined ${kind}`;
    case "cancelled":
      return `Cancelled ${kind}`;
    case "busy":
      return "Busy";
  }
}

/** Ends `c` (as it was just before ending) with `outcome`. */
function end(c: StoredCall, outcome: CallOutcome, now: number, by?: Peer, alsoConns: string[] = [], alsoUsers: string[] = []): Step {
  const durationMs = outcome === "completed" && c.answeredAt !== null ? Math.max(0, now - c.answeredAt) : 0;
  const summary: CallSummary = { id: c.id, media: c.media, outcome, durationMs };
  const users = new Set([...c.ringing, ...alsoUsers]);
  if (by) users.add(by.id);
  return {
    call: null,
    ended: {
      call: c,
      outcome,
      ...(by ? { by } : {}),
      summary,
      text: summaryText(summary, c.caller),
      history: !(outcome === "cancelled" && now - c.startedAt < QUIET_CANCEL_MS),
      conns: [...new Set([...c.participants.map((p) => p.conn), ...alsoConns])],
      users: [...users],
    },
  };
}

/** After someone left: end the call if too few are left in it. */
function settle(next: StoredCall, now: number, gone: string[]): Step {
  if (next.answeredAt !== null && next.participants.length < 2) return end(next, "completed", now, undefined, gone);
  if (next.answeredAt === null && next.participants.length === 0) return end(next, "cancelled", now, undefined, gone);
  return { call: next };
}

function check(c: StoredCall | null, callId: string): StoredCall | CallError {
  if (!c || c.id !== callId) return { code: CallErrorCode.NO_SUCH_CALL, message: "that call is not running in this room" };
  return c;
}

const isErr = (x: StoredCall | CallError): x is CallError => "code" in x;

function participant(who: Sender, now: number, media: CallMedia): StoredParticipant {
  return { id: who.id, name: who.name, conn: who.conn, audio: true, video: media === "video", screen: false, joinedAt: now, goneSince: null };
}

/**
 * Starts a call. `others` are the ids of the room's other members (the room cannot
 * see who is online on their own channel, so every one of them is rung; whoever
 * does not answer within `ringMs` makes it missed). With nobody to ring the call is
 * over at once (missed).
 */
export function start(c: StoredCall | null, who: Sender, media: CallMedia, others: readonly string[], id: string, now: number, ringMs: number): Step {
  if (c) return err(c, CallErrorCode.CALL_EXISTS, "a call is already running in this room: join it");
  const call: StoredCall = {
    id,
    media,
    caller: { id: who.id, name: who.name },
    startedAt: now,
    answeredAt: null,
    participants: [participant(who, now, media)],
    ringing: [...new Set(others)].filter((u) => u !== who.id),
    ringUntil: now + ringMs,
  };
  if (call.ringing.length === 0) {
    return { ...end(call, "missed", now), error: { code: CallErrorCode.NOBODY_TO_CALL, message: "nobody else is in this room" } };
  }
  return { call };
}

/** A rung person answers on this connection. */
export function accept(c: StoredCall | null, who: Sender, callId: string, now: number): Step {
  const call = check(c, callId);
  if (isErr(call)) return { call: c, error: call };
  if (!call.ringing.includes(who.id)) return err(c, CallErrorCode.NOT_RINGING, "this call is not ringing you");
  return enter(call, who, now);
}

/**
 * Joins a running call: a rung person (as accept), anyone else in the room while
 * there is room, or a participant coming back on a new connection (a reload or a
 * dropped network): the new connection takes the old one's place.
 */
export function join(c: StoredCall | null, who: Sender, callId: string, now: number): Step {
  const call = check(c, callId);
  if (isErr(call)) return { call: c, error: call };
  const mine = call.participants.find((p) => p.id === who.id);
  if (mine) {
    if (mine.conn === who.conn) return { call }; // already in it on this connection
    const participants = call.participants.map((p) => (p === mine ? { ...p, conn: who.conn, goneSince: null, joinedAt: now } : p));
    return { call: { ...call, participants }, replaced: mine.conn };
  }
  return enter(call, who, now);
}

function enter(call: StoredCall, who: Sender, now: number): Step {
  if (call.participants.length >= CALL_MAX_PARTICIPANTS) {
    return err(call, CallErrorCode.CALL_FULL, `the call is full (${CALL_MAX_PARTICIPANTS} people)`);
  }
  return {
    call: {
      ...call,
      answeredAt: call.answeredAt ?? now,
      participants: [...call.participants, participant(who, now, call.media)],
      ringing: call.ringing.filter((u) => u !== who.id),
    },
  };
}

/**
 * A rung person declines (or is busy in another call). When nobody has answered
 * and nobody is left to ring (always so in a DM), the call ends with that outcome.
 */
export function refuse(c: StoredCall | null, who: Sender, callId: string, outcome: "declined" | "busy", now: number): Step {
  const call = check(c, callId);
  if (isErr(call)) return { call: c, error: call };
  if (!call.ringing.includes(who.id)) return err(c, CallErrorCode.NOT_RINGING, "this call is not ringing you");
  const next = { ...call, ringing: call.ringing.filter((u) => u !== who.id) };
  if (next.answeredAt === null && next.ringing.length === 0) return end(next, outcome, now, { id: who.id, name: who.name });
  return { call: next };
}

/**
 * Leaves the call. The caller before anyone answered cancels it; after an answer
 * the call ends (completed) when fewer than two are left. A person it is ringing
 * who hangs up declines.
 */
export function hangup(c: StoredCall | null, who: Sender, callId: string, now: number): Step {
  const call = check(c, callId);
  if (isErr(call)) return { call: c, error: call };
  const mine = participantByConn(call, who.conn);
  if (!mine) {
    if (call.ringing.includes(who.id)) return refuse(call, who, callId, "declined", now);
    return err(c, CallErrorCode.NOT_IN_CALL, "you are not in this call");
  }
  if (call.answeredAt === null && mine.id === call.caller.id) return end(call, "cancelled", now);
  const next = { ...call, participants: call.participants.filter((p) => p !== mine) };
  return settle(next, now, [mine.conn]);
}

export function media(c: StoredCall | null, who: Sender, callId: string, m: MediaState): Step {
  const call = check(c, callId);
  if (isErr(call)) return { call: c, error: call };
  const mine = participantByConn(call, who.conn);
  if (!mine) return err(c, CallErrorCode.NOT_IN_CALL, "you are not in this call");
  if (mine.audio === m.audio && mine.video === m.video && mine.screen === m.screen) return { call };
  const participants = call.participants.map((p) => (p === mine ? { ...p, audio: m.audio, video: m.video, screen: m.screen } : p));
  return { call: { ...call, participants } };
}

/** A connection closed: if it was in the call, its participant is gone (PEER_GONE_MS to come back). */
export function disconnected(c: StoredCall | null, conn: string, now: number): Step {
  const mine = participantByConn(c, conn);
  if (!c || !mine || mine.goneSince !== null) return { call: c };
  return { call: { ...c, participants: c.participants.map((p) => (p === mine ? { ...p, goneSince: now } : p)) } };
}

/**
 * A person is no longer a member of the room (removed, or left it): out of the
 * call at once, and no longer rung. Their sockets are closed; there is no coming back.
 */
export function removed(c: StoredCall | null, userId: string, now: number): Step {
  if (!c || (!c.ringing.includes(userId) && !c.participants.some((p) => p.id === userId))) return { call: c };
  const next = { ...c, participants: c.participants.filter((p) => p.id !== userId), ringing: c.ringing.filter((u) => u !== userId) };
  const s = settle(next, now, []);
  if (s.call !== null && next.answeredAt === null && next.ringing.length === 0) return end(next, "missed", now);
  return s;
}

/** The alarm: removes participants gone for PEER_GONE_MS, and stops ringing (missed when unanswered). */
export function tick(c: StoredCall | null, now: number): Step {
  if (!c) return { call: c };
  let call = c;
  const expired = call.participants.filter((p) => p.goneSince !== null && now - p.goneSince >= PEER_GONE_MS);
  if (expired.length > 0) {
    const next = { ...call, participants: call.participants.filter((p) => !expired.includes(p)) };
    const s = settle(next, now, []);
    if (s.call === null) return s;
    call = s.call;
  }
  if (now >= call.ringUntil) {
    if (call.answeredAt === null) return end(call, "missed", now);
    if (call.ringing.length > 0) call = { ...call, ringing: [] };
  }
  return { call };
}

/**
 * Where an `rtc` frame from `who` to user `to` goes: the connection `to` is in
 * the call with, or null when that participant is away right now (dropped).
 */
export function rtcTarget(c: StoredCall | null, who: Sender, callId: string, to: string): { conn: string | null } | CallError {
  const call = check(c, callId);
  if (isErr(call)) return call;
  if (!participantByConn(call, who.conn)) return { code: CallErrorCode.NOT_IN_CALL, message: "you are not in this call" };
  const target = call.participants.find((p) => p.id === to);
  if (!target || to === who.id) return { code: CallErrorCode.NOT_IN_CALL, message: "that person is not in this call" };
  return { conn: target.goneSince === null ? target.conn : null };
}
