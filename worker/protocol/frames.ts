/**
 * The room WebSocket protocol, declared once as valibot schemas. The Worker, the
 * room Durable Object and the web client all import these; types are inferred,
 * never written twice. Nothing here may import a runtime-specific module.
 *
 * Persisted or wire-visible shapes: bump PROTOCOL (limits.ts) on any incompatible change.
 */
import * as v from "valibot";
import { ReceiptSchema } from "./receipts";
import { MAX_BODY, MAX_CID, MAX_FRAME, MAX_NAME, MAX_QUOTE, MAX_REQ, ReqIdSchema } from "./limits";
import { CallClientFrames, CallErrorCode, CallServerFrames, CallStateSchema, CallSummarySchema } from "./calls";
import { AttachmentSchema, MAX_ATTACHMENTS, MediaClientFrames, MediaErrorCode, MediaServerFrames, ReactionSchema } from "./media";
import { MentionErrorCode, MentionsSchema, mentionIdsOf } from "./mentions";
import { HubErrorCode, PresenceSchema } from "./presence";

/**
 * A client's message id: letters, digits, `-` and `_` (a UUID fits). Ids with a colon are
 * the room's own (`call:<id>` for a call's history entry, `dup:<seq>` for a duplicate's tombstone).
 */
const Cid = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CID), v.regex(/^[\w-]+$/, "cid may hold only letters, digits, - and _"));
const Seq = v.pipe(v.number(), v.integer(), v.minValue(0));

export const PeerSchema = v.object({
  id: v.string(),
  name: v.pipe(v.string(), v.maxLength(MAX_NAME)),
});
/** A person as others see them: ids and display name only. */
export type Peer = v.InferOutput<typeof PeerSchema>;

/**
 * What a reply shows of the message it answers, stamped by the room from the original (so it
 * renders without the original loaded): its author and first line. The room keeps it current:
 * an edit of the original changes `text`, a deletion empties it and sets `deleted`.
 */
export const ReplyQuoteSchema = v.object({
  seq: Seq,
  uid: v.string(),
  name: v.string(),
  /** The original's first line, at most MAX_QUOTE characters ("" when it is deleted or only files). */
  text: v.string(),
  deleted: v.optional(v.boolean()),
});
export type ReplyQuote = v.InferOutput<typeof ReplyQuoteSchema>;

/** A reply's quote of `m` (its first line, truncated). */
export function quoteOf(m: { seq: number; uid: string; name: string; text: string; deleted?: boolean | undefined }): ReplyQuote {
  if (m.deleted) return { seq: m.seq, uid: m.uid, name: m.name, text: "", deleted: true };
  const line = m.text.trimStart().split("\n", 1)[0]!;
  return { seq: m.seq, uid: m.uid, name: m.name, text: line.length > MAX_QUOTE ? `${line.slice(0, MAX_QUOTE - 1)}…` : line };
}

export const MessageSchema = v.object({
  /** Position in the room's total order, assigned by the room. */
  seq: Seq,
  /** The sender's client id for this message (dedupe key). */
  cid: v.string(),
  /** Sender, stamped by the server from the authenticated identity. */
  uid: v.string(),
  name: v.string(),
  text: v.string(),
  /** Server time of acceptance, ms since epoch. */
  ts: v.number(),
  /** Set on the message a call leaves in the history (sent by the room, `uid` = the caller). */
  call: v.optional(CallSummarySchema),
  /** Files sent with the message (full metadata), in the order the sender listed them. */
  attachments: v.optional(v.array(AttachmentSchema)),
  /** Aggregated reactions (on welcome/history; live changes come as `reaction` frames). */
  reactions: v.optional(v.array(ReactionSchema)),
  /** A deleted message: a tombstone (text "", no attachments or reactions). */
  deleted: v.optional(v.boolean()),
  /** The message this one answers (a reply). */
  replyTo: v.optional(ReplyQuoteSchema),
  /** When its author last edited it (ms); `text` is the edited text. */
  edited: v.optional(v.number()),
  // ── mentions (mentions.ts) ──
  /** The ids the message mentions (checked members of the room; `room`: everyone), each a token in the text. */
  mentions: v.optional(v.array(v.string())),
});
export type Message = v.InferOutput<typeof MessageSchema>;

