/**
 * D1 schema: the system of record for everything queried across rooms.
 * `npm run db:generate` turns changes here into a new SQL file in migrations/.
 */
import { sqliteTable, text, integer, primaryKey, index, uniqueIndex } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** "guest" until the person chooses a username and password. */
  kind: text("kind", { enum: ["guest", "account"] }).notNull().default("guest"),
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
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_user").on(t.userId)],
);

export const rooms = sqliteTable("rooms", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdBy: text("created_by")
    .notNull()
    .references(() => users.id),
  createdAt: integer("created_at").notNull(),
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
  },
  (t) => [primaryKey({ columns: [t.roomId, t.seq] }), uniqueIndex("messages_room_user_cid").on(t.roomId, t.userId, t.cid)],
);
