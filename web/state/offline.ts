/**
 * What the app shows when it opens without a network: the last signed-in person, their
 * conversation list, and the recent messages of the rooms they opened last. All of it is
 * written to localStorage (storage.ts: never throws) as the app gets it from the server, and
 * read only when a request got no answer at all (status 0): online, the server's answer is
 * what shows, never this.
 *
 * Never the previous person's: everything is cleared when the session ends here (sign-out,
 * a 401, a socket closed with 4001: the app's session becomes null), every key but the
 * person's own carries their user id, and data is written only for the person this device
 * remembers (a sign-in as someone else clears the previous person's first).
 *
 *   chat:offline:me                  the signed-in person (Me)
 *   chat:offline:rooms:<uid>         their room list (RoomSummary[])
 *   chat:offline:room:<uid>:<room>   a room's details and members, and its last KEEP_MESSAGES messages
 *   chat:offline:recent:<uid>        the rooms kept, newest first (at most KEEP_ROOMS)
 *
 * Bump the `offline` in the keys if a stored shape changes incompatibly (an old shape fails
 * to parse and is ignored anyway).
 */
import * as v from "valibot";
import { MeSchema, MemberSchema, MessageSchema, RoomDetailSchema, RoomSummarySchema, type Me, type Member, type Message, type RoomDetail, type RoomSummary } from "../../worker/protocol";
import { getParsed, removeAll, set } from "./storage";

/** The newest messages kept per room, and how many rooms keep theirs. */
export const KEEP_MESSAGES = 50;
export const KEEP_ROOMS = 5;
/**
 * At most this many characters per room (fewer of its newest messages when long ones would
 * go over; members beyond KEEP_MEMBERS are left out): five rooms stay far below the browser's
 * ~5 MB of localStorage, which the outbox (what the person wrote and is not sent yet) shares.
 */
export const KEEP_ROOM_CHARS = 200_000;
export const KEEP_MEMBERS = 200;

const PREFIX = "chat:offline:";
const meKey = `${PREFIX}me`;
const roomsKey = (uid: string) => `${PREFIX}rooms:${uid}`;
const roomKey = (uid: string, roomId: string) => `${PREFIX}room:${uid}:${roomId}`;
const recentKey = (uid: string) => `${PREFIX}recent:${uid}`;

const StoredRoom = v.object({
  room: v.object({ room: RoomDetailSchema, members: v.array(MemberSchema) }),
  messages: v.array(MessageSchema),
});
export type StoredRoom = v.InferOutput<typeof StoredRoom>;

/** Everything this module stored, whoever it was for: the session ended here. */
export const forgetDevice = () => removeAll([PREFIX]);

/** The person the device remembers (the last one signed in here), if any. */
export const rememberedUser = (): Me | null => getParsed(meKey, MeSchema);

/** The server confirmed `me`: remember them; someone else signed in before clears that person's data first. */
export function rememberUser(me: Me): void {
  if (rememberedUser()?.id !== me.id) forgetDevice();
  set(meKey, JSON.stringify(me));
}

/** Writes only for the person remembered: a write that comes after a sign-out (or for another person) does nothing. */
function forRemembered(uid: string, write: () => void): void {
  if (rememberedUser()?.id === uid) write();
}

export const saveRooms = (uid: string, rooms: readonly RoomSummary[]) => forRemembered(uid, () => set(roomsKey(uid), JSON.stringify(rooms)));

export const loadRooms = (uid: string): RoomSummary[] | null => getParsed(roomsKey(uid), v.array(RoomSummarySchema));

/** Keeps room `room`'s details and newest messages; it becomes the most recent, and the oldest beyond KEEP_ROOMS go. */
export function saveRoom(uid: string, room: { room: RoomDetail; members: readonly Member[] }, messages: readonly Message[]): void {
  forRemembered(uid, () => {
    const id = room.room.id;
    const recent = [id, ...recentRooms(uid).filter((r) => r !== id)];
    for (const old of recent.slice(KEEP_ROOMS)) set(roomKey(uid, old), null);
    set(recentKey(uid), JSON.stringify(recent.slice(0, KEEP_ROOMS)));
    const details = { room: room.room, members: room.members.slice(0, KEEP_MEMBERS) };
    let kept = messages.slice(-KEEP_MESSAGES);
    let json = JSON.stringify({ room: details, messages: kept });
    while (json.length > KEEP_ROOM_CHARS && kept.length > 0) {
      kept = kept.slice(Math.ceil(kept.length / 2));
      json = JSON.stringify({ room: details, messages: kept });
    }
    set(roomKey(uid, id), json.length > KEEP_ROOM_CHARS ? null : json);
  });
}

export const loadRoom = (uid: string, roomId: string): StoredRoom | null => getParsed(roomKey(uid, roomId), StoredRoom);

/** A room we were removed from, left or deleted: its messages go. */
export function forgetRoom(uid: string, roomId: string): void {
  set(roomKey(uid, roomId), null);
  const recent = recentRooms(uid);
  if (recent.includes(roomId)) set(recentKey(uid), JSON.stringify(recent.filter((r) => r !== roomId)));
}

const recentRooms = (uid: string): string[] => getParsed(recentKey(uid), v.array(v.string())) ?? [];

/**
 * Coalesces writes: `write` runs once, `ms` after the first schedule() since the last write, and
 * at once when the page is hidden or goes away (a reload must find the latest). cancel() drops
 * what is scheduled and stops listening.
 */
export function laterWrite(write: () => void, ms = 1000) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    write();
  };
  const onHide = () => {
    if (document.visibilityState === "hidden") flush();
  };
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", onHide);
  return {
    schedule() {
      timer ??= setTimeout(flush, ms);
    },
    flush,
    cancel() {
      clearTimeout(timer);
      timer = undefined;
      window.removeEventListener("pagehide", flush);
      document.removeEventListener("visibilitychange", onHide);
    },
  };
}
