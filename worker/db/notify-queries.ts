/** D1 queries of notifications: push subscriptions, per-room settings, and who a room's news is pushed to. */
import { and, eq, sql } from "drizzle-orm";
import type { DB } from "./client";
import { notificationSettings, pushSubscriptions } from "./schema";
import type { NotifyLevel } from "../protocol";

export type PushSubscriptionRow = typeof pushSubscriptions.$inferSelect;

/**
 * Stores a subscription, unless its person has `max` others already: returns its id, or null
 * at the limit. The same endpoint again (a browser re-subscribing, or another account signed
 * in on it) updates that row: one device, one row, owned by whoever subscribed last.
 */
export async function addPushSubscription(d: DB, s: PushSubscriptionRow, max: number): Promise<string | null> {
  const rows = await d.$client
    .prepare(
      `INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6
        WHERE (SELECT count(*) FROM push_subscriptions WHERE user_id = ?2 AND endpoint <> ?3) < ?7
       ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth
       RETURNING id`,
    )
    .bind(s.id, s.userId, s.endpoint, s.p256dh, s.auth, s.createdAt, max)
    .all<{ id: string }>();
  return rows.results[0]?.id ?? null;
}

/** Deletes the subscription if it is `userId`'s; false when there is no such subscription of theirs. */
export async function deleteOwnPushSubscription(d: DB, id: string, userId: string): Promise<boolean> {
  const rows = await d
    .delete(pushSubscriptions)
    .where(and(eq(pushSubscriptions.id, id), eq(pushSubscriptions.userId, userId)))
    .returning({ id: pushSubscriptions.id });
  return rows.length > 0;
}

/** Deletes subscriptions the push service no longer knows (one bound parameter for the list). */
export async function deletePushSubscriptions(d: DB, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await d.delete(pushSubscriptions).where(sql`${pushSubscriptions.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`);
}

export interface RoomNotifySettings {
  level: NotifyLevel | null;
  mutedUntil: number;
  kind: "group" | "dm";
  members: number;
}

/** `userId`'s settings for the room, with what the defaults depend on (the room's kind and size). */
export async function notifySettings(d: DB, roomId: string, userId: string): Promise<RoomNotifySettings | null> {
  const rows = await d.$client
    .prepare(
      `SELECT r.kind, ns.level, coalesce(ns.muted_until, 0) AS muted_until,
              (SELECT count(*) FROM room_members WHERE room_id = r.id) AS members
         FROM rooms r LEFT JOIN notification_settings ns ON ns.room_id = r.id AND ns.user_id = ?2
        WHERE r.id = ?1`,
    )
    .bind(roomId, userId)
    .all<{ kind: "group" | "dm"; level: NotifyLevel | null; muted_until: number; members: number }>();
  const r = rows.results[0];
  return r ? { kind: r.kind, level: r.level, mutedUntil: r.muted_until, members: r.members } : null;
}

export async function setNotifySettings(d: DB, roomId: string, userId: string, set: { level?: NotifyLevel | null; mutedUntil?: number }): Promise<void> {
  await d
    .insert(notificationSettings)
    .values({ roomId, userId, level: set.level ?? null, mutedUntil: set.mutedUntil ?? 0 })
    .onConflictDoUpdate({ target: [notificationSettings.userId, notificationSettings.roomId], set });
}

/** One subscription of a member the room may push to, with that member's settings and the room's. */
export interface PushTarget {
  id: string;
  userId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  level: NotifyLevel | null;
  kind: "group" | "dm";
  roomName: string;
  members: number;
}

/**
 * In ONE query per flush batch: the subscriptions of the room's members who have no app
 * open (hub not live at `now`), are not in `skip` (they have a socket in the room), and
 * have not muted the room. Whether a message notifies them (their level) is decided by
 * the caller (shouldNotify), per message.
 */
export async function pushTargets(d: DB, roomId: string, skip: readonly string[], now: number): Promise<PushTarget[]> {
  const rows = await d.$client
    .prepare(
      `SELECT s.id, s.user_id, s.endpoint, s.p256dh, s.auth, ns.level, r.kind, r.name,
              (SELECT count(*) FROM room_members WHERE room_id = r.id) AS members
         FROM room_members rm
         JOIN rooms r ON r.id = rm.room_id
         JOIN users u ON u.id = rm.user_id
         JOIN push_subscriptions s ON s.user_id = rm.user_id
         LEFT JOIN notification_settings ns ON ns.user_id = rm.user_id AND ns.room_id = rm.room_id
        WHERE rm.room_id = ?1
          AND u.hub_live_until <= ?2
          AND coalesce(ns.muted_until, 0) <= ?2
          AND rm.user_id NOT IN (SELECT value FROM json_each(?3))`,
    )
    .bind(roomId, now, JSON.stringify(skip))
    .all<{ id: string; user_id: string; endpoint: string; p256dh: string; auth: string; level: NotifyLevel | null; kind: "group" | "dm"; name: string; members: number }>();
  return rows.results.map((r) => ({
    id: r.id,
    userId: r.user_id,
    endpoint: r.endpoint,
    p256dh: r.p256dh,
    auth: r.auth,
    level: r.level,
    kind: r.kind,
    roomName: r.name,
    members: r.members,
  }));
}
