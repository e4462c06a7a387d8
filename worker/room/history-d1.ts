/** The flush's `History` on the real bindings: D1 through drizzle, file bytes in R2. */
import { db } from "../db/client";
import { applyDeletions, applyEdits, applyReactions, insertMessages, messageAt, seqOfCid } from "../db/queries";
import { mediaKey } from "../media/files";
import type { History } from "./flush";

/** R2 deletes at most 1,000 keys per call. */
const R2_DELETE_MAX = 1000;

export function d1History(env: Pick<Env, "DB" | "MEDIA">): History {
  const d = db(env.DB);
  return {
    insert: (roomId, list) => insertMessages(d, roomId, list),
    seqOf: (roomId, uid, cid) => seqOfCid(d, roomId, uid, cid),
    edits: (roomId, changes) => applyEdits(d, roomId, changes),
    older: (roomId, seq) => messageAt(d, roomId, seq),
    reactions: (roomId, changes) => applyReactions(d, roomId, changes.map((c) => ({ seq: c.seq, emoji: c.emoji, userId: c.uid, on: c.on, ts: c.ts }))),
    async deletions(roomId, list) {
      await applyDeletions(d, roomId, list);
      const keys = list.flatMap((x) => x.files.flatMap((id) => [mediaKey(roomId, id), mediaKey(roomId, id, true)]));
      for (let i = 0; i < keys.length; i += R2_DELETE_MAX) await env.MEDIA.delete(keys.slice(i, i + R2_DELETE_MAX));
    },
  };
}