/** A room's newest message as the sidebar shows it (GET /api/rooms, hub `activity`). */
export const LastMessageSchema = v.object({
  seq: Seq,
  uid: v.string(),
  name: v.string(),
  text: v.string(),
  ts: v.number(),
  /** How many files it carries (its text may be empty then). */
  files: v.optional(v.number()),
  /** Deleted by its author. */
  deleted: v.optional(v.boolean()),
});
export type LastMessage = v.InferOutput<typeof LastMessageSchema>;

/** The sidebar's view of a message. */
export function lastMessageOf(m: Message): LastMessage {
  return {
    seq: m.seq,
    uid: m.uid,
    name: m.name,
    text: m.text,
    ts: m.ts,
    ...(m.attachments?.length ? { files: m.attachments.length } : {}),
    ...(m.deleted ? { deleted: true } : {}),
  };
}

// ── client → server ────────────────────────────────────────────────────────────

/** Whether each of a send's or an edit's `mentions` appears in its text as a token. */
function mentionsShown(f: { text: string; mentions?: string[] | undefined }): boolean {
  if (!f.mentions?.length) return true;
  const shown = new Set(mentionIdsOf(f.text));
  return f.mentions.every((id) => shown.has(id));
}
const MENTIONS_SHOWN = "every mention must appear in the text as @[Name](id)";

export const SendFrame = v.pipe(
  v.object({
    type: v.literal("send"),
    cid: Cid,
    text: v.pipe(v.string(), v.maxLength(MAX_BODY, `message is longer than ${MAX_BODY} characters`)),
    /** Ids of ready uploads of the sender in this room, not used by another message (≤ MAX_ATTACHMENTS). */
    attachments: v.optional(
      v.pipe(
        v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
        v.maxLength(MAX_ATTACHMENTS, `at most ${MAX_ATTACHMENTS} attachments`),
        v.check((a) => new Set(a).size === a.length, "attachments must not repeat"),
      ),
    ),
    /** The seq of the message (of this room) this one answers. */
    replyTo: v.optional(Seq),
    // ── mentions (mentions.ts) ──
    /** The ids of the people it mentions (`room`: everyone); each must be a `@[Label](id)` token in the text. */
    mentions: v.optional(MentionsSchema),
  }),
  // Text may be empty only when files are attached.
  v.forward(
    v.check((f) => f.text.trim().length > 0 || (f.attachments?.length ?? 0) > 0, "message is empty"),
    ["text"],
  ),
  v.forward(v.check((f) => mentionsShown(f), MENTIONS_SHOWN), ["mentions"]),
);
export const TypingFrame = v.object({ type: v.literal("typing"), on: v.boolean() });
/** The author replaces the text of their message `seq` (any of theirs, not only the recent ones). */
export const EditFrame = v.pipe(
  v.object({
    type: v.literal("edit"),
    seq: Seq,
    text: v.pipe(
      v.string(),
      v.maxLength(MAX_BODY, `message is longer than ${MAX_BODY} characters`),
      v.check((t) => t.trim().length > 0, "message is empty"),
    ),
    /** What the edited text mentions, as for `send` (none: it mentions no one any more). */
    mentions: v.optional(MentionsSchema),
    req: v.optional(ReqIdSchema),
  }),
  v.forward(v.check((f) => mentionsShown(f), MENTIONS_SHOWN), ["mentions"]),
);

export const ClientFrameSchema = v.variant("type", [SendFrame, TypingFrame, EditFrame, ...CallClientFrames, ...MediaClientFrames]);
export type ClientFrame = v.InferOutput<typeof ClientFrameSchema>;
export const CLIENT_FRAME_TYPES: readonly string[] = ClientFrameSchema.options.map((o) =>
  "pipe" in o ? o.pipe[0].entries.type.literal : o.entries.type.literal,
);

// ── server → client ────────────────────────────────────────────────────────────

