/**
 * Audio/video calls: the signaling half of the room protocol. Calls are
 * peer-to-peer WebRTC (full mesh, ≤ CALL_MAX_PARTICIPANTS); the room's Durable
 * Object is the signaling server. It keeps the call's state in storage, rings,
 * times out by alarm, and relays SDP and ICE candidates only between the
 * participants of that call (never broadcast).
 *
 * A participant is one connection (one tab), not a person: a second tab of the
 * same person is not in the call and gets no signaling.
 */
import * as v from "valibot";
import { ReqIdSchema } from "./limits";

export const CALL_MAX_PARTICIPANTS = 4;
/** An unanswered call rings this long, then it is missed. */
export const RING_TIMEOUT_MS = 30_000;
/** A participant whose connection dropped has this long to come back before they leave the call. */
export const PEER_GONE_MS = 15_000;
/**
 * A call cancelled this soon after it started leaves no line in the history: a misdial
 * says nothing worth keeping, and a loop of start and hang-up would fill the history.
 */
export const QUIET_CANCEL_MS = 2000;

export const CallMediaSchema = v.picklist(["audio", "video"]);
export type CallMedia = v.InferOutput<typeof CallMediaSchema>;

const CallId = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const UserId = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
const Req = { req: v.optional(ReqIdSchema) };

/** What each participant is sending, shown to the others. */
export const MediaStateSchema = v.object({ audio: v.boolean(), video: v.boolean(), screen: v.boolean() });
export type MediaState = v.InferOutput<typeof MediaStateSchema>;

export const CallParticipantSchema = v.object({
  id: v.string(),
  name: v.string(),
  ...MediaStateSchema.entries,
  joinedAt: v.number(),
  /** Set while this participant's connection is down (they have PEER_GONE_MS to return). */
  goneSince: v.nullable(v.number()),
});
export type CallParticipant = v.InferOutput<typeof CallParticipantSchema>;

/** The room's current call, as every member's client sees it. */
export const CallStateSchema = v.object({
  id: v.string(),
  media: CallMediaSchema,
  caller: v.object({ id: v.string(), name: v.string() }),
  startedAt: v.number(),
  /** When the first callee accepted; null while ringing. */
  answeredAt: v.nullable(v.number()),
  participants: v.array(CallParticipantSchema),
  /** User ids being rung right now (their clients show the incoming-call banner). */
  ringing: v.array(v.string()),
});
export type CallState = v.InferOutput<typeof CallStateSchema>;

export const CallOutcomeSchema = v.picklist(["completed", "missed", "declined", "cancelled", "busy"]);
export type CallOutcome = v.InferOutput<typeof CallOutcomeSchema>;

/** Attached to the history message a call leaves behind ("Video call · 3:12", "Missed audio call from …"). */
export const CallSummarySchema = v.object({
  id: v.string(),
  media: CallMediaSchema,
  outcome: CallOutcomeSchema,
  /** From answer to end; 0 when never answered. */
  durationMs: v.number(),
});
export type CallSummary = v.InferOutput<typeof CallSummarySchema>;

export const SessionDescriptionSchema = v.object({
  type: v.picklist(["offer", "answer", "rollback"]),
  sdp: v.pipe(v.string(), v.maxLength(12_000)),
});
export const IceCandidateSchema = v.object({
  candidate: v.pipe(v.string(), v.maxLength(1000)),
  sdpMid: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(64)))),
  sdpMLineIndex: v.optional(v.nullable(v.number())),
  usernameFragment: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(256)))),
});

// ── client → server ────────────────────────────────────────────────────────────

export const CallClientFrames = [
  /** Start a call in this room: rings every other member who is online. Error `call_exists` if one is running. */
  v.object({ type: v.literal("call.start"), media: CallMediaSchema, ...Req }),
  /** Answer a call that is ringing you. */
  v.object({ type: v.literal("call.accept"), callId: CallId, ...Req }),
  /** Join a call already running in the room (group rooms); error `call_full` at CALL_MAX_PARTICIPANTS. */
  v.object({ type: v.literal("call.join"), callId: CallId, ...Req }),
  /** Refuse a call that is ringing you. */
  v.object({ type: v.literal("call.decline"), callId: CallId, ...Req }),
  /** Sent automatically by a client that is already in another call when this one rings it. */
  v.object({ type: v.literal("call.busy"), callId: CallId, ...Req }),
  /** Leave the call (the caller before anyone answered: cancel it). */
  v.object({ type: v.literal("call.hangup"), callId: CallId, ...Req }),
  /** Mute / camera / screen-share state, shown to the others. */
  v.object({ type: v.literal("call.media"), callId: CallId, ...MediaStateSchema.entries, ...Req }),
  /** Signaling to one other participant: an SDP description or an ICE candidate (null: end of candidates). */
  v.object({
    type: v.literal("rtc"),
    callId: CallId,
    to: UserId,
    description: v.optional(SessionDescriptionSchema),
    candidate: v.optional(v.nullable(IceCandidateSchema)),
  }),
] as const;

// ── server → client ────────────────────────────────────────────────────────────

export const CallServerFrames = [
  /** The room's call changed (or ended: null). Sent to every socket in the room, and after `welcome`. */
  v.object({ type: v.literal("call"), call: v.nullable(CallStateSchema) }),
  /**
   * Why a call ended, for its caller, participants and those it was ringing:
   * "declined" / "busy" / "missed" / "cancelled" / "completed" (hung up, or the last other
   * participant left or was gone for PEER_GONE_MS).
   */
  v.object({
    type: v.literal("call.ended"),
    callId: v.string(),
    outcome: CallOutcomeSchema,
    /** Who declined / was busy, when that ended it. */
    by: v.optional(v.object({ id: v.string(), name: v.string() })),
  }),
  /** Signaling relayed from another participant of the same call. */
  v.object({
    type: v.literal("rtc"),
    callId: v.string(),
    from: v.string(),
    description: v.optional(SessionDescriptionSchema),
    candidate: v.optional(v.nullable(IceCandidateSchema)),
  }),
] as const;

export const CallErrorCode = {
  CALL_EXISTS: "call_exists",
  CALL_FULL: "call_full",
  NO_SUCH_CALL: "no_such_call",
  NOT_IN_CALL: "not_in_call",
  NOT_RINGING: "not_ringing",
  NOBODY_TO_CALL: "nobody_to_call",
} as const;

// ── ICE servers (GET /api/turn) ─────────────────────────────────────────────────

export const IceServersResponse = v.object({
  iceServers: v.array(
    v.object({
      urls: v.union([v.string(), v.array(v.string())]),
      username: v.optional(v.string()),
      credential: v.optional(v.string()),
    }),
  ),
  /** "relay" forces TURN (configuration FORCE_RELAY, for tests and strict networks). */
  iceTransportPolicy: v.picklist(["all", "relay"]),
  /** Seconds the TURN credentials stay valid; fetch anew before each call. */
  ttl: v.number(),
});
export type IceServersResponse = v.InferOutput<typeof IceServersResponse>;
