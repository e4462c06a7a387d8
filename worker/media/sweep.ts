/**
 * The scheduled sweep (cron in wrangler.toml): uploads abandoned for more than
 * ORPHAN_AFTER_MS lose their bytes and rows. Abandoned means still pending (the
 * upload never completed: a multipart upload is aborted), or finished but never
 * sent on a message (the room object is asked first, so one it has just put on a
 * message whose flush is still due is kept).
 */
import { db } from "../db/client";
import { stalePending, staleUnsent, type AttachmentRow } from "../db/queries";
import { discardUpload } from "../routes/media";

export const ORPHAN_AFTER_MS = 24 * 60 * 60 * 1000;
const BATCH = 100;
const ROUNDS = 10;

/** Returns how many uploads it discarded. */
export async function sweepUploads(env: Env, now: number): Promise<number> {
  const before = now - ORPHAN_AFTER_MS;
  let n = 0;
  const discard = async (row: AttachmentRow) => {
    try {
      if (row.status === "ready" && !(await env.ROOMS.getByName(row.roomId).dropAttachment(row.id))) return false;
      await discardUpload(env, row);
      n++;
      return true;
    } catch (err) {
      console.error("sweep: discarding upload failed", row.id, err);
      return false;
    }
  };
  for (const find of [stalePending, staleUnsent]) {
    for (let round = 0; round < ROUNDS; round++) {
      const rows = await find(db(env.DB), before, BATCH);
      const done = await Promise.all(rows.map(discard));
      // Stop when a batch was short, or nothing in it could be discarded (kept or failing: next run).
      if (rows.length < BATCH || !done.some(Boolean)) break;
    }
  }
  return n;
}

/** Deletes every object under a room's prefix and aborts its multipart uploads in progress (the room was deleted). */
export async function deleteRoomMedia(env: Env, roomId: string, pending: readonly AttachmentRow[]): Promise<void> {
  for (const row of pending) {
    if (!row.uploadId) continue;
    try {
      await env.MEDIA.resumeMultipartUpload(row.key, row.uploadId).abort();
    } catch (err) {
      console.warn("abort multipart upload failed", row.id, err);
    }
  }
  let cursor: string | undefined;
  do {
    const page = await env.MEDIA.list({ prefix: `rooms/${roomId}/`, cursor, limit: 1000 });
    if (page.objects.length > 0) await env.MEDIA.delete(page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}
