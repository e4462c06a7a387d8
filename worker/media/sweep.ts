/** The scheduled sweep of abandoned uploads (pending for more than PENDING_TTL_MS). */
import { db } from "../db/client";
import { stalePending } from "../db/queries";
import { discardUpload } from "../routes/media";

export const PENDING_TTL_MS = 24 * 60 * 60 * 1000;
const BATCH = 100;

/** Aborts multipart uploads, deletes bytes and rows of uploads pending since before now − 24 h. Returns how many. */
export async function sweepUploads(env: Env, now: number): Promise<number> {
  let n = 0;
  for (let round = 0; round < 10; round++) {
    const rows = await stalePending(db(env.DB), now - PENDING_TTL_MS, BATCH);
    for (const row of rows) {
      try {
        await discardUpload(env, row);
        n++;
      } catch (err) {
        console.error("sweep: discarding upload failed", row.id, err);
      }
    }
    if (rows.length < BATCH) break;
  }
  return n;
}
