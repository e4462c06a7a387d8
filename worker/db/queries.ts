/** Small D1 queries, each taking the drizzle handle (testable in workerd). */
import { and, asc, desc, eq, gt, inArray, isNull, lt, ne, sql, type SQL } from "drizzle-orm";
import type { DB } from "./client";
import { attachments, messages, reactions, roomBans, roomMembers, rooms, sessions, users } from "./schema";
import { MENTION_ROOM, attachReactions, defaultLevel, quoteOf, type NotifyLevel, type Ban, type Member, type Message, type Role, type RoomSummary } from "../protocol";
import type { UploadLimits, UploadUsage } from "../media/quota";

/** A room as stored, secrets included (invite code, DM key): never sent as is. */
export type RoomRow = typeof rooms.$inferSelect;

export async function findRoom(d: DB, id: string): Promise<RoomRow | null> {
  const rows = await d.select().from(rooms).where(eq(rooms.id, id)).limit(1);
  return rows[0] ?? null;
}

export async function findRoomByInvite(d: DB, code: string): Promise<RoomRow | null> {
  const rows = await d.select().from(rooms).where(eq(rooms.inviteCode, code)).limit(1);
  return rows[0] ?? null;
}

export async function findRoomByDmKey(d: DB, dmKey: string): Promise<RoomRow | null> {
  const rows = await d.select().from(rooms).where(eq(rooms.dmKey, dmKey)).limit(1);
  return rows[0] ?? null;
}

/** The user's membership of the room (role, when it began), or null when they are not a member. */
export async function membership(d: DB, roomId: string, userId: string): Promise<{ role: Role; joinedAt: number } | null> {
  const rows = await d
    .select({ role: roomMembers.role, joinedAt: roomMembers.joinedAt })
    .from(roomMembers)
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)))
    .limit(1);
  return rows[0] ?? null;
}

/**
 * The room and `userId`'s membership of it in one query (one D1 round trip for every
 * member route and room socket): null when the room does not exist; `membership` null
 * when they are not a member.
 */
export type RoomAccess = { room: RoomRow; membership: { role: Role; joinedAt: number } | null } | null;

/**
 * A room and the membership in it of the user of session `sid` (through roomAccessOf: null,
 * no such room; membership null, not a member). A query to batch with the session lookup
 * (withViewer), so that a member route costs one D1 round trip.
 */
export function roomWithMembershipOfSession(d: DB, roomId: string, sid: string) {
  return roomWithMembershipQuery(d, roomId, eq(roomMembers.userId, sql`(SELECT ${sessions.userId} FROM ${sessions} WHERE ${sessions.id} = ${sid})`));
}

function roomWithMembershipQuery(d: DB, roomId: string, whose: SQL) {
  return d
    .select({ room: rooms, role: roomMembers.role, joinedAt: roomMembers.joinedAt })
    .from(rooms)
    .leftJoin(roomMembers, and(eq(roomMembers.roomId, rooms.id), whose))
    .where(eq(rooms.id, roomId))
    .limit(1);
}

export function roomAccessOf(rows: readonly { room: RoomRow; role: Role | null; joinedAt: number | null }[]): RoomAccess {
  const r = rows[0];
  if (!r) return null;
  return { room: r.room, membership: r.role !== null && r.joinedAt !== null ? { role: r.role, joinedAt: r.joinedAt } : null };
}

export async function roleIn(d: DB, roomId: string, userId: string): Promise<Role | null> {
  return (await membership(d, roomId, userId))?.role ?? null;
}

/** Every member (online or not), in joining order. */
export async function listMembers(d: DB, roomId: string): Promise<Member[]> {
  return d
    .select({ id: users.id, name: users.name, username: users.username, role: roomMembers.role })
    .from(roomMembers)
    .innerJoin(users, eq(users.id, roomMembers.userId))
    .where(eq(roomMembers.roomId, roomId))
    .orderBy(asc(roomMembers.joinedAt), asc(users.id));
}

export async function memberIds(d: DB, roomId: string): Promise<string[]> {
  const rows = await d.select({ id: roomMembers.userId }).from(roomMembers).where(eq(roomMembers.roomId, roomId));
  return rows.map((r) => r.id);
}

