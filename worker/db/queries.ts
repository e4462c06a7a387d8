/** Small D1 queries, each taking the drizzle handle (testable in workerd). */
import { and, asc, desc, eq, lt, sql } from "drizzle-orm";
import type { DB } from "./client";
import { messages, roomMembers, rooms, users } from "./schema";
import type { Message, Peer, Room } from "../protocol";

export async function findRoom(d: DB, id: string): Promise<Room | null> {
  const rows = await d.select().from(rooms).where(eq(rooms.id, id)).limit(1);
  return rows[0] ?? null;
}

export async function isMember(d: DB, roomId: string, userId: string): Promise<boolean> {
  const rows = await d
    .select({ one: sql<number>`1` })
    .from(roomMembers)
    .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)))
    .limit(1);
  return rows.length > 0;
}

export async function listMembers(d: DB, roomId: string): Promise<Peer[]> {
  return d
    .select({ id: users.id, name: users.name })
    .from(roomMembers)
    .innerJoin(users, eq(users.id, roomMembers.userId))
    .where(eq(roomMembers.roomId, roomId))
    .orderBy(asc(roomMembers.joinedAt));
}

export async function createRoom(d: DB, room: Room): Promise<void> {
  await d.batch([
    d.insert(rooms).values(room),
    d.insert(roomMembers).values({ roomId: room.id, userId: room.createdBy, role: "owner", joinedAt: room.createdAt }),
  ]);
}

export async function addMember(d: DB, roomId: string, userId: string): Promise<void> {
  await d.insert(roomMembers).values({ roomId, userId, role: "member", joinedAt: Date.now() }).onConflictDoNothing();
}

/** Up to `limit` messages with seq < before (all when before is null), newest first. */
export async function messagesBefore(d: DB, roomId: string, before: number | null, limit: number): Promise<Message[]> {
  const rows = await d
    .select()
    .from(messages)
    .where(before === null ? eq(messages.roomId, roomId) : and(eq(messages.roomId, roomId), lt(messages.seq, before)))
    .orderBy(desc(messages.seq))
    .limit(limit);
  return rows.map((r) => ({ seq: r.seq, cid: r.cid, uid: r.userId, name: r.userName, text: r.body, ts: r.createdAt }));
}

/**
 * D1 allows 100 bound parameters per statement; a message row binds 7.
 * Rows per INSERT statement in a flush batch.
 */
const ROWS_PER_INSERT = 14;

/**
 * Writes a room's messages to D1 idempotently: a row already there (same room and
 * seq, or same sender and cid) is left alone, so a retried flush never duplicates.
 * One `batch` = one D1 transaction: all rows land or none do.
 */
export async function insertMessages(d: DB, roomId: string, list: readonly Message[]): Promise<void> {
  if (list.length === 0) return;
  const rows = list.map((m) => ({
    roomId,
    seq: m.seq,
    cid: m.cid,
    userId: m.uid,
    userName: m.name,
    body: m.text,
    createdAt: m.ts,
  }));
  const stmts = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    stmts.push(d.insert(messages).values(rows.slice(i, i + ROWS_PER_INSERT)).onConflictDoNothing());
  }
  const [first, ...rest] = stmts;
  await d.batch([first!, ...rest]);
}
