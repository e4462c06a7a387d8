/**
 * Our side of the room's call, as a pure reducer: every event (a person's action, a frame
 * from the room, media ready) takes the session and returns the next one plus the effects
 * the model must carry out (frames to send, media to release, peers to connect). No I/O,
 * no timers, no randomness: request ids come in with the events that send tracked actions.
 *
 * It mirrors the room's state machine (worker/room/call.ts), seen from one connection:
 *
 *   idle ──prepare──▶ preparing ──prepared──▶ starting (call.start sent, no id yet)
 *    ▲ ▲                  │                      │ the call frame with us as caller
 *    │ └───── failed ─────┘  (accept/join) ───▶ joined ◀┘
 *    │                                           │ call.ended / the call gone / refused / room gone
 *    └──── outcome_shown ──── ended ◀────────────┘
 *
 * `cancelling`: hung up while call.start was on its way; the call is hung up as soon as its
 * id comes (the person already sees idle). The server's answers to our actions are matched by
 * `req`: an `error` echoing the req of our start/accept/join refuses it; nothing is timed.
 */
import { CallErrorCode, type CallMedia, type CallOutcome, type CallState } from "../../../worker/protocol";
import { IDLE_SESSION as IDLE } from "./derive";
import type { CallActionFrame } from "./ports";

/** What we are getting media for: start a call, accept one ringing us, or join a running one. */
export type Action = { kind: "start"; media: CallMedia } | { kind: "accept" | "join"; callId: string; media: CallMedia };

/** Each other participant as the last `call` frame showed them (to tell who came back). */
export type RosterEntry = { id: string; joinedAt: number; gone: boolean };

export type Session =
  /** `last`: the call we were last in (its `call.ended` may come after we left it). */
  | { phase: "idle"; last: string | null }
  /** Getting camera/mic and ICE servers for `action`. */
  | { phase: "preparing"; action: Action }
  /** call.start sent (`req`), waiting for the call with us as its caller. */
  | { phase: "starting"; media: CallMedia; req: string }
  /** Hung up before call.start was answered: hang the call up once it shows. */
  | { phase: "cancelling"; req: string }
  /**
   * In call `callId` (ringing the others, connecting or connected). `req`: our accept/join
   * (or rejoin) the room may still refuse. `rejoin`: our socket came back, re-sync on the
   * next `call` frame.
   */
  | { phase: "joined"; callId: string; req: string | null; rejoin: boolean; roster: readonly RosterEntry[] }
  /** The call is over; `outcome` is shown for a moment. */
  | { phase: "ended"; last: string | null; outcome: CallOutcome; by?: string };

export type Effect =
  /** Send this action (the model gives it a fresh `req` if it has none). */
  | { kind: "send"; frame: CallActionFrame }
  /** Send our mute/camera/screen state (call.media). */
  | { kind: "announce" }
  /** Take the page's one-call lock (other rooms answer busy). */
  | { kind: "lock" }
  /** Close every peer connection, stop every track, release the lock. */
  | { kind: "release" }
  /** Tell the person something, for a moment. */
  | { kind: "notice"; text: string }
  /** Renegotiate with an ICE restart (signaling may have been lost): these peers, or all. */
  | { kind: "renegotiate"; peers: readonly string[] | "all" }
  /** One peer per other participant: close the others' connections; `connect`: open missing ones. */
  | { kind: "peers"; keep: readonly string[]; connect: boolean }
  /** Close every peer connection (we rejoin as a new participant: the others start afresh). */
  | { kind: "close_peers" };

export type Step = { session: Session; effects: Effect[] };

export type SessionEvent =
  | { type: "prepare"; action: Action }
  /** Media and ICE servers are ready; `call` is the room's call now. */
  | { type: "prepared"; req: string; call: CallState | null; me: string }
  /** Getting media failed, or was given up. */
  | { type: "unprepared" }
  /** A tracked action could not be sent (not connected). */
  | { type: "unsent"; req: string }
  | { type: "call"; call: CallState | null; me: string }
  | { type: "ended"; callId: string; outcome: CallOutcome; by?: string }
  | { type: "refused"; req: string; code: string; message: string }
  | { type: "hangup" }
  /** Our socket (re)joined the room; `req` for the call.join that re-binds us. */
  | { type: "welcome"; req: string }
  /** The room is over for us. */
  | { type: "gone" }
  | { type: "outcome_shown" };