/** Every member's id and role: what the room checks mentions against it checks mentions (worker/room/mentions.ts). */
export async function memberRoles(d: DB, roomId: string): Promise<{ uid: string; role: Role }[]> {
  return d.select({ uid: roomMembers.userId, role: roomMembers.role }).from(roomMembers).where(eq(roomMembers.roomId, roomId));
}

/** The ids of the rooms `userId` belongs to. */
export async function roomIdsOf(d: DB, userId: string): Promise<string[]> {
  const rows = await d.select({ id: roomMembers.roomId }).from(roomMembers).where(eq(roomMembers.userId, userId));
  return rows.map((r) => r.id);
}

/** The user's own "Send read receipts" setting. */
export async function setReadReceipts(d: DB, userId: string, on: boolean): Promise<void> {
  await d.update(users).set({ readReceipts: on }).where(eq(users.id, userId));
}

/** The user's hub is live (has the app open) until `until`; 0: no longer. */
export async function setHubLive(d: DB, userId: string, until: number): Promise<void> {
  await d.update(users).set({ hubLiveUntil: until }).where(eq(users.id, userId));
}

/** The user closed the app at `at`: their hub is no longer live, and they were last seen then. */
export async function setLastSeen(d: DB, userId: string, at: number): Promise<void> {
  await d.update(users).set({ hubLiveUntil: 0, lastSeenAt: at }).where(eq(users.id, userId));
}

/**
 * Everyone who shares a room with the user (each once), with whether their hub is live at
 * `now` and when they were last seen: one query, whatever the number of rooms.
 */
export async function coMembers(d: DB, userId: string, now: number): Promise<{ id: string; live: boolean; lastSeen: number }[]> {
  const rows = await d.all<{ id: string; live: number; last_seen: number }>(sql`
    SELECT u.id, u.hub_live_until > ${now} AS live, u.last_seen_at AS last_seen
      FROM users u
     WHERE u.id <> ${userId}
       AND u.id IN (SELECT o.user_id FROM room_members mine JOIN room_members o ON o.room_id = mine.room_id WHERE mine.user_id = ${userId})`);
  return rows.map((r) => ({ id: r.id, live: r.live === 1, lastSeen: r.last_seen }));
}

/** Of these users, those whose hub is live at `now` (one bound parameter for the whole list). */
export async function liveHubs(d: DB, userIds: readonly string[], now: number): Promise<string[]> {
  if (userIds.length === 0) return [];
  const ids = JSON.stringify(userIds);
  const rows = await d
    .select({ id: users.id })
    .from(users)
    .where(and(sql`${users.id} IN (SELECT value FROM json_each(${ids}))`, sql`${users.hubLiveUntil} > ${now}`));
  return rows.map((r) => r.id);
}

export async function memberCount(d: DB, roomId: string): Promise<number> {
  const rows = await d.select({ n: sql<number>`count(*)` }).from(roomMembers).where(eq(roomMembers.roomId, roomId));
  return rows[0]?.n ?? 0;
}

/** A group room and its owner's membership, in one D1 transaction. */
export async function createGroupRoom(d: DB, room: RoomRow): Promise<void> {
  await d.batch([
    d.insert(rooms).values(room),
    d.insert(roomMembers).values({ roomId: room.id, userId: room.createdBy, role: "owner", joinedAt: room.createdAt }),
  ]);
}

/**
 * The one DM room of a pair, made if missing. Race-safe without a read first: the
 * room insert yields to an existing row with the same dm_key (unique), and the
 * members are inserted from whichever row holds the key, all in one transaction.
 * Returns the pair's room and whether this call made it.
 */
export async function ensureDm(d: DB, room: RoomRow & { dmKey: string }, otherId: string): Promise<{ room: RoomRow; created: boolean }> {
  // Raw statements: drizzle's D1 batch takes no raw SQL, and INSERT … SELECT reads plainer as SQL.
  const d1 = d.$client;
  const member = (userId: string) =>
    d1
      .prepare(
        `INSERT INTO room_members (room_id, user_id, role, joined_at)
         SELECT id, ?, 'member', ? FROM rooms WHERE dm_key = ?
         ON CONFLICT DO NOTHING`,
      )
      .bind(userId, room.createdAt, room.dmKey);
  await d1.batch([
    d1
      .prepare(
        `INSERT INTO rooms (id, kind, name, topic, created_by, created_at, invite_code, dm_key)
         VALUES (?, 'dm', ?, ?, ?, ?, NULL, ?) ON CONFLICT DO NOTHING`,
      )
      .bind(room.id, room.name, room.topic, room.createdBy, room.createdAt, room.dmKey),
    member(room.createdBy),
    member(otherId),
  ]);
  const found = await findRoomByDmKey(d, room.dmKey);
  if (!found) throw new Error(`DM ${room.dmKey} vanished right after it was made`);
  return { room: found, created: found.id === room.id };
}

