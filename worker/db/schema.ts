/**
 * D1 schema: the system of record for everything queried across rooms.
 * `npm run db:generate` turns changes here into a new SQL file in migrations/.
 */
import type { Attachment, CallSummary } from "../protocol";
import { sql } from "drizzle-orm";
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
  /**
   * Until when (ms) the user's hub counts as live: it has the app open somewhere and
   * watches the user's rooms (renewed with the rooms' leases, 0 when the last socket is
   * gone). The Worker tells only live hubs that the room list changed.
   */
  hubLiveUntil: integer("hub_live_until").notNull().default(0),
  /** "Send read receipts": off, the person shares no read position and sees no one else's (the WhatsApp rule). */
  readReceipts: integer("read_receipts", { mode: "boolean" }).notNull().default(true),
  /** When (ms) the user last closed the app (their last tab went away): "last seen" (0: never). */
  lastSeenAt: integer("last_seen_at").notNull().default(0),
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
 * People the owner removed and banned: refused at every invite link of the room (a reset
 * link included) until the owner lifts the ban. Only group rooms have bans.
 */
export const roomBans = sqliteTable(
  "room_bans",
  {
    roomId: text("room_id")
      .notNull()
      .references(() => rooms.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] })],
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
    /** The files sent with the message: full metadata as JSON (Attachment[]), as every socket saw it. */
    attachments: text("attachments", { mode: "json" }).$type<Attachment[]>(),
    /** 1: deleted by its author, a tombstone (body "", no attachments). */
    deleted: integer("deleted").notNull().default(0),
    /** The seq of the message (same room) this one answers; its quote is read from that row. */
    replySeq: integer("reply_seq"),
    /** When the author last edited it (ms); `body` is the edited text. */
    editedAt: integer("edited_at"),
    // ── mentions (worker/protocol/mentions.ts) ──
    /** The ids it mentions as JSON (`room`: everyone); null when none (and on tombstones). */
    mentions: text("mentions", { mode: "json" }).$type<string[]>(),
  },
  (t) => [
    primaryKey({ columns: [t.roomId, t.seq] }),
    uniqueIndex("messages_room_user_cid").on(t.roomId, t.userId, t.cid),
    // The sidebar's mention count reads only the messages that mention anyone, after a read position.
    index("messages_mentions").on(t.roomId, t.seq).where(sql`mentions IS NOT NULL`),
  ],
);

/**
 * Uploaded files. Bytes in R2 under `rooms/<roomId>/<id>` (thumbnail `…/thumb`, see
 * mediaKey in worker/media/files.ts). A row is `pending` while its bytes are being uploaded (swept after
 * 24 h by the scheduled handler) and `ready` after; `message_seq` is set when the message
 * that carries it is flushed.
 */
export const attachments = sqliteTable(
  "attachments",
  {
    id: text("id").primaryKey(),
    roomId: text("room_id").notNull(),
    uploaderId: text("uploader_id").notNull(),
    key: text("key").notNull(),
    /** Sanitized file name. */
    name: text("name").notNull(),
    /** Content type as stored (an image whose bytes do not match its claim becomes application/octet-stream). */
    type: text("type").notNull(),
    size: integer("size").notNull(),
    width: integer("width"),
    height: integer("height"),
    durationMs: integer("duration_ms"),
    thumbKey: text("thumb_key"),
    status: text("status", { enum: ["pending", "ready"] }).notNull().default("pending"),
    /** "single" (one PUT) or "multipart" (R2 multipart upload `upload_id`). */
    mode: text("mode", { enum: ["single", "multipart"] }).notNull(),
    uploadId: text("upload_id"),
    partSize: integer("part_size").notNull(),
    createdAt: integer("created_at").notNull(),
    messageSeq: integer("message_seq"),
  },
  (t) => [
    index("attachments_room").on(t.roomId, t.messageSeq),
    index("attachments_pending").on(t.status, t.createdAt),
    // Upload quotas: one person's recent uploads (worker/media/quota.ts).
    index("attachments_uploader").on(t.uploaderId, t.createdAt),
  ],
);

/** Current reactions, flushed from each room's log of reaction events (add = insert-or-ignore, remove = delete). */
export const reactions = sqliteTable(
  "reactions",
  {
    roomId: text("room_id").notNull(),
    seq: integer("seq").notNull(),
    emoji: text("emoji").notNull(),
    userId: text("user_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.seq, t.emoji, t.userId] })],
);

/**
 * Web Push subscriptions: one per browser/device that subscribed (PushSubscription), at most
 * MAX_PUSH_SUBSCRIPTIONS per person. `endpoint` is the push service's URL for that device; a
 * 404/410 from it deletes the row.
 */
export const pushSubscriptions = sqliteTable(
  "push_subscriptions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    endpoint: text("endpoint").notNull().unique(),
    /** base64url: the browser's P-256 public key (65 bytes) and auth secret (16 bytes). */
    p256dh: text("p256dh").notNull(),
    auth: text("auth").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("push_subscriptions_user").on(t.userId)],
);

/**
 * A person's notification settings for one room (no row: the defaults, see
 * worker/protocol/notify.ts). `level` null is the default; `muted_until` (ms) silences the
 * room until then (0: not muted; MUTE_FOREVER: until turned back on).
 */
export const notificationSettings = sqliteTable(
  "notification_settings",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    roomId: text("room_id")
      .notNull()
      .references(() => rooms.id, { onDelete: "cascade" }),
    level: text("level", { enum: ["all", "mentions"] }),
    mutedUntil: integer("muted_until").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roomId] })],
);
