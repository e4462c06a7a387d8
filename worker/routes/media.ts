/**
 * Uploads and downloads of files (worker/protocol/media.ts has the flow). Every route
 * authenticates (401), finds the room (404) and requires membership (403) first.
 * Bytes are streamed to R2, never buffered whole: the declared size and Content-Length
 * are checked against MAX_UPLOAD_BYTES before the body is read (413), and a new upload
 * against the quotas (media/quota.ts: 429, or 413 for a full room). When an upload
 * is complete the room object is told (`attachmentReady`), so that sending it on a
 * message needs nothing outside the room.
 */
import { Hono, type Context } from "hono";
import {
  ApiErrorCode,
  CompleteUploadBody,
  CreateUploadBody,
  MAX_THUMB_BYTES,
  THUMB_TYPES,
  randomId,
  type Attachment,
  type CreateUploadResponse,
  type UploadDoneResponse,
  type UploadPartResponse,
} from "../protocol";
import { db } from "../db/client";
import { deleteAttachmentRows, findAttachment, insertAttachmentWithin, updateAttachment, uploadUsage, type AttachmentRow } from "../db/queries";
import { HttpError, badRequest, conflict, jsonBody, notFound, parseOr400 } from "../http/errors";
import { memberAccess, type Access } from "./rooms";
import { DAY_MS, IN_FLIGHT_MS, refusal, uploadLimits } from "../media/quota";
import { SNIFF_BYTES, contentHeaders, mediaKey, parseRange, sanitizeFileName, sanitizeType, settleType, sniffImage } from "../media/files";

type Ctx = Context<{ Bindings: Env }>;

const MIN_PART = 5 * 1024 * 1024;

export function maxUploadBytes(env: Env): number {
  return Number(env.MAX_UPLOAD_BYTES) || 100 * 1024 * 1024;
}
function partBytes(env: Env): number {
  return Math.max(MIN_PART, Number(env.UPLOAD_PART_BYTES) || 10 * 1024 * 1024);
}

const tooLarge = (message: string) => new HttpError(413, ApiErrorCode.TOO_LARGE, message);

/** The attachment as clients see it. */
export function attachmentOf(r: AttachmentRow): Attachment {
  const a: Attachment = { id: r.id, name: r.name, type: r.type, size: r.size, thumb: r.thumbKey !== null };
  if (r.width !== null) a.width = r.width;
  if (r.height !== null) a.height = r.height;
  if (r.durationMs !== null) a.durationMs = r.durationMs;
  return a;
}

/** Content-Length of the request: 411 when missing, 413 above `max`, 400 when not `expected`. */
function bodyLength(c: Ctx, max: number, expected?: number): number {
  const raw = c.req.header("content-length");
  if (raw === undefined || !/^\d{1,16}$/.test(raw)) {
    throw new HttpError(411, ApiErrorCode.LENGTH_REQUIRED, "an upload needs a Content-Length");
  }
  const n = Number(raw);
  if (n > max) throw tooLarge(`at most ${max} bytes`);
  if (expected !== undefined && n !== expected) throw badRequest(`expected exactly ${expected} bytes, got ${n}`);
  return n;
}

/** The caller's own upload in this room (404 otherwise: someone else's is not theirs to see). */
async function ownUpload(c: Ctx, a: Access): Promise<AttachmentRow> {
  const row = await findAttachment(db(c.env.DB), a.room.id, c.req.param("aid") ?? "");
  if (!row || row.uploaderId !== a.user.id) throw notFound("no such upload");
  return row;
}

function pendingUpload(row: AttachmentRow, mode: AttachmentRow["mode"]): void {
  if (row.status !== "pending") throw conflict("this upload is already complete");
  if (row.mode !== mode) throw badRequest(`this upload is in ${row.mode} mode`);
}

function partsOf(row: AttachmentRow): number {
  return Math.max(1, Math.ceil(row.size / row.partSize));
}

/**
 * Marks an upload whose bytes are all in R2 as ready: the first bytes settle its type
 * (a claimed image that is not one becomes a plain file), D1 is updated, and the room
 * object learns its metadata.
 */
async function finish(c: Ctx, row: AttachmentRow): Promise<Attachment> {
  const head = await c.env.MEDIA.get(row.key, { range: { offset: 0, length: SNIFF_BYTES } });
  if (!head) throw new Error(`upload ${row.id}: object missing after completion`);
  const type = settleType(row.type, new Uint8Array(await head.arrayBuffer()));
  const ready: AttachmentRow = { ...row, type, status: "ready", uploadId: null };
  await updateAttachment(db(c.env.DB), row.id, { type, status: "ready", uploadId: null });
  const attachment = attachmentOf(ready);
  await c.env.ROOMS.getByName(row.roomId).attachmentReady(row.uploaderId, attachment);
  return attachment;
}