/**
 * Joins the group room whose invite code is `code`, in one statement: a code reset,
 * a room deleted or a ban at the same moment cannot let anyone in. Returns the room id
 * when this made a new member, null when the code matched nothing, they already were
 * one, or they are banned from the room.
 */
export async function joinByInvite(d: DB, code: string, userId: string): Promise<string | null> {
  const row = await d.$client
    .prepare(
      `INSERT INTO room_members (room_id, user_id, role, joined_at)
       SELECT id, ?1, 'member', ?2 FROM rooms WHERE invite_code = ?3 AND kind = 'group'
         AND NOT EXISTS (SELECT 1 FROM room_bans WHERE room_id = rooms.id AND user_id = ?1)
       ON CONFLICT DO NOTHING RETURNING room_id`,
    )
    .bind(userId, Date.now(), code)
    .first<{ room_id: string }>();
  return row?.room_id ?? null;
}

/**
 * Removes a member (never the owner) and bans them, in one D1 transaction: a join by link
 * racing this lands either before (and is undone here) or after (and meets the ban).
 * Returns false when they were not a member; banning someone banned already changes nothing.
 */
export async function banMember(d: DB, roomId: string, userId: string, now: number): Promise<boolean> {
  const d1 = d.$client;
  const [, removed] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO room_bans (room_id, user_id, created_at)
         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM room_members WHERE room_id = ?1 AND user_id = ?2 AND role = 'member')
         ON CONFLICT DO NOTHING`,
      )
      .bind(roomId, userId, now),
    d1.prepare("DELETE FROM room_members WHERE room_id = ?1 AND user_id = ?2 AND role = 'member' RETURNING user_id").bind(roomId, userId),
  ]);
  return removed!.results.length > 0;
}

/** Lifts a ban; returns false when there was none. */
export async function unban(d: DB, roomId: string, userId: string): Promise<boolean> {
  const rows = await d
    .delete(roomBans)
    .where(and(eq(roomBans.roomId, roomId), eq(roomBans.userId, userId)))
    .returning({ userId: roomBans.userId });
  return rows.length > 0;
}

/** Whether the owner banned `userId` from the room (why an invite link refuses them). */
export async function isBanned(d: DB, roomId: string, userId: string): Promise<boolean> {
  const rows = await d
    .select({ userId: roomBans.userId })
    .from(roomBans)
    .where(and(eq(roomBans.roomId, roomId), eq(roomBans.userId, userId)))
    .limit(1);
  return rows.length > 0;
}

/** The room's bans, newest first (the owner's member panel lists them). */
export async function listBans(d: DB, roomId: string): Promise<Ban[]> {
  return d
    .select({ id: users.id, name: users.name, username: users.username, at: roomBans.createdAt })
    .from(roomBans)
    .innerJoin(users, eq(users.id, roomBans.userId))
    .where(eq(roomBans.roomId, roomId))
    .orderBy(desc(roomBans.createdAt), asc(users.id));
}

/** Removes a member; returns false when they were not one. */
export async function removeMember(d: DB, roomId: string, userId: string): Promise<boolean> {
  const rows = await d
    .delete(roomMembers)
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)))
    .returning({ userId: roomMembers.userId });
  return rows.length > 0;
}

export async function updateRoom(d: DB, roomId: string, set: { name?: string; topic?: string }): Promise<void> {
  if (set.name === undefined && set.topic === undefined) return;
  await d.update(rooms).set(set).where(eq(rooms.id, roomId));
}

export async function setInviteCode(d: DB, roomId: string, code: string): Promise<void> {
  await d.update(rooms).set({ inviteCode: code }).where(eq(rooms.id, roomId));
}

/** The room, its members, bans, messages, reactions and attachment rows, in one D1 transaction. (Its R2 objects are the caller's.) */
export async function deleteRoom(d: DB, roomId: string): Promise<void> {
  await d.batch([
    d.delete(messages).where(eq(messages.roomId, roomId)),
    d.delete(reactions).where(eq(reactions.roomId, roomId)),
    d.delete(attachments).where(eq(attachments.roomId, roomId)),
    d.delete(roomMembers).where(eq(roomMembers.roomId, roomId)),
    d.delete(roomBans).where(eq(roomBans.roomId, roomId)),
    d.delete(rooms).where(eq(rooms.id, roomId)),
  ]);
}

/** Raises the member's read position to `seq` (never lowers it); `exactly`: sets it to `seq` ("Mark as unread"). */
export async function markRead(d: DB, roomId: string, userId: string, seq: number, exactly = false): Promise<void> {
  await d
    .update(roomMembers)
    .set({ lastReadSeq: exactly ? seq : sql`max(${roomMembers.lastReadSeq}, ${seq})` })
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)));
}

/** Whether the two users are members of some room together. */
export async function shareARoom(d: DB, a: string, b: string): Promise<boolean> {
  const rows = await d.all<{ one: number }>(sql`
    SELECT 1 AS one FROM room_members x JOIN room_members y ON y.room_id = x.room_id
     WHERE x.user_id = ${a} AND y.user_id = ${b} LIMIT 1`);
  return rows.length > 0;
}

/** The members of DM `roomId` other than the one who started it (none when it is a group room). */
export async function dmInvitees(d: DB, roomId: string): Promise<string[]> {
  const rows = await d
    .select({ id: roomMembers.userId })
    .from(roomMembers)
    .innerJoin(rooms, eq(rooms.id, roomMembers.roomId))
    .where(and(eq(rooms.id, roomId), eq(rooms.kind, "dm"), ne(roomMembers.userId, rooms.createdBy)));
  return rows.map((r) => r.id);
}

export async function findUserByUsername(d: DB, username: string): Promise<{ id: string; name: string } | null> {
  const rows = await d.select({ id: users.id, name: users.name }).from(users).where(eq(users.username, username)).limit(1);
  return rows[0] ?? null;
}

interface SummaryRow {
  id: string;
  kind: "group" | "dm";
  name: string;
  topic: string;
  other_name: string | null;
  dm_key: string | null;
  last_read: number;
  joined_at: number;
  seq: number | null;
  uid: string | null;
  user_name: string | null;
  body: string | null;
  ts: number | null;
  files: number | null;
  deleted: number | null;
  mentions: number;
  level: NotifyLevel | null;
  muted_until: number | null;
  members: number;
}

/**
 * The sidebar: every room the user belongs to with its newest flushed message, in
 * one query. The newest message is found through the messages primary key
 * (room_id, seq): max(seq) for a room is one index probe, then one row lookup.
 * A DM is named after the other member. A DM someone else started is listed only once D1
 * holds a message of it: starting one does not put it in front of its other member (a
 * probe for usernames would otherwise leave a trail of empty DMs in real people's lists).
 */
export async function roomSummaries(d: DB, userId: string): Promise<RoomSummary[]> {
  const rows = await d.all<SummaryRow>(sql`
    SELECT r.id, r.kind, r.name, r.topic, r.dm_key, rm.last_read_seq AS last_read, rm.joined_at,
           (SELECT u.name FROM room_members om JOIN users u ON u.id = om.user_id
             WHERE r.kind = 'dm' AND om.room_id = r.id AND om.user_id <> rm.user_id LIMIT 1) AS other_name,
           m.seq, m.user_id AS uid, m.user_name, m.body, m.created_at AS ts,
           json_array_length(m.attachments) AS files, m.deleted,
           -- Unread messages of others that mention the viewer or @room (the partial index messages_mentions).
           (SELECT count(*) FROM messages mm
             WHERE mm.room_id = r.id AND mm.seq > rm.last_read_seq AND mm.mentions IS NOT NULL AND mm.user_id <> rm.user_id
               AND EXISTS (SELECT 1 FROM json_each(mm.mentions) WHERE value IN (rm.user_id, ${MENTION_ROOM}))) AS mentions,
           ns.level, ns.muted_until, (SELECT count(*) FROM room_members WHERE room_id = r.id) AS members
      FROM room_members rm
      JOIN rooms r ON r.id = rm.room_id
      LEFT JOIN messages m ON m.room_id = r.id AND m.seq = (SELECT max(seq) FROM messages WHERE room_id = r.id)
      LEFT JOIN notification_settings ns ON ns.user_id = rm.user_id AND ns.room_id = r.id
     WHERE rm.user_id = ${userId}
       AND NOT (r.kind = 'dm' AND r.created_by <> rm.user_id AND m.seq IS NULL)`);
  const list = rows.map((r): RoomSummary => {
    const lastSeq = r.seq ?? 0;
    const peer = r.kind === "dm" ? r.dm_key?.split(":").find((id) => id !== userId) : undefined;
    return {
      id: r.id,
      kind: r.kind,
      ...(peer ? { peer } : {}),
      name: r.kind === "dm" ? (r.other_name ?? r.name) : r.name,
      topic: r.topic,
      lastMessage:
        r.seq === null
          ? null
          : {
              seq: r.seq,
              uid: r.uid!,
              name: r.user_name!,
              text: r.body!,
              ts: r.ts!,
              ...(r.files ? { files: r.files } : {}),
              ...(r.deleted ? { deleted: true } : {}),
            },
      lastSeq,
      lastRead: r.last_read,
      unread: Math.max(0, lastSeq - r.last_read),
      mentions: r.mentions,
      activityAt: r.ts ?? r.joined_at,
      notify: r.level ?? defaultLevel(r.kind, r.members),
      ...(r.muted_until ? { mutedUntil: r.muted_until } : {}),
    };
  });
  return list.sort((a, b) => b.activityAt - a.activityAt || (a.id < b.id ? -1 : 1));
}

/** Up to `limit` messages with seq < before (all when before is null), newest first. */
export async function messagesBefore(d: DB, roomId: string, before: number | null, limit: number): Promise<Message[]> {
  const rows = await d
    .select()
    .from(messages)
    .where(before === null ? eq(messages.roomId, roomId) : and(eq(messages.roomId, roomId), lt(messages.seq, before)))
    .orderBy(desc(messages.seq))
    .limit(limit);
  return withReactionsAndQuotes(d, roomId, rows);
}

/** Up to `limit` messages with seq > after, oldest first. */
export async function messagesAfter(d: DB, roomId: string, after: number, limit: number): Promise<Message[]> {
  const rows = await d
    .select()
    .from(messages)
    .where(and(eq(messages.roomId, roomId), gt(messages.seq, after)))
    .orderBy(asc(messages.seq))
    .limit(limit);
  return withReactionsAndQuotes(d, roomId, rows);
}

/**
 * A page of about `limit` messages with `seq` in it, oldest first: half before it, the rest
 * from it on (more of one side when the other runs out). Two primary-key range reads.
 */
export async function messagesAround(d: DB, roomId: string, seq: number, limit: number): Promise<Message[]> {
  const half = Math.floor(limit / 2);
  const [older, newer] = await Promise.all([messagesBefore(d, roomId, seq, limit), messagesAfter(d, roomId, seq - 1, limit)]);
  const take = Math.max(half, limit - newer.length);
  return [...older.slice(0, take).reverse(), ...newer.slice(0, limit - Math.min(take, older.length))];
}

/** Message `seq` of the room with its reactions and quote (null: D1 has none). */
export async function messageAt(d: DB, roomId: string, seq: number): Promise<Message | null> {
  const rows = await d
    .select()
    .from(messages)
    .where(and(eq(messages.roomId, roomId), eq(messages.seq, seq)));
  return (await withReactionsAndQuotes(d, roomId, rows))[0] ?? null;
}

type MessageRow = typeof messages.$inferSelect;

function toMessage(r: MessageRow): Message {
  const m: Message = { seq: r.seq, cid: r.cid, uid: r.userId, name: r.userName, text: r.body, ts: r.createdAt };
  if (r.call !== null) m.call = r.call;
  if (r.attachments !== null) m.attachments = r.attachments;
  if (r.deleted === 1) m.deleted = true;
  if (r.editedAt !== null) m.edited = r.editedAt;
  if (r.mentions !== null) m.mentions = r.mentions;
  return m;
}

/**
 * Rows as messages, with their reactions and, for replies, the quote of the original as D1
 * holds it now (edited or deleted since): one query each for the whole list.
 */
async function withReactionsAndQuotes(d: DB, roomId: string, rows: readonly MessageRow[]): Promise<Message[]> {
  const list = rows.map(toMessage);
  if (list.length === 0) return list;
  // One bound parameter for the page's seqs: a full page (MAX_PAGE) plus the room id would be
  // 101, over D1's 100.
  const seqs = JSON.stringify(list.map((m) => m.seq));
  const replied = [...new Set(rows.flatMap((r) => (r.replySeq === null ? [] : [r.replySeq])))];
  const [rx, originals] = await Promise.all([
    d
      .select({ seq: reactions.seq, emoji: reactions.emoji, uid: reactions.userId })
      .from(reactions)
      .where(and(eq(reactions.roomId, roomId), sql`${reactions.seq} IN (SELECT value FROM json_each(${seqs}))`))
      .orderBy(asc(reactions.createdAt), sql`rowid`),
    replied.length === 0
      ? []
      : d
          .select({ seq: messages.seq, uid: messages.userId, name: messages.userName, text: messages.body, deleted: messages.deleted })
          .from(messages)
          .where(and(eq(messages.roomId, roomId), sql`${messages.seq} IN (SELECT value FROM json_each(${JSON.stringify(replied)}))`)),
  ]);
  const quotes = new Map(originals.map((o) => [o.seq, quoteOf({ ...o, deleted: o.deleted === 1 })]));
  rows.forEach((r, i) => {
    // An original D1 does not hold (never flushed: a refused row) reads as deleted.
    if (r.replySeq !== null) list[i]!.replyTo = quotes.get(r.replySeq) ?? { seq: r.replySeq, uid: "", name: "", text: "", deleted: true };
  });
  return attachReactions(list, rx);
}

/**
 * Characters of row JSON per INSERT statement in a flush batch. The rows go as one bound
 * JSON string (D1 binds at most 100 parameters per statement, and strings of at most 2 MB:
 * this is at most 1.5 MB in UTF-8), so a batch of hundreds of messages is a statement or
 * two instead of one per 9 rows.
 */
const INSERT_JSON_CHARS = 512 * 1024;

/**
 * Writes a room's messages to D1 idempotently: a row already there (same room and
 * seq, or same sender and cid) is left alone, so a retried flush never duplicates.
 * One `batch` = one D1 transaction: all rows land or none do. The batch ends by
 * reading back who D1 holds at those seqs, so the caller marks as flushed only rows D1
 * really has (a row skipped for its (sender, cid) is not one of them).
 */
export async function insertMessages(d: DB, roomId: string, list: readonly Message[]): Promise<Map<number, { uid: string; cid: string }>> {
  if (list.length === 0) return new Map();
  const chunks: string[][] = [[]];
  let chars = 0;
  for (const m of list) {
    const row = JSON.stringify({
      seq: m.seq,
      cid: m.cid,
      uid: m.uid,
      name: m.name,
      text: m.text,
      ts: m.ts,
      call: m.call ?? null,
      attachments: m.attachments ?? null,
      deleted: m.deleted ? 1 : 0,
      reply: m.replyTo?.seq ?? null,
      edited: m.edited ?? null,
      mentions: m.mentions?.length ? m.mentions : null,
    });
    if (chars + row.length > INSERT_JSON_CHARS && chunks.at(-1)!.length > 0) {
      chunks.push([]);
      chars = 0;
    }
    chunks.at(-1)!.push(row);
    chars += row.length + 1;
  }
  // Plain D1 statements: drizzle's batch cannot carry raw SQL with parameters.
  const d1 = d.$client;
  // json_extract gives objects and arrays (call, attachments) back as JSON text, as the
  // json-mode columns store them; JSON null becomes SQL NULL. `WHERE true` keeps SQLite
  // from reading ON CONFLICT as part of the SELECT.
  const insert = d1.prepare(`INSERT INTO messages (room_id, seq, cid, user_id, user_name, body, created_at, call, attachments, deleted,
      reply_seq, edited_at, mentions)
    SELECT ?1, json_extract(value, '$.seq'), json_extract(value, '$.cid'), json_extract(value, '$.uid'), json_extract(value, '$.name'),
      json_extract(value, '$.text'), json_extract(value, '$.ts'), json_extract(value, '$.call'), json_extract(value, '$.attachments'),
      json_extract(value, '$.deleted'), json_extract(value, '$.reply'), json_extract(value, '$.edited'), json_extract(value, '$.mentions')
    FROM json_each(?2) WHERE true
    ON CONFLICT DO NOTHING`);
  const statements = chunks.map((rows) => insert.bind(roomId, `[${rows.join(",")}]`));
  // The files now belong to their message.
  const claim = d1.prepare("UPDATE attachments SET message_seq = ?1 WHERE room_id = ?2 AND id IN (SELECT value FROM json_each(?3))");
  for (const m of list) {
    const ids = m.attachments?.map((a) => a.id) ?? [];
    if (ids.length > 0) statements.push(claim.bind(m.seq, roomId, JSON.stringify(ids)));
  }
  // One bound parameter for the whole seq list (D1 binds at most 100 per statement).
  const seqs = JSON.stringify(list.map((m) => m.seq));
  statements.push(d1.prepare("SELECT seq, user_id AS uid, cid FROM messages WHERE room_id = ?1 AND seq IN (SELECT value FROM json_each(?2))").bind(roomId, seqs));
  const results = await d1.batch<{ seq: number; uid: string; cid: string }>(statements);
  const found = results.at(-1)!.results;
  return new Map(found.map((r) => [r.seq, { uid: r.uid, cid: r.cid }]));
}

/** The seq at which D1 holds `userId`'s message `cid` in the room, if any. */
export async function seqOfCid(d: DB, roomId: string, userId: string, cid: string): Promise<number | null> {
  const rows = await d
    .select({ seq: messages.seq })
    .from(messages)
    .where(and(eq(messages.roomId, roomId), eq(messages.userId, userId), eq(messages.cid, cid)))
    .limit(1);
  return rows[0]?.seq ?? null;
}

// ── attachments ──────────────────────────────────────────────────────────────

export type AttachmentRow = typeof attachments.$inferSelect;

/**
 * Inserts an upload unless it would break a quota, in one D1 transaction: the row goes in,
 * and comes out again at once if, with it, its uploader has more than `limits.inFlight`
 * uploads in progress (started after `since.inFlight`), more than `limits.perDay` bytes started
 * after `since.day`, or its room more than `limits.room` bytes. So concurrent starts cannot all
 * slip under a limit, and a refused upload leaves nothing. Returns false when refused.
 */
export async function insertAttachmentWithin(
  d: DB,
  row: AttachmentRow,
  limits: UploadLimits,
  since: { inFlight: number; day: number },
): Promise<boolean> {
  const d1 = d.$client;
  const insert = d.insert(attachments).values(row).toSQL();
  const over = d1
    .prepare(
      `DELETE FROM attachments WHERE id = ?1 AND (
         (SELECT count(*) FROM attachments WHERE uploader_id = ?2 AND status = 'pending' AND created_at > ?3) > ?4
         OR (SELECT sum(size) FROM attachments WHERE uploader_id = ?2 AND created_at > ?5) > ?6
         OR (SELECT sum(size) FROM attachments WHERE room_id = ?7) > ?8)
       RETURNING id`,
    )
    .bind(row.id, row.uploaderId, since.inFlight, limits.inFlight, since.day, limits.perDay, row.roomId, limits.room);
  // Plain D1 statements: drizzle's batch cannot carry raw SQL with parameters.
  const [, refused] = await d1.batch([d1.prepare(insert.sql).bind(...insert.params), over]);
  return refused!.results.length === 0;
}

/** What `userId` and room `roomId` have in uploads (UploadUsage). */
export async function uploadUsage(d: DB, userId: string, roomId: string, since: { inFlight: number; day: number }): Promise<UploadUsage> {
  // A SELECT of subqueries alone always has its one row.
  return (await d.$client
    .prepare(
      `SELECT (SELECT count(*) FROM attachments WHERE uploader_id = ?1 AND status = 'pending' AND created_at > ?2) AS inFlight,
              (SELECT coalesce(sum(size), 0) FROM attachments WHERE uploader_id = ?1 AND created_at > ?3) AS today,
              (SELECT min(created_at) FROM attachments WHERE uploader_id = ?1 AND created_at > ?3) AS oldestToday,
              (SELECT coalesce(sum(size), 0) FROM attachments WHERE room_id = ?4) AS room`,
    )
    .bind(userId, since.inFlight, since.day, roomId)
    .first<UploadUsage>())!;
}

/** The attachment `id` of room `roomId`, or null. */
export async function findAttachment(d: DB, roomId: string, id: string): Promise<AttachmentRow | null> {
  const rows = await d.select().from(attachments).where(and(eq(attachments.roomId, roomId), eq(attachments.id, id))).limit(1);
  return rows[0] ?? null;
}

export async function updateAttachment(d: DB, id: string, set: Partial<AttachmentRow>): Promise<void> {
  await d.update(attachments).set(set).where(eq(attachments.id, id));
}

export async function deleteAttachmentRows(d: DB, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await d.delete(attachments).where(inArray(attachments.id, [...ids]));
}

/** Uploads still pending that were started before `before` (abandoned), at most `limit`. */
export async function stalePending(d: DB, before: number, limit: number): Promise<AttachmentRow[]> {
  return d
    .select()
    .from(attachments)
    .where(and(eq(attachments.status, "pending"), lt(attachments.createdAt, before)))
    .limit(limit);
}

/** Finished uploads made before `before` that no flushed message carries (yet), at most `limit`. */
export async function staleUnsent(d: DB, before: number, limit: number): Promise<AttachmentRow[]> {
  return d
    .select()
    .from(attachments)
    .where(and(eq(attachments.status, "ready"), isNull(attachments.messageSeq), lt(attachments.createdAt, before)))
    .limit(limit);
}

/** Pending multipart uploads of a room (to abort when the room is deleted). */
export async function pendingMultipart(d: DB, roomId: string): Promise<AttachmentRow[]> {
  return d
    .select()
    .from(attachments)
    .where(and(eq(attachments.roomId, roomId), eq(attachments.status, "pending"), eq(attachments.mode, "multipart")));
}

// ── reactions and deletions (flushed by the room's alarm) ─────────────────────

export interface ReactionEvent {
  seq: number;
  emoji: string;
  userId: string;
  on: boolean;
  ts: number;
}

/**
 * Applies a room's reaction changes in order, in one D1 transaction: add = insert (a row
 * already there stays), remove = delete. Replaying a batch ends in the same state.
 */
export async function applyReactions(d: DB, roomId: string, events: readonly ReactionEvent[]): Promise<void> {
  const stmts = events.map((e) =>
    e.on
      ? d.insert(reactions).values({ roomId, seq: e.seq, emoji: e.emoji, userId: e.userId, createdAt: e.ts }).onConflictDoNothing()
      : d
          .delete(reactions)
          .where(and(eq(reactions.roomId, roomId), eq(reactions.seq, e.seq), eq(reactions.emoji, e.emoji), eq(reactions.userId, e.userId))),
  );
  const [first, ...rest] = stmts;
  if (first) await d.batch([first, ...rest]);
}

/**
 * Edits, in order, in one D1 transaction. An edit changes a live message only, and only if it
 * is not older than the one D1 holds: a replayed batch, or a batch replayed after a later one,
 * ends in the same state. A message D1 does not hold yet is inserted with its edited text.
 */
export async function applyEdits(
  d: DB,
  roomId: string,
  list: readonly { seq: number; text: string; ts: number; mentions?: string[] | null }[],
): Promise<void> {
  const stmts = list.map((e) =>
    d
      .update(messages)
      .set({ body: e.text, editedAt: e.ts, mentions: e.mentions?.length ? e.mentions : null })
      .where(
        and(
          eq(messages.roomId, roomId),
          eq(messages.seq, e.seq),
          eq(messages.deleted, 0),
          sql`coalesce(${messages.editedAt}, 0) <= ${e.ts}`,
        ),
      ),
  );
  const [first, ...rest] = stmts;
  if (first) await d.batch([first, ...rest]);
}

/**
 * Deleted messages: each becomes a tombstone (body "", no call, no attachments), its reactions
 * and attachment rows go, in one D1 transaction. Idempotent. (The R2 bytes are the caller's.)
 */
export async function applyDeletions(d: DB, roomId: string, list: readonly { seq: number; files: readonly string[] }[]): Promise<void> {
  const stmts = list.flatMap((x) => [
    d
      .update(messages)
      .set({ body: "", call: null, attachments: null, mentions: null, deleted: 1 })
      .where(and(eq(messages.roomId, roomId), eq(messages.seq, x.seq))),
    d.delete(reactions).where(and(eq(reactions.roomId, roomId), eq(reactions.seq, x.seq))),
    ...(x.files.length > 0 ? [d.delete(attachments).where(and(eq(attachments.roomId, roomId), inArray(attachments.id, [...x.files])))] : []),
  ]);
  const [first, ...rest] = stmts;
  if (first) await d.batch([first, ...rest]);
}
