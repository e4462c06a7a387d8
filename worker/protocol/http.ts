/**
 * HTTP request and response bodies of /api/*, as valibot schemas shared by the
 * Worker (which validates requests) and the web client (which validates responses).
 */
import * as v from "valibot";
import { MAX_NAME, MAX_ROOM_NAME, MAX_PAGE, DEFAULT_PAGE, hasVisible, stripHidden } from "./limits";
import { LastMessageSchema, MessageSchema, PeerSchema } from "./frames";
import { NotifyLevel } from "./notify";

/** A name: without characters that reorder or hide text, trimmed, and showing something. */
const trimmed = (max: number, what: string) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.transform(stripHidden),
    v.trim(),
    v.minLength(1, `${what} is required`),
    v.maxLength(max, `${what} must be at most ${max} characters`),
    v.check(hasVisible, `${what} must have at least one visible character`),
  );


export const CreateSessionBody = v.object({ name: trimmed(MAX_NAME, "name") });
export type CreateSessionBody = v.InferOutput<typeof CreateSessionBody>;

/** The signed-in person as they see themselves. */
export const MeSchema = v.object({
  id: v.string(),
  name: v.string(),
  /** Null for guests. */
  username: v.nullable(v.string()),
  kind: v.picklist(["guest", "account"]),
  /** "Send read receipts" (absent: on). Off: they share no read position and see no one else's. */
  receipts: v.optional(v.boolean()),
});
export type Me = v.InferOutput<typeof MeSchema>;

export const SessionResponse = v.object({ user: MeSchema });
export type SessionResponse = v.InferOutput<typeof SessionResponse>;

/** Usernames: 3–24 of a–z, 0–9 and _, case-insensitive (stored lowercase). */
export const Username = v.pipe(
  v.string("username must be a string"),
  v.trim(),
  v.toLowerCase(),
  v.regex(/^[a-z0-9_]{3,24}$/, "username must be 3–24 letters, digits or _"),
);
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 256;
/**
 * Fewest different characters (ignoring case) a new password may have: "aaaaaaaa",
 * "abababab" and "12121212" are guessed at once whatever their length.
 */
export const MIN_PASSWORD_VARIETY = 5;
/**
 * A new password. The rules that need no list are here, shared with the signup form; the
 * server also refuses the most common passwords (worker/auth/common-passwords.ts).
 */
const Password = v.pipe(
  v.string("password must be a string"),
  v.minLength(MIN_PASSWORD, `password must be at least ${MIN_PASSWORD} characters`),
  v.maxLength(MAX_PASSWORD, `password must be at most ${MAX_PASSWORD} characters`),
  v.check((p) => p.trim() !== "", "password must not be only spaces"),
  v.check((p) => new Set(p.toLowerCase()).size >= MIN_PASSWORD_VARIETY, `password must have at least ${MIN_PASSWORD_VARIETY} different characters`),
);

/**
 * POST /api/auth/signup. Signed in as a guest, this turns that guest into the
 * account (same id, rooms and history); otherwise it creates a new user.
 * `name` (display name) defaults to the guest's name, else the username.
 */
export const SignupBody = v.pipe(
  v.object({ username: Username, password: Password, name: v.optional(trimmed(MAX_NAME, "name")) }),
  v.forward(
    v.check((b) => b.password.toLowerCase() !== b.username, "password must not be the username"),
    ["password"],
  ),
);
export type SignupBody = v.InferOutput<typeof SignupBody>;

/** POST /api/auth/login. Lengths are not policed here: a wrong password is just wrong. */
export const LoginBody = v.object({
  username: v.pipe(v.string("username must be a string"), v.trim(), v.toLowerCase(), v.maxLength(64)),
  password: v.pipe(v.string("password must be a string"), v.maxLength(MAX_PASSWORD)),
});
export type LoginBody = v.InferOutput<typeof LoginBody>;

export const MAX_TOPIC = 200;
/** A room topic: as a name, but it may be empty. */
const topic = v.pipe(v.string(), v.transform(stripHidden), v.trim(), v.maxLength(MAX_TOPIC, `topic must be at most ${MAX_TOPIC} characters`));

export const CreateRoomBody = v.object({
  name: v.optional(trimmed(MAX_ROOM_NAME, "room name")),
  topic: v.optional(topic),
});
export type CreateRoomBody = v.InferOutput<typeof CreateRoomBody>;

/** PATCH /api/rooms/:id (owner only). */
export const UpdateRoomBody = v.object({
  name: v.optional(trimmed(MAX_ROOM_NAME, "room name")),
  topic: v.optional(topic),
});
export type UpdateRoomBody = v.InferOutput<typeof UpdateRoomBody>;

