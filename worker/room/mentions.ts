/**
 * Mentions inside the room (protocol/mentions.ts has the token format): the ids a message
 * mentions must be members of the room, and `@room` in a room of more than
 * ROOM_MENTION_OPEN_UP_TO members is its owner's alone. Checked against the room's own
 * member list (the store's `members` table), never D1 on the message path.
 *
 * The member list: loaded from D1 once (chat-room.ts, before the first message with mentions,
 * with the room's other events held back meanwhile), then kept here: a removal (`kick`)
 * takes the person off at once, an upgrade adds the member the Worker just let in, and a
 * join by invite (`membersChanged`) marks it stale, so the next message with mentions
 * reloads it. A mention of someone the list does not hold reloads it too, at most once
 * per MEMBERS_RECHECK_MS, before the message is refused (a join whose notice was lost).
 */
import { ErrorCode, MENTION_ROOM, ROOM_MENTION_OPEN_UP_TO, mentionsUser } from "../protocol";
import { reject, type Conn, type Effect } from "./effects";
import type { MentionRow, RoomStore } from "./store/room-store";

/** Least time between two reloads of the member list caused by mentions of non-members. */
export const MEMBERS_RECHECK_MS = 30_000;

/** A send or an edit, as far as its mentions go. */
type Mentioning = { readonly mentions?: readonly string[] | undefined };

/** Whether the member list must be (re)loaded from D1 before `f` can be checked. */
export function memberListNeeded(store: RoomStore, f: Mentioning, now: number): boolean {
  const ids = f.mentions ?? [];
  if (ids.length === 0) return false;
  const at = store.memberListAt();
  if (at === undefined || at === 0) return true;
  return now - at >= MEMBERS_RECHECK_MS && store.nonMembers(ids.filter((id) => id !== MENTION_ROOM)).length > 0;
}

/**
 * The refusal of `f`'s mentions (null: they are fine, or it has none), answering `about` (a
 * send's cid, an edit's req). Nothing is stored either way.
 */
export function mentionProblem(store: RoomStore, me: Conn, f: Mentioning, about: { cid?: string; req?: string | undefined }): Effect | null {
  const ids = f.mentions ?? [];
  if (ids.length === 0) return null;
  const strangers = store.nonMembers(ids.filter((id) => id !== MENTION_ROOM));
  if (strangers.length > 0) {
    const why = `${strangers.length === 1 ? "a mentioned person is" : `${strangers.length} mentioned people are`} not a member of this room`;
    return reject(me.conn, ErrorCode.NOT_A_MEMBER, why, about, false);
  }
  if (ids.includes(MENTION_ROOM)) {
    const { members, owner } = store.memberCount(me.uid);
    if (members > ROOM_MENTION_OPEN_UP_TO && !owner) {
      const why = `only the owner can mention @room in a room of more than ${ROOM_MENTION_OPEN_UP_TO} members`;
      return reject(me.conn, ErrorCode.ROOM_MENTION_OWNER_ONLY, why, about, false);
    }
  }
  return null;
}

/** Most mentioning messages one hub notice carries (a live sidebar refetches on its next reconnect anyway). */
export const MAX_ANNOUNCED_MENTIONS = 100;

/**
 * The messages that mention anyone, from after the last announcement up to `upTo` (the
 * message being announced now), for the watching hubs: each hub counts those that mention
 * its user (UserHub.activity). Rows the log trimmed meanwhile (over KEEP_FLUSHED messages in
 * one announcement gap) are not told; GET /api/rooms counts them.
 */
export function announcedMentions(store: RoomStore, upTo: number): MentionRow[] {
  // Never announced since mentions exist: every mention the log holds is news (none predate them).
  const after = store.announcedSeq() ?? 0;
  if (upTo > after) store.setAnnouncedSeq(upTo);
  return upTo > after ? store.mentionsBetween(after, upTo, MAX_ANNOUNCED_MENTIONS) : [];
}

/** Of a notice's mentioning messages, the seqs that mention `uid` (never their own). */
export function mentionsOf(mentioned: readonly MentionRow[] | undefined, uid: string): number[] {
  return (mentioned ?? []).filter((m) => mentionsUser(m.ids, m.uid, uid)).map((m) => m.seq);
}
