/**
 * The identity the Worker verified, as it travels to the room object. The room
 * trusts these headers only because the Worker builds the forwarded request from
 * scratch: nothing the client sent is copied into it.
 */
import type { Peer } from "../protocol";

const H = { uid: "x-chat-uid", name: "x-chat-name", room: "x-chat-room" } as const;

export interface Identity extends Peer {
  room: string;
}

/** A fresh upgrade request for the room object, carrying only verified values. */
export function upgradeRequest(url: string, who: Identity): Request {
  return new Request(url, {
    headers: {
      Upgrade: "websocket",
      [H.uid]: who.id,
      // Header values must be ByteStrings; names may be any Unicode.
      [H.name]: encodeURIComponent(who.name),
      [H.room]: who.room,
    },
  });
}

export function identityFrom(req: Request): Identity | null {
  const id = req.headers.get(H.uid);
  const name = req.headers.get(H.name);
  const room = req.headers.get(H.room);
  if (!id || name === null || !room) return null;
  return { id, name: decodeURIComponent(name), room };
}