export { IDLE };

const NOT_CONNECTED = "Not connected. Try again when the room is back online.";
const CALL_OVER = "That call has ended";

/** A person's words for the room refusing a call action. */
export function refusalText(code: string, message: string): string {
  switch (code) {
    case CallErrorCode.CALL_FULL:
      return "Call is full";
    case CallErrorCode.CALL_EXISTS:
      return "A call is already running in this room";
    case CallErrorCode.NOBODY_TO_CALL:
      return "Nobody else is here to call";
    case CallErrorCode.NO_SUCH_CALL:
    case CallErrorCode.NOT_RINGING:
      return CALL_OVER;
    default:
      return message;
  }
}

const same = (session: Session): Step => ({ session, effects: [] });

export function reduce(s: Session, e: SessionEvent): Step {
  switch (e.type) {
    case "prepare":
      // One thing at a time: a call being prepared, started or in progress refuses another.
      if (s.phase !== "idle" && s.phase !== "ended") return same(s);
      return same({ phase: "preparing", action: e.action });

    case "prepared": {
      if (s.phase !== "preparing") return same(s);
      const a = s.action;
      if (a.kind === "start") {
        return {
          session: { phase: "starting", media: a.media, req: e.req },
          effects: [{ kind: "send", frame: { type: "call.start", media: a.media, req: e.req } }, { kind: "lock" }],
        };
      }
      // The call went away while the browser asked for the camera.
      if (e.call?.id !== a.callId) return { session: IDLE, effects: [{ kind: "release" }, { kind: "notice", text: CALL_OVER }] };
      return {
        session: { phase: "joined", callId: a.callId, req: e.req, rejoin: false, roster: roster(e.call, e.me) },
        effects: [
          { kind: "send", frame: { type: a.kind === "accept" ? "call.accept" : "call.join", callId: a.callId, req: e.req } },
          { kind: "lock" },
          { kind: "announce" },
          ...sync(e.call, [], e.me),
        ],
      };
    }

    case "unprepared":
      return s.phase === "preparing" ? { session: IDLE, effects: [{ kind: "release" }] } : same(s);

    case "unsent":
      if ((s.phase === "starting" || s.phase === "joined") && s.req === e.req) {
        return { session: IDLE, effects: [{ kind: "release" }, { kind: "notice", text: NOT_CONNECTED }] };
      }
      return same(s);

    case "call":
      return onCall(s, e.call, e.me);

    case "ended":
      switch (s.phase) {
        case "joined":
          if (e.callId !== s.callId) return same(s);
          break;
        // The call ended before its id reached us (the room found nobody to ring).
        case "starting":
          break;
        case "idle":
        case "ended":
          // We left it already (hung up); now it says how it ended.
          if (e.callId !== s.last) return same(s);
          return same(ended(s.last, e.outcome, e.by));
        default:
          return same(s);
      }
      return { session: ended(e.callId, e.outcome, e.by), effects: [{ kind: "release" }] };

    case "refused":
      if (s.phase === "cancelling" && s.req === e.req) return same(IDLE);
      if ((s.phase === "starting" || s.phase === "joined") && s.req === e.req) {
        // The room did not take our start/accept/join: we are not in its call.
        return { session: IDLE, effects: [{ kind: "release" }, { kind: "notice", text: refusalText(e.code, e.message) }] };
      }
      return same(s);

    case "hangup":
      switch (s.phase) {
        case "joined":
          return {
            session: { phase: "idle", last: s.callId },
            effects: [{ kind: "send", frame: { type: "call.hangup", callId: s.callId } }, { kind: "release" }],
          };
        case "starting":
          return { session: { phase: "cancelling", req: s.req }, effects: [{ kind: "release" }] };
        case "preparing":
          return { session: IDLE, effects: [{ kind: "release" }] };
        default:
          return same(s);
      }

    case "welcome":
      // The room re-binds us to the new socket; it refuses (by req) if the call ended meanwhile.
      if (s.phase !== "joined") return same(s);
      return {
        session: { ...s, req: e.req, rejoin: true },
        effects: [{ kind: "send", frame: { type: "call.join", callId: s.callId, req: e.req } }],
      };

    case "gone":
      // No more signaling can come: the call ends here too (camera and mic released).
      if (s.phase === "cancelling") return same(IDLE);
      if (s.phase !== "joined" && s.phase !== "preparing" && s.phase !== "starting") return same(s);
      return { session: ended(s.phase === "joined" ? s.callId : null, "completed"), effects: [{ kind: "release" }] };

    case "outcome_shown":
      return s.phase === "ended" ? same({ phase: "idle", last: s.last }) : same(s);
  }
}

