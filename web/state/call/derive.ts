/**
 * What the room's call means to us, given our side of it (the session): pure functions the
 * call model wraps in computed values, and which the room's call stand-in (room-call.ts)
 * uses with an idle session before the call code has loaded.
 */
import type { CallState } from "../../../worker/protocol";
import type { Session } from "./session";

/** Our session before anything happened (session.ts's IDLE; the reducer lives in the call chunk). */
export const IDLE_SESSION: Session = { phase: "idle", last: null };

/**
 * The room's call ringing us, unless we are in it, are answering it, or declined it (or
 * answered busy).
 */
export function ringingUs(c: CallState | null, me: string, s: Session, dismissed: ReadonlySet<string>): CallState | null {
  if (!c || !c.ringing.includes(me) || dismissed.has(c.id)) return null;
  if (s.phase === "joined" && s.callId === c.id) return null;
  if (s.phase === "preparing" && s.action.kind !== "start" && s.action.callId === c.id) return null;
  return c;
}

/** A running call we are not in and not rung for (the header's "Join call"). */
export function joinableCall(c: CallState | null, me: string, s: Session): CallState | null {
  if (!c || (s.phase !== "idle" && s.phase !== "ended") || c.ringing.includes(me)) return null;
  return c;
}

/** We are in the room's call from another tab or device ("Join here"). */
export function inCallElsewhere(c: CallState | null, me: string, s: Session): boolean {
  return !!c && s.phase !== "joined" && c.participants.some((p) => p.id === me);
}
