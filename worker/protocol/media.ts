/**
 * Media: files, images, audio/video and reactions. The bytes live in R2 under a
 * key scoped to the room (`rooms/<roomId>/<attachmentId>`, thumbnail `…/thumb`);
 * metadata in D1 (`attachments`) and, for the room object's hot path, in the
 * room's own storage. A message references its attachments by id when sent and
 * carries their full metadata (`Message.attachments`) everywhere after.
 *
 * Upload flow (every route: signed in, member of the room, same-origin):
 *   1. POST /api/rooms/:id/uploads  CreateUploadBody → 201 CreateUploadResponse
 *   2a. mode "single":    PUT /api/rooms/:id/uploads/:aid          body = the bytes → 200 UploadDoneResponse
 *   2b. mode "multipart": PUT /api/rooms/:id/uploads/:aid/parts/:n  (n = 1…parts; every part is exactly
 *       `partSize` bytes except the last) → 200 UploadPartResponse;
 *       then POST /api/rooms/:id/uploads/:aid/complete  CompleteUploadBody → 200 UploadDoneResponse
 *   (optional, before 2a/complete) PUT /api/rooms/:id/uploads/:aid/thumb  body = image/webp|jpeg|png ≤ MAX_THUMB_BYTES → 204
 *   cancel: DELETE /api/rooms/:id/uploads/:aid → 204 (aborts, deletes bytes and row; only while not in a message)
 *   3. send {type:"send", cid, text, attachments: [aid, …]} on the room socket.
 * Download: GET /api/rooms/:id/attachments/:aid and …/:aid/thumb (members only; Range supported).
 * Errors are the usual JSON `{error:{code,message}}`: 400, 401, 403, 404, 409, 413.
 *
 * Persisted or wire-visible shapes: bump PROTOCOL (limits.ts) on any incompatible change.
 */
import * as v from "valibot";
import { ReqIdSchema, hasVisible, stripHidden } from "./limits";

/** Most attachments on one message. */
export const MAX_ATTACHMENTS = 10;
/** Longest stored file name (after sanitizing), in code units. */
export const MAX_FILE_NAME = 200;
/** Largest thumbnail. */
export const MAX_THUMB_BYTES = 256 * 1024;
/** Thumbnail types accepted. */
export const THUMB_TYPES: readonly string[] = ["image/webp", "image/jpeg", "image/png"];
/** Longest reaction emoji, in UTF-16 code units. */
export const MAX_EMOJI = 16;

/** Content types served inline (everything else downloads as application/octet-stream). SVG never. */
export const INLINE_TYPES: readonly string[] = [
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "audio/mpeg",
  "audio/mp4",
  "audio/aac",
  "audio/ogg",
  "audio/opus",
  "audio/wav",
  "audio/webm",
  "audio/flac",
  "video/mp4",
  "video/webm",
  "video/ogg",
  "video/quicktime",
];

/** True when the client may show this attachment inline (img/audio/video); else offer a download. */
export function isInlineType(type: string): boolean {
  return INLINE_TYPES.includes(type.toLowerCase());
}

/** URL of an attachment's bytes (or its thumbnail). */
export function attachmentUrl(roomId: string, attachmentId: string, thumb = false): string {
  return `/api/rooms/${encodeURIComponent(roomId)}/attachments/${encodeURIComponent(attachmentId)}${thumb ? "/thumb" : ""}`;
}

const Dim = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000));

/** A stored file as every member sees it (on messages, in upload answers). */
export const AttachmentSchema = v.object({
  id: v.string(),
  /** Sanitized file name. */
  name: v.string(),
  /**
   * Content type as stored: the claimed type, except that an image whose bytes do not match it
   * becomes "application/octet-stream". Use isInlineType() to decide how to show it.
   */
  type: v.string(),
  /** Bytes. */
  size: v.number(),
  width: v.optional(v.number()),
  height: v.optional(v.number()),
  durationMs: v.optional(v.number()),
  /** True when a thumbnail exists (attachmentUrl(room, id, true)). */
  thumb: v.boolean(),
});
export type Attachment = v.InferOutput<typeof AttachmentSchema>;

/** Aggregated reactions on a message: one entry per emoji, user ids in the order they reacted. */
export const ReactionSchema = v.object({ emoji: v.string(), users: v.array(v.string()) });
export type Reaction = v.InferOutput<typeof ReactionSchema>;

/** A reaction emoji: 1–16 code units, no whitespace or control characters. */
export const Emoji = v.pipe(
  v.string(),
  v.minLength(1, "emoji is empty"),
  v.maxLength(MAX_EMOJI, `emoji is longer than ${MAX_EMOJI} characters`),
  v.check((s) => !/[\s\p{Cc}]/u.test(s), "emoji must not contain whitespace or control characters"),
  v.check((s) => stripHidden(s) === s && hasVisible(s), "emoji must not contain invisible or direction-changing characters"),
);