/** Deletes an upload's bytes (aborting a multipart upload in progress) and its row. */
export async function discardUpload(env: Env, row: AttachmentRow): Promise<void> {
  if (row.status === "pending" && row.mode === "multipart" && row.uploadId) {
    try {
      await env.MEDIA.resumeMultipartUpload(row.key, row.uploadId).abort();
    } catch (err) {
      console.warn("abort multipart upload failed (already gone?)", row.id, err);
    }
  }
  await env.MEDIA.delete([row.key, ...(row.thumbKey ? [row.thumbKey] : [])]);
  await deleteAttachmentRows(db(env.DB), [row.id]);
}

async function serve(c: Ctx, row: AttachmentRow, key: string, type: string): Promise<Response> {
  const size = key === row.key ? row.size : undefined;
  const head = await c.env.MEDIA.head(key);
  if (!head) throw notFound("no such file");
  const total = size ?? head.size;
  const headers = contentHeaders(type, row.name, head.httpEtag);
  if (c.req.header("if-none-match") === head.httpEtag) return new Response(null, { status: 304, headers });
  const range = parseRange(c.req.header("range"), total);
  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${total}`);
    headers.set("content-type", "application/json");
    headers.delete("content-disposition");
    const body = { error: { code: ApiErrorCode.RANGE_NOT_SATISFIABLE, message: "range outside the file" } };
    return new Response(JSON.stringify(body), { status: 416, headers });
  }
  const obj = await c.env.MEDIA.get(key, range ? { range } : {});
  if (!obj || !("body" in obj)) throw notFound("no such file");
  if (range) {
    headers.set("content-range", `bytes ${range.offset}-${range.offset + range.length - 1}/${total}`);
    headers.set("content-length", String(range.length));
    return new Response(obj.body, { status: 206, headers });
  }
  headers.set("content-length", String(total));
  return new Response(obj.body, { status: 200, headers });
}

export const mediaRoutes = new Hono<{ Bindings: Env }>()
  /**
   * Starts an upload: checks the declared size and the quotas before any byte is sent. The row
   * goes in first, so a refused upload costs no R2 call; a multipart upload is made after.
   */
  .post("/:id/uploads", async (c) => {
    const a = await memberAccess(c);
    const body = parseOr400(CreateUploadBody, await jsonBody(c));
    const max = maxUploadBytes(c.env);
    if (body.size > max) throw tooLarge(`files can be at most ${max} bytes`);
    const partSize = partBytes(c.env);
    const id = randomId();
    const key = mediaKey(a.room.id, id);
    const type = sanitizeType(body.type);
    const mode = body.size > partSize ? "multipart" : "single";
    const now = Date.now();
    const row: AttachmentRow = {
      id,
      roomId: a.room.id,
      uploaderId: a.user.id,
      key,
      name: sanitizeFileName(body.name),
      type,
      size: body.size,
      width: body.width ?? null,
      height: body.height ?? null,
      durationMs: body.durationMs ?? null,
      thumbKey: null,
      status: "pending",
      mode,
      uploadId: null,
      partSize,
      createdAt: now,
      messageSeq: null,
    };
    const d = db(c.env.DB);
    const limits = uploadLimits(c.env);
    const since = { inFlight: now - IN_FLIGHT_MS, day: now - DAY_MS };
    if (!(await insertAttachmentWithin(d, row, limits, since))) throw refusal(await uploadUsage(d, a.user.id, a.room.id, since), body.size, limits, now);
    if (mode === "multipart") {
      try {
        const { uploadId } = await c.env.MEDIA.createMultipartUpload(key, { httpMetadata: { contentType: type } });
        await updateAttachment(d, id, { uploadId });
      } catch (err) {
        // No upload to carry on: its row must not hold a place in the quotas.
        await deleteAttachmentRows(d, [id]);
        throw err;
      }
    }
    const res: CreateUploadResponse = { id, mode, partSize, parts: partsOf(row), maxBytes: max };
    return c.json(res, 201);
  })
  /** Single mode: the whole file in one request, streamed to R2. */
  .put("/:id/uploads/:aid", async (c) => {
    const a = await memberAccess(c);
    const row = await ownUpload(c, a);
    pendingUpload(row, "single");
    bodyLength(c, maxUploadBytes(c.env), row.size);
    const body = c.req.raw.body;
    if (!body) throw badRequest("empty body");
    await c.env.MEDIA.put(row.key, body, { httpMetadata: { contentType: row.type } });
    return c.json({ attachment: await finish(c, row) } satisfies UploadDoneResponse);
  })
  /** Multipart mode: part n (1-based), exactly partSize bytes except the last. */
  .put("/:id/uploads/:aid/parts/:n", async (c) => {
    const a = await memberAccess(c);
    const row = await ownUpload(c, a);
    pendingUpload(row, "multipart");
    const raw = c.req.param("n");
    const parts = partsOf(row);
    const n = /^\d{1,5}$/.test(raw) ? Number(raw) : 0;
    if (n < 1 || n > parts) throw badRequest(`part number must be 1…${parts}`);
    const expected = n < parts ? row.partSize : row.size - (parts - 1) * row.partSize;
    bodyLength(c, Math.min(row.partSize, maxUploadBytes(c.env)), expected);
    const body = c.req.raw.body;
    if (!body || !row.uploadId) throw badRequest("empty body");
    const part = await c.env.MEDIA.resumeMultipartUpload(row.key, row.uploadId).uploadPart(n, body);
    return c.json({ partNumber: part.partNumber, etag: part.etag } satisfies UploadPartResponse);
  })
  .post("/:id/uploads/:aid/complete", async (c) => {
    const a = await memberAccess(c);
    const row = await ownUpload(c, a);
    pendingUpload(row, "multipart");
    const { parts } = parseOr400(CompleteUploadBody, await jsonBody(c));
    const n = partsOf(row);
    const sorted = [...parts].sort((x, y) => x.partNumber - y.partNumber);
    if (sorted.length !== n || sorted.some((p, i) => p.partNumber !== i + 1)) throw badRequest(`expected parts 1…${n}, each once`);
    try {
      await c.env.MEDIA.resumeMultipartUpload(row.key, row.uploadId!).complete(sorted);
    } catch (err) {
      console.warn("complete multipart upload failed", row.id, err);
      throw badRequest("the parts could not be put together (missing or wrong part?)");
    }
    return c.json({ attachment: await finish(c, row) } satisfies UploadDoneResponse);
  })
  /** A thumbnail (small WebP/JPEG/PNG made by the client), before the upload is complete. */
  .put("/:id/uploads/:aid/thumb", async (c) => {
    const a = await memberAccess(c);
    const row = await ownUpload(c, a);
    if (row.status !== "pending") throw conflict("add the thumbnail before the upload is complete");
    const type = sanitizeType(c.req.header("content-type") ?? "");
    if (!THUMB_TYPES.includes(type)) throw badRequest(`a thumbnail must be one of ${THUMB_TYPES.join(", ")}`);
    bodyLength(c, MAX_THUMB_BYTES);
    const bytes = new Uint8Array(await c.req.arrayBuffer()); // ≤ MAX_THUMB_BYTES, checked above
    if (bytes.length > MAX_THUMB_BYTES) throw tooLarge(`at most ${MAX_THUMB_BYTES} bytes`);
    if (sniffImage(bytes) !== type) throw badRequest(`the thumbnail is not ${type}`);
    const thumbKey = mediaKey(row.roomId, row.id, true);
    await c.env.MEDIA.put(thumbKey, bytes, { httpMetadata: { contentType: type } });
    await updateAttachment(db(c.env.DB), row.id, { thumbKey });
    return c.body(null, 204);
  })
  /** Cancels an upload (or discards a finished one not sent on a message): bytes and row are deleted. */
  .delete("/:id/uploads/:aid", async (c) => {
    const a = await memberAccess(c);
    const row = await ownUpload(c, a);
    // Sent on a message: flushed (D1 knows) or not yet (the room knows).
    if (row.messageSeq !== null || (row.status === "ready" && !(await c.env.ROOMS.getByName(row.roomId).dropAttachment(row.id)))) {
      throw conflict("this file was sent on a message; delete the message instead");
    }
    await discardUpload(c.env, row);
    return c.body(null, 204);
  })
  .get("/:id/attachments/:aid", async (c) => {
    const a = await memberAccess(c);
    const row = await findAttachment(db(c.env.DB), a.room.id, c.req.param("aid"));
    if (!row || row.status !== "ready") throw notFound("no such file");
    return serve(c, row, row.key, row.type);
  })
  .get("/:id/attachments/:aid/thumb", async (c) => {
    const a = await memberAccess(c);
    const row = await findAttachment(db(c.env.DB), a.room.id, c.req.param("aid"));
    if (!row || row.status !== "ready" || !row.thumbKey) throw notFound("no such thumbnail");
    const head = await c.env.MEDIA.head(row.thumbKey);
    return serve(c, row, row.thumbKey, head?.httpMetadata?.contentType ?? "application/octet-stream");
  });
