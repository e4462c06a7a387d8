/**
 * What ends a room view, and how each cause is told: a close code that stops the socket
 * for good, or an HTTP failure on the room's own endpoints.
 */
import { Close } from "../../../worker/protocol";
import type { ApiFailure } from "../../api";

/**
 * Something that ends the room view. `removed`, `deleted` (and, when the page could not
 * open the room at all, `forbidden` and `not_found`) replace the room with a message;
 * `unauthorized` signs the app out; `closed` is a banner over the room.
 */
export type RoomProblem = {
  kind: "not_found" | "unauthorized" | "forbidden" | "removed" | "deleted" | "closed";
  message: string;
};

export const NOT_MEMBER = "You are not a member of this room; ask for an invite link.";

const SIGNED_OUT: RoomProblem = { kind: "unauthorized", message: "You were signed out." };
const REMOVED: RoomProblem = { kind: "removed", message: "You were removed from this room" };
const DELETED: RoomProblem = { kind: "deleted", message: "This room was deleted" };

const CLOSE_PROBLEMS: Readonly<Record<number, RoomProblem>> = {
  [Close.UNAUTHORIZED]: SIGNED_OUT,
  [Close.PROTOCOL_VERSION]: { kind: "closed", message: "This page is out of date. Reload to get the latest version." },
  [Close.FORBIDDEN]: REMOVED,
  [Close.ROOM_GONE]: DELETED,
  [Close.TOO_MANY_CONNECTIONS]: {
    kind: "closed",
    message: "This room is open in too many other tabs or windows, so this one was disconnected. Reload to use it here.",
  },
  [Close.POLICY]: { kind: "closed", message: "Disconnected: too many messages, or a message that was too large. Reload to reconnect." },
};

/** What a close code means for the room, if it ends it. */
export function closeProblem(code: number): RoomProblem | null {
  return CLOSE_PROBLEMS[code] ?? null;
}

/**
 * What an HTTP failure on the room's own endpoints means for the room we have open, if it
 * ends it. We were a member when we opened it: a 404 now means it was deleted, a 403 that
 * we were removed (whichever reaches us first, this or the socket's close code).
 */
export function problemOf(r: ApiFailure): RoomProblem | null {
  if (r.status === 401) return SIGNED_OUT;
  if (r.status === 403) return REMOVED;
  if (r.status === 404) return DELETED;
  return null;
}