// ── HTTP ───────────────────────────────────────────────────────────────────────

/** POST /api/rooms/:id/uploads. `size` is checked against the limit before any byte is sent. */
export const CreateUploadBody = v.object({
  name: v.pipe(v.string("name must be a string"), v.minLength(1, "name is required"), v.maxLength(1000, "name is too long")),
  type: v.pipe(v.string("type must be a string"), v.maxLength(255, "type is too long")),
  size: v.pipe(v.number("size must be a number"), v.integer("size must be an integer"), v.minValue(1, "size must be at least 1")),
  width: v.optional(Dim),
  height: v.optional(Dim),
  durationMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});
export type CreateUploadBody = v.InferOutput<typeof CreateUploadBody>;

export const UploadModeSchema = v.picklist(["single", "multipart"]);
export type UploadMode = v.InferOutput<typeof UploadModeSchema>;

export const CreateUploadResponse = v.object({
  /** The attachment id (`aid` in the upload routes, and what `send.attachments` lists). */
  id: v.string(),
  /** "single": one PUT of the whole body; "multipart": PUT parts 1…parts then POST complete. */
  mode: UploadModeSchema,
  /** Bytes per part (multipart; every part but the last is exactly this long). */
  partSize: v.number(),
  /** Number of parts (1 for single). */
  parts: v.number(),
  /** The server's size limit, bytes. */
  maxBytes: v.number(),
});
export type CreateUploadResponse = v.InferOutput<typeof CreateUploadResponse>;

/** PUT …/parts/:n → this; keep it for POST …/complete. */
export const UploadPartResponse = v.object({ partNumber: v.number(), etag: v.string() });
export type UploadPartResponse = v.InferOutput<typeof UploadPartResponse>;

/** POST …/complete: every part, as the part PUTs answered. */
export const CompleteUploadBody = v.object({
  parts: v.pipe(
    v.array(v.object({ partNumber: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10_000)), etag: v.pipe(v.string(), v.maxLength(200)) })),
    v.minLength(1),
    v.maxLength(10_000),
  ),
});
export type CompleteUploadBody = v.InferOutput<typeof CompleteUploadBody>;

/** The upload is stored and ready to be sent on a message. */
export const UploadDoneResponse = v.object({ attachment: AttachmentSchema });
export type UploadDoneResponse = v.InferOutput<typeof UploadDoneResponse>;

// ── WebSocket frames (joined into frames.ts) ──────────────────────────────────

const Seq = v.pipe(v.number(), v.integer(), v.minValue(0));

/** Add (`on: true`) or remove your reaction `emoji` on message `seq`. */
export const ReactFrame = v.object({ type: v.literal("react"), seq: Seq, emoji: Emoji, on: v.boolean(), req: v.optional(ReqIdSchema) });
/** Delete your own message `seq`: it becomes a tombstone for everyone and its files are deleted. */
export const DeleteFrame = v.object({ type: v.literal("delete"), seq: Seq, req: v.optional(ReqIdSchema) });

export const MediaClientFrames = [ReactFrame, DeleteFrame] as const;

export const MediaServerFrames = [
  /** Someone (`user`, a user id) added or removed a reaction. Apply in order. */
  v.object({ type: v.literal("reaction"), seq: Seq, emoji: v.string(), user: v.string(), on: v.boolean() }),
  /** Message `seq` was deleted: show a tombstone (text "", no attachments, no reactions, `deleted: true`). */
  v.object({ type: v.literal("deleted"), seq: Seq }),
] as const;

export const MediaErrorCode = {
  /** `send.attachments` named an id that is unknown, not ready, someone else's, another room's, or already used. */
  BAD_ATTACHMENT: "bad_attachment",
  /** `react`/`delete`/`edit`/`send.replyTo` named a message that this room does not have (or, react/delete, that is deleted). */
  NO_SUCH_MESSAGE: "no_such_message",
  /** `delete` or `edit` of someone else's message. */
  NOT_YOUR_MESSAGE: "not_your_message",
} as const;

/** Groups reaction rows (in the order given) into each message's `reactions`. */
export function attachReactions<M extends { seq: number }>(list: M[], rows: readonly { seq: number; emoji: string; uid: string }[]): (M & { reactions?: Reaction[] })[] {
  const by = new Map<number, Reaction[]>();
  for (const r of rows) {
    const on = by.get(r.seq) ?? [];
    const e = on.find((x) => x.emoji === r.emoji);
    if (e) e.users.push(r.uid);
    else on.push({ emoji: r.emoji, users: [r.uid] });
    by.set(r.seq, on);
  }
  return list.map((m) => (by.has(m.seq) ? { ...m, reactions: by.get(m.seq)! } : m));
}
