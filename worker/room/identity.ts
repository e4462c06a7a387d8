/**
 * The identity the Worker verified, as it travels to a room object or the user's
 * hub. The object trusts these headers only because the Worker builds the
 * forwarded request from scratch: nothing the client sent is copied into it.
 */
import type { Peer } from "../protocol";

const H = { uid: "x-chat-uid", name: "x-chat-name", sid: "x-chat-sid", until: "x-chat-session-until", room: "x-chat-room", since: "x-chat-member-since", receipts: "x-chat-receipts", dm: "x-chat-dm" } as const;

/** A signed-in person and the session they came with (the session id tags their sockets). */
export interface UserIdentity extends Peer {
  sid: string;
  /**
   * When the session ends unless used again (sessionDeadline in auth/session.ts), as of the
   * upgrade: the socket is closed as signed out once it passes.
   */
  until: number;
}

export interface Identity extends UserIdentity {
  room: string;
  /** When the membership the Worker checked began (joined_at, ms). */
  memberSince: number;
  /** "Send read receipts" is off: the room shows them no one's reads, and nobody theirs. */
  hidesReads?: boolean;
  /** The room is a DM (deliveries are tracked only there: receipts.ts). */
  dm?: boolean;
}

/** A fresh upgrade request for a room object (with `room`) or a user hub, carrying only verified values. */
export function upgradeRequest(url: string, who: UserIdentity | Identity): Request {
  const headers: Record<string, string> = {
    Upgrade: "websocket",
    [H.uid]: who.id,
    // Header values must be ByteStrings; names may be any Unicode.
    [H.name]: encodeURIComponent(who.name),
    [H.sid]: who.sid,
    [H.until]: String(who.until),
  };
  if ("room" in who) {
    headers[H.room] = who.room;
    headers[H.since] = String(who.memberSince);
    if (who.hidesReads) headers[H.receipts] = "0";
    if (who.dm) headers[H.dm] = "1";
  }
  return new Request(url, { headers });
}

/** The session a socket was opened with has ended by `now` (`exp`: its `until` as of the upgrade). */
export const sessionOver = (a: { exp: number }, now: number): boolean => a.exp <= now;

export function userIdentityFrom(req: Request): UserIdentity | null {
  const id = req.headers.get(H.uid);
  const name = req.headers.get(H.name);
  const sid = req.headers.get(H.sid);
  const until = Number(req.headers.get(H.until) ?? NaN);
  if (!id || name === null || !sid || !Number.isSafeInteger(until)) return null;
  return { id, name: decodeURIComponent(name), sid, until };
}

export function identityFrom(req: Request): Identity | null {
  const who = userIdentityFrom(req);
  const room = req.headers.get(H.room);
  const since = Number(req.headers.get(H.since) ?? NaN);
  if (!who || !room || !Number.isSafeInteger(since)) return null;
  return {
    ...who,
    room,
    memberSince: since,
    ...(req.headers.get(H.receipts) === "0" ? { hidesReads: true } : {}),
    ...(req.headers.get(H.dm) === "1" ? { dm: true } : {}),
  };
}

/** Socket tags (≤ 10 per socket, ≤ 256 chars each): find a user's or a session's sockets. */
export const userTag = (uid: string) => `u:${uid}`;
export const sessionTag = (sid: string) => `s:${sid}`;
/** One connection (the room gives every socket its own id): a call participant is a connection. */
export const connTag = (conn: string) => `c:${conn}`;