export const RoomKind = v.picklist(["group", "dm"]);
export type RoomKind = v.InferOutput<typeof RoomKind>;
export const Role = v.picklist(["owner", "member"]);
export type Role = v.InferOutput<typeof Role>;

export const RoomSchema = v.object({
  id: v.string(),
  kind: RoomKind,
  /** For a DM: the other person's display name, as the viewer sees it. */
  name: v.string(),
  topic: v.string(),
  createdBy: v.string(),
  createdAt: v.number(),
});
export type Room = v.InferOutput<typeof RoomSchema>;

/** A room as one of its members sees it. */
export const RoomDetailSchema = v.object({
  ...RoomSchema.entries,
  role: Role,
  /** The invite code (link: /join/<code>) for group rooms; null for DMs. */
  invite: v.nullable(v.string()),
});
export type RoomDetail = v.InferOutput<typeof RoomDetailSchema>;

export const MemberSchema = v.object({
  ...PeerSchema.entries,
  username: v.nullable(v.string()),
  role: Role,
});
export type Member = v.InferOutput<typeof MemberSchema>;

/** Someone the owner removed and banned: no invite link lets them back in until unbanned. */
export const BanSchema = v.object({
  id: v.string(),
  name: v.string(),
  username: v.nullable(v.string()),
  /** When they were banned (ms). */
  at: v.number(),
});
export type Ban = v.InferOutput<typeof BanSchema>;

/**
 * GET/PATCH /api/rooms/:id, POST /api/rooms, POST /api/invites/:code/join, POST /api/dms.
 * `bans` (newest first) only for the owner of a group room.
 */
export const RoomResponse = v.object({ room: RoomDetailSchema, members: v.array(MemberSchema), bans: v.optional(v.array(BanSchema)) });
export type RoomResponse = v.InferOutput<typeof RoomResponse>;

/** One line of the sidebar. */
export const RoomSummarySchema = v.object({
  id: v.string(),
  kind: RoomKind,
  /** A DM's other member (their presence shows on its avatar and in its header). */
  peer: v.optional(v.string()),
  name: v.string(),
  topic: v.string(),
  lastMessage: v.nullable(LastMessageSchema),
  /** The room's newest seq known to D1. */
  lastSeq: v.number(),
  /** The viewer's read position. */
  lastRead: v.number(),
  unread: v.number(),
  /** Of the unread messages, those that mention the viewer or `@room` (not the viewer's own): the `@` badge. */
  mentions: v.optional(v.number(), 0),
  /** Newest message time, else when the viewer joined: the sidebar's sort key (descending). */
  activityAt: v.number(),
  /** The viewer's notification level for the room (theirs, or the default). */
  notify: v.optional(NotifyLevel),
  /** Muted until then (ms; MUTE_FOREVER: until turned back on); absent: never muted. */
  mutedUntil: v.optional(v.number()),
});
export type RoomSummary = v.InferOutput<typeof RoomSummarySchema>;

/** GET /api/rooms: every room and DM the user belongs to, most recent activity first. */
export const RoomsResponse = v.object({ rooms: v.array(RoomSummarySchema) });
export type RoomsResponse = v.InferOutput<typeof RoomsResponse>;

/** POST /api/rooms/:id/invite (owner): a new code; the old link stops working. */
export const InviteResponse = v.object({ invite: v.string() });
export type InviteResponse = v.InferOutput<typeof InviteResponse>;

/** GET /api/invites/:code (no session needed): what the link leads to. 404 when invalid or rotated. */
export const InvitePreviewResponse = v.object({
  room: v.object({ id: v.string(), name: v.string(), topic: v.string(), memberCount: v.number() }),
});
export type InvitePreviewResponse = v.InferOutput<typeof InvitePreviewResponse>;

/** POST /api/dms: the one DM room with that user (created on first use; 201 then, else 200). */
export const StartDmBody = v.object({ username: Username });
export type StartDmBody = v.InferOutput<typeof StartDmBody>;

/** Query of DELETE /api/rooms/:id/members/:userId (owner): `ban=1` also bans them from the room. */
export const RemoveMemberQuery = v.object({
  ban: v.optional(v.pipe(v.picklist(["0", "1"], "ban must be 0 or 1"), v.transform((s) => s === "1")), "0"),
});
export type RemoveMemberQuery = v.InferOutput<typeof RemoveMemberQuery>;

/**
 * POST /api/rooms/:id/read: the member has seen everything up to `seq` (a read position only
 * rises). `unread: true` ("Mark as unread") sets it to exactly `seq`, lower or not.
 */