function ended(last: string | null, outcome: CallOutcome, by?: string): Session {
  return by === undefined ? { phase: "ended", last, outcome } : { phase: "ended", last, outcome, by };
}

function onCall(s: Session, c: CallState | null, me: string): Step {
  switch (s.phase) {
    case "preparing": {
      // Answering a call that stopped ringing (or ended) while the browser asked: forget it.
      const a = s.action;
      if (a.kind !== "start" && c?.id !== a.callId) return { session: IDLE, effects: [{ kind: "release" }] };
      return same(s);
    }
    case "cancelling":
      // Ours: the first call whose caller is us after our call.start.
      if (c && c.caller.id === me) return { session: IDLE, effects: [{ kind: "send", frame: { type: "call.hangup", callId: c.id } }] };
      return same(s);
    case "starting": {
      if (!c || c.caller.id !== me) return same(s);
      const joined: Session = { phase: "joined", callId: c.id, req: null, rejoin: false, roster: [] };
      const next = onCall(joined, c, me);
      return { session: next.session, effects: [{ kind: "announce" }, ...next.effects] };
    }
    case "joined": {
      if (!c || c.id !== s.callId) {
        // Ended (call.ended normally says why first, and we are no longer here) or replaced.
        return { session: ended(s.callId, "completed"), effects: [{ kind: "release" }] };
      }
      const effects: Effect[] = [];
      if (s.rejoin) {
        // Out of the call meanwhile (gone too long): our join makes us a new participant,
        // and the others start afresh with us.
        if (!c.participants.some((p) => p.id === me)) effects.push({ kind: "close_peers" });
        effects.push({ kind: "announce" }, { kind: "renegotiate", peers: "all" });
      }
      effects.push(...sync(c, s.roster, me));
      return { session: { ...s, rejoin: false, roster: roster(c, me) }, effects };
    }
    default:
      return same(s);
  }
}

const roster = (c: CallState, me: string): RosterEntry[] =>
  c.participants.filter((p) => p.id !== me).map((p) => ({ id: p.id, joinedAt: p.joinedAt, gone: p.goneSince !== null }));

/**
 * One peer per other participant, no more. Someone whose connection dropped is back: what
 * we sent them meanwhile was lost (the room drops signaling to an absent participant), so
 * negotiate afresh. So is someone whose connection is new (joinedAt changes when the room
 * re-binds them: after a reconnect, or the call moved to another tab of theirs; a new tab is
 * a new endpoint, which the peer notices by its fingerprint).
 */
function sync(c: CallState, before: readonly RosterEntry[], me: string): Effect[] {
  const now = roster(c, me);
  const back = now
    .filter((p) => {
      const was = before.find((b) => b.id === p.id);
      return !p.gone && was !== undefined && (was.gone || was.joinedAt !== p.joinedAt);
    })
    .map((p) => p.id);
  const effects: Effect[] = [{ kind: "peers", keep: now.map((p) => p.id), connect: c.answeredAt !== null }];
  if (back.length) effects.splice(0, 0, { kind: "renegotiate", peers: back });
  return effects;
}

export type Phase = "idle" | "preparing" | "ringing" | "connecting" | "active";

/** What the call view shows, from the session, the room's call and whether any peer is connected. */
export function phaseOf(s: Session, c: CallState | null, me: string, connected: boolean): Phase {
  switch (s.phase) {
    case "preparing":
      return "preparing";
    case "starting":
      return "ringing";
    case "joined": {
      const current = c?.id === s.callId ? c : null;
      if (!current || current.answeredAt === null) return current?.caller.id === me ? "ringing" : "connecting";
      return connected ? "active" : "connecting";
    }
    default:
      return "idle";
  }
}

/** The call we are in (the room's call, while its id is ours). */
export const joinedCall = (s: Session, c: CallState | null): CallState | null => (s.phase === "joined" && c?.id === s.callId ? c : null);