export const ErrorCode = {
  BAD_JSON: "bad_json",
  UNKNOWN_TYPE: "unknown_type",
  INVALID_FRAME: "invalid_frame",
  FRAME_TOO_LARGE: "frame_too_large",
  BODY_TOO_LONG: "body_too_long",
  BINARY_UNSUPPORTED: "binary_unsupported",
  RATE_LIMITED: "rate_limited",
  INTERNAL: "internal",
  /** `edit` or a reply (`send.replyTo`) named a message that is deleted. */
  MESSAGE_DELETED: "message_deleted",
  /** `edit` of a message that is not text of its author's (a call's history entry). */
  NOT_EDITABLE: "not_editable",
  ...CallErrorCode,
  ...MediaErrorCode,
  ...MentionErrorCode,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ServerFrameSchema = v.variant("type", [
  v.object({
    type: v.literal("welcome"),
    v: v.number(),
    me: PeerSchema,
    online: v.array(PeerSchema),
    /** Messages after the client's `since` (or the latest page when it had none), oldest first. */
    messages: v.array(MessageSchema),
    /** The room's latest seq. */
    lastSeq: Seq,
    /**
     * True when messages between `since` and the first replayed one were not sent:
     * the client pages them from `GET /api/rooms/:id/messages?before=`.
     */
    gap: v.boolean(),
    /**
     * Sent on a reconnect (`since` ≥ 1): the current state of the messages the client already
     * holds, seq `from`…`to` (≤ since), which may have changed while it was away. Replace their
     * reactions by `reactions` (a seq not listed has none now) and tombstone those in `deleted`.
     */
    /**
     * The room's message budget for this sender (a token bucket: `perSec` refill, `burst`
     * size). The client paces its sends (its outbox above all) to stay within it.
     */
    budget: v.optional(v.object({ perSec: v.number(), burst: v.number() })),
    /**
     * The room's call right now (null: none), so that a reconnecting client drops a call
     * that ended while it was away. A running call also follows as a `call` frame.
     */
    call: v.optional(v.nullable(CallStateSchema)),
    /** The members' read and delivered positions, as this viewer may see them (receipts.ts). */
    receipts: v.optional(v.array(ReceiptSchema)),
    sync: v.optional(
      v.object({
        from: Seq,
        to: Seq,
        reactions: v.array(v.object({ seq: Seq, reactions: v.array(ReactionSchema) })),
        deleted: v.array(Seq),
        /** The edited ones among them: their current text (and their replies' quotes follow). */
        edited: v.optional(v.array(v.object({ seq: Seq, text: v.string(), edited: v.number(), mentions: v.optional(v.array(v.string())) }))),
      }),
    ),
  }),
  v.object({
    type: v.literal("ack"),
    cid: v.string(),
    seq: Seq,
    ts: v.number(),
    /** The attachments' stored metadata, when the message has any. */
    attachments: v.optional(v.array(AttachmentSchema)),
  }),
  /** New messages, oldest first. Several may be coalesced into one frame. */
  v.object({ type: v.literal("msgs"), messages: v.array(MessageSchema) }),
  /**
   * Who came online and who left since the last presence frame (deltas: a join
   * costs one small frame per socket, not the whole list).
   */
  v.object({ type: v.literal("presence"), joined: v.array(PeerSchema), left: v.array(v.string()) }),
  /** Read/delivered positions that changed (coalesced: at most a few frames a second); each entry replaces that member's. */
  v.object({ type: v.literal("receipts"), receipts: v.array(ReceiptSchema) }),
  v.object({ type: v.literal("typing"), user: PeerSchema, on: v.boolean(), ttl: v.number() }),
  /**
   * Message `seq` was edited by its author at `edited` (ms): show `text` and "(edited)", with
   * the mentions it has now (none: it has none). The quotes of replies to it show its new first line.
   */
  v.object({ type: v.literal("edited"), seq: Seq, text: v.string(), edited: v.number(), mentions: v.optional(v.array(v.string())) }),
  /** The room's details or member list changed (joined, left, removed, renamed): refetch GET /api/rooms/:id. */
  v.object({ type: v.literal("members") }),
  ...CallServerFrames,
  ...MediaServerFrames,
  v.object({
    type: v.literal("error"),
    code: v.picklist(Object.values(ErrorCode)),
    message: v.string(),
    /** Set when the error concerns one message the client sent. */
    cid: v.optional(v.string()),
    /** Set when the error refuses an action that carried a request id (`req`). */
    req: v.optional(v.string()),
    /**
     * With `rate_limited`: in how many ms the same frame would be taken. A frame that was
     * only early is not held against the sender; send it again after this long.
     */
    retryMs: v.optional(v.number()),
  }),
]);
export type ServerFrame = v.InferOutput<typeof ServerFrameSchema>;
export type ServerFrameOf<T extends ServerFrame["type"]> = Extract<ServerFrame, { type: T }>;

// ── parsing ───────────────────────────────────────────────────────────────────

export type ParseResult<T> =
  | { ok: true; frame: T }
  | { ok: false; code: ErrorCode; message: string; cid?: string; req?: string };

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Parses a raw client frame from `unknown` wire data. Never throws. */
export function parseClientFrame(raw: string | ArrayBuffer): ParseResult<ClientFrame> {
  if (typeof raw !== "string") {
    return { ok: false, code: ErrorCode.BINARY_UNSUPPORTED, message: "binary frames are not supported" };
  }
  if (raw.length > MAX_FRAME) {
    return { ok: false, code: ErrorCode.FRAME_TOO_LARGE, message: `frame is larger than ${MAX_FRAME} bytes` };
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: ErrorCode.BAD_JSON, message: "frame is not valid JSON" };
  }
  if (!isRecord(data)) return { ok: false, code: ErrorCode.INVALID_FRAME, message: "frame must be a JSON object" };
  const cid = typeof data.cid === "string" && data.cid.length <= MAX_CID ? data.cid : undefined;
  const req = typeof data.req === "string" && data.req.length > 0 && data.req.length <= MAX_REQ ? data.req : undefined;
  const ids = { ...(cid === undefined ? {} : { cid }), ...(req === undefined ? {} : { req }) };
  if (typeof data.type !== "string" || !CLIENT_FRAME_TYPES.includes(data.type)) {
    return { ok: false, code: ErrorCode.UNKNOWN_TYPE, message: `unknown frame type: ${String(data.type).slice(0, 32)}`, ...ids };
  }
  const r = v.safeParse(ClientFrameSchema, data);
  if (r.success) return { ok: true, frame: r.output };
  const issue = r.issues[0];
  const tooLong = (data.type === "send" || data.type === "edit") && typeof data.text === "string" && data.text.length > MAX_BODY;
  return {
    ok: false,
    code: tooLong ? ErrorCode.BODY_TOO_LONG : ErrorCode.INVALID_FRAME,
    message: `${v.getDotPath(issue) ?? "frame"}: ${issue.message}`,
    ...ids,
  };
}