export const ReadBody = v.object({ seq: v.pipe(v.number(), v.integer(), v.minValue(0)), unread: v.optional(v.boolean()) });
export type ReadBody = v.InferOutput<typeof ReadBody>;

const SeqParam = (name: string) =>
  v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, `${name} must be a sequence number`), v.transform(Number)));

/**
 * Query of GET /api/rooms/:id/messages. Strings in, numbers out. At most one of:
 * - `before`: the page of messages before it (none: the latest page);
 * - `around`: a page with message `around` in its middle (a search result opened in its
 *   room), from D1 only: what a jump opens is history, the newest part the room sends anyway;
 * - `after`: the page of messages after it, oldest first (paging down from such a window).
 */
export const HistoryQuery = v.pipe(
  v.object({
    before: SeqParam("before"),
    around: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, "around must be a sequence number"), v.transform(Number), v.minValue(1, "around must be at least 1"))),
    after: SeqParam("after"),
    limit: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^\d{1,3}$/, "limit must be a number"),
        v.transform(Number),
        v.minValue(1, "limit must be at least 1"),
        v.maxValue(MAX_PAGE, `limit must be at most ${MAX_PAGE}`),
      ),
      String(DEFAULT_PAGE),
    ),
  }),
  v.check((q) => [q.before, q.around, q.after].filter((x) => x !== undefined).length <= 1, "give at most one of before, around and after"),
);
export type HistoryQuery = v.InferOutput<typeof HistoryQuery>;

export const HistoryResponse = v.object({
  /** Oldest first. */
  messages: v.array(MessageSchema),
  /** True when older messages exist before the first one returned. */
  hasMore: v.boolean(),
});
export type HistoryResponse = v.InferOutput<typeof HistoryResponse>;

/** Longest search query, in characters. */
export const MAX_SEARCH = 200;
/** Search results per page. */
export const SEARCH_PAGE = 20;

/**
 * Query of GET /api/search: `q` as the person typed it (the server turns it into FTS5
 * syntax: worker/db/search.ts), `before` the `next` cursor of the previous page.
 */
export const SearchQuery = v.object({
  q: v.pipe(v.string("q is required"), v.maxLength(MAX_SEARCH, `q must be at most ${MAX_SEARCH} characters`)),
  before: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, "before must be a cursor from a previous page"), v.transform(Number))),
});
export type SearchQuery = v.InferOutput<typeof SearchQuery>;

/** A piece of a result's snippet: `hit` marks the words the query matched. Text, never HTML. */
export const SnippetPart = v.object({ text: v.string(), hit: v.boolean() });
export type SnippetPart = v.InferOutput<typeof SnippetPart>;

/** One message found. `roomName` is, for a DM, the other person's name. */
export const SearchHitSchema = v.object({
  roomId: v.string(),
  roomName: v.string(),
  roomKind: RoomKind,
  seq: v.number(),
  uid: v.string(),
  name: v.string(),
  ts: v.number(),
  /** The passage around the matched words ("…" where it is cut). */
  snippet: v.array(SnippetPart),
});
export type SearchHit = v.InferOutput<typeof SearchHitSchema>;

/** GET /api/search: newest first; `next` (null: no more) is the `before` of the next page. */
export const SearchResponse = v.object({ results: v.array(SearchHitSchema), next: v.nullable(v.string()) });
export type SearchResponse = v.InferOutput<typeof SearchResponse>;

export const ApiErrorCode = {
  BAD_REQUEST: "bad_request",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  CONFLICT: "conflict",
  UPGRADE_REQUIRED: "upgrade_required",
  RATE_LIMITED: "rate_limited",
  /** 413: the file (or part, or thumbnail) is larger than allowed. */
  TOO_LARGE: "too_large",
  /** 411: an upload without Content-Length. */
  LENGTH_REQUIRED: "length_required",
  /** 403: the owner banned this person from the room (POST /api/invites/:code/join). */
  BANNED: "banned",
  /** 429: the person has UPLOADS_IN_FLIGHT uploads in progress already. */
  TOO_MANY_UPLOADS: "too_many_uploads",
  /** 429 (with Retry-After): the person has uploaded UPLOAD_BYTES_PER_DAY in the last 24 hours. */
  UPLOAD_QUOTA: "upload_quota",
  /** 413: the room's files would take more than ROOM_STORAGE_BYTES. */
  ROOM_STORAGE_FULL: "room_storage_full",
  /** 416: a Range outside the file. */
  RANGE_NOT_SATISFIABLE: "range_not_satisfiable",
  INTERNAL: "internal",
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export const ApiError = v.object({ error: v.object({ code: v.string(), message: v.string() }) });
export type ApiError = v.InferOutput<typeof ApiError>;
