/**
 * D1 schema: the system of record for everything queried across rooms.
 * `npm run db:generate` turns changes here into a new SQL file in migrations/.
 */
import type { CallSummary } from "../protocol";
import { sqliteTable, text, integer, primaryKey, index, uniqueIndex } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** "guest" until the person chooses a username and password. */
  kind: text("kind", { enum: ["guest", "account"] }).notNull().default("guest"),
  /** Lowercase; null for guests. */
  username: text("username").unique(),
  /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`; null for guests. */
  passwordHash: text("password_hash"),
  createdAt: integer("created_at").notNull(),
});

export const sessions = sqliteTable(
  "sessions",
  {
    /** SHA-256 of the session token (hex). The token itself is only ever in the cookie. */
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    /** Absolute expiry. */
    expiresAt: integer("expires_at").notNull(),
    /** Last use, refreshed at most hourly; idle expiry counts from here. */
    lastSeenAt: integer("last_seen_at").notNull().default(0),
  },
  (t) => [index("sessions_user").on(t.userId)],
);

export const rooms = sqliteTable("rooms", {
  id: text("id").primaryKey(),
  kind: text("kind", { enum: ["group", "dm"] }).notNull().default("group"),
  name: text("name").notNull(),
  topic: text("topic").notNull().default(""),
  createdBy: text("created_by")
    .notNull()
    .references(() => users.id),
  createdAt: integer("created_at").notNull(),
  /** The secret in the room's invite link; rotating it kills the old link. Null for DMs. */
  inviteCode: text("invite_code").unique(),
  /** For DMs: the two user ids, sorted, joined by ":" — one DM per pair. */
  dmKey: text("dm_key").unique(),
});

export const roomMembers = sqliteTable(
  "room_members",
  {
    roomId: text("room_id")
      .notNull()
      .references(() => rooms.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["owner", "member"] }).notNull().default("member"),
    joinedAt: integer("joined_at").notNull(),
    /** Highest seq this member has seen; unread = the room's last seq − this. */
    lastReadSeq: integer("last_read_seq").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] }), index("room_members_user").on(t.userId)],
);

/**
 * Flushed from each room's Durable Object by its alarm. (room_id, seq) is the
 * idempotency key of the flush: replays are `ON CONFLICT DO NOTHING`.
 */
export const messages = sqliteTable(
  "messages",
  {
    roomId: text("room_id").notNull(),
    seq: integer("seq").notNull(),
    cid: text("cid").notNull(),
    userId: text("user_id").notNull(),
    /** Display name at send time, as every socket saw it. */
    userName: text("user_name").notNull(),
    body: text("body").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Set on the message a call leaves behind: its CallSummary as JSON (the body is the text fallback). */
    call: text("call", { mode: "json" }).$type<CallSummary>(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.seq] }), uniqueIndex("messages_room_user_cid").on(t.roomId, t.userId, t.cid)],
);