/** Parses a server frame (client side). Returns null for anything unexpected. */
export function parseServerFrame(raw: unknown): ServerFrame | null {
  if (typeof raw !== "string") return null;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return null;
  }
  const r = v.safeParse(ServerFrameSchema, data);
  return r.success ? r.output : null;
}

/** Exhaustiveness guard for switches over tagged unions. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}

// ── the user's own channel (GET /api/me/ws): keeps the sidebar live ──────────────

export const HubFrameSchema = v.variant("type", [
  /** New messages in one of the user's rooms (sent a moment after they are stored). */
  v.object({
    type: v.literal("activity"),
    roomId: v.string(),
    lastSeq: Seq,
    lastMessage: LastMessageSchema,
    /** The seqs of the new messages that mention the user (or `@room`), not theirs: the `@` badge grows by the ones it has not counted. */
    mentions: v.optional(v.array(Seq)),
  }),
  /** The user's room list changed (joined, added to a DM, removed, renamed, deleted): refetch GET /api/rooms. */
  v.object({ type: v.literal("rooms") }),
  /**
   * A call started in one of the user's rooms is ringing them (sent by the room, so
   * that a member who does not have that room open sees the incoming call too).
   */
  v.object({
    type: v.literal("call.ring"),
    roomId: v.string(),
    callId: v.string(),
    media: v.picklist(["audio", "video"]),
    caller: v.object({ id: v.string(), name: v.string() }),
  }),
  /** That call stopped ringing the user (answered, declined, cancelled, missed or ended). */
  v.object({ type: v.literal("call.ring_ended"), roomId: v.string(), callId: v.string() }),
  /**
   * The user has read the room up to `seq` (on this device or another): its badge follows
   * everywhere. `unread`: they marked it unread from `seq + 1` on (the position went back).
   */
  v.object({ type: v.literal("read"), roomId: v.string(), seq: Seq, unread: v.optional(v.boolean()) }),
  /**
   * Presence of people who share a room with the user (presence.ts). `all`: the whole list
   * (sent when the user comes online or a tab says hello), replacing what the tab had;
   * otherwise the changes.
   */
  v.object({ type: v.literal("presence"), users: v.array(PresenceSchema), all: v.optional(v.boolean()) }),
  /** A frame the tab sent was refused (the channel goes on working). */
  v.object({ type: v.literal("error"), code: v.picklist(Object.values(HubErrorCode)), message: v.string() }),
]);
export type HubFrame = v.InferOutput<typeof HubFrameSchema>;

export function parseHubFrame(raw: unknown): HubFrame | null {
  if (typeof raw !== "string") return null;
  try {
    const r = v.safeParse(HubFrameSchema, JSON.parse(raw));
    return r.success ? r.output : null;
  } catch {
    return null;
  }
}
