/**
 * What the room logic asks the room object to do. The logic modules (messages,
 * presence, calls, flush) read and write the room's storage through `RoomStore`
 * (synchronous, like the Durable Object's SQLite) and are given the time; everything
 * that reaches the outside — sockets, other objects, the alarm — they return as
 * effects, which the adapter (chat-room.ts) carries out in order. So the logic runs
 * in Node against an in-memory store, and a test reads the effects instead of sockets.
 */
import type { ErrorCode, LastMessage, Message, ServerFrame } from "../protocol";
import type { CallMedia, Peer } from "../protocol";
import type { MentionRow } from "./store/room-store";

/** Who a socket is and which connection it is (a call participant is a connection). */
export interface Conn {
  uid: string;
  name: string;
  conn: string;
  /** When this person's membership of the room began (ms); absent on sockets older than this field. */
  since?: number;
}

/** Where a frame goes. */
export type To =
  | { all: true; except?: string }
  | { conn: string }
  /** Every socket of each of these people and of these connections, each socket once. */
  | { users: readonly string[]; conns?: readonly string[] };

/** What the members' hubs (their own channels: the sidebar, rings) are told. */
export type HubNotice =
  | { type: "activity"; lastSeq: number; lastMessage: LastMessage; mentioned?: MentionRow[] }
  | { type: "ring"; callId: string; media: CallMedia; caller: Peer }
  | { type: "ring_ended"; callId: string }
  /** The room's details changed (renamed, …): the sidebar refetches the list. */
  | { type: "rooms" };

export type Effect =
  /** One frame, serialized once, to the sockets `to` names. */
  | { type: "frame"; to: To; frame: ServerFrame }
  /**
   * An `error` frame to one connection. `strike`: it counts against the socket (invalid
   * or flooding input); an honest frame that was only early does not.
   */
  | { type: "reject"; conn: string; code: ErrorCode; message: string; cid?: string; req?: string; retryMs?: number; strike: boolean }
  /** A stored message for everyone (coalesced with others under load). */
  | { type: "publish"; message: Message }
  /** Who came online and who left, for everyone (coalesced under load, the last change per person winning). */
  | { type: "presence"; joined: Peer[]; left: string[]; except?: string }
  /** Close these connections (the logic has told the others already). */
  | { type: "close"; conns: readonly string[]; code: number; reason: string }
  /** Tell these people's hubs (best effort, in order per room, off the message path). */
  | { type: "hub"; users: readonly string[]; notice: HubNotice }
  /** New work for the flush (messages, reactions, deletions) is in storage. */
  | { type: "flush" }
  /** The logic needs the alarm no later than `at` (a call's ring timeout or grace period). */
  | { type: "alarm"; at: number };

export const frameTo = (to: To, frame: ServerFrame): Effect => ({ type: "frame", to, frame });

export function reject(
  conn: string,
  code: ErrorCode,
  message: string,
  ids: { cid?: string | undefined; req?: string | undefined; retryMs?: number } = {},
  strike = true,
): Effect {
  return {
    type: "reject",
    conn,
    code,
    message,
    ...(ids.cid === undefined ? {} : { cid: ids.cid }),
    ...(ids.req === undefined ? {} : { req: ids.req }),
    ...(ids.retryMs === undefined ? {} : { retryMs: ids.retryMs }),
    strike,
  };
}
