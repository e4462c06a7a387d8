import { eq } from "drizzle-orm";
import { db } from "../db/client";
import { roomMembers } from "../db/schema";
import type { Viewer } from "./session";

/**
 * Closes every socket a revoked session still holds open: in each of the user's
 * rooms and on their own channel. A failure in one room does not stop the others;
 * those sockets would fail at their next upgrade anyway, since the session is gone.
 */
export async function closeSessionSockets(env: Env, viewer: Viewer): Promise<void> {
  const rows = await db(env.DB).select({ roomId: roomMembers.roomId }).from(roomMembers).where(eq(roomMembers.userId, viewer.id));
  const results = await Promise.allSettled([
    ...rows.map((r) => env.ROOMS.getByName(r.roomId).closeSession(viewer.sid)),
    env.HUBS.getByName(viewer.id).closeSession(viewer.sid),
  ]);
  for (const r of results) if (r.status === "rejected") console.error("closeSessionSockets", r.reason);
}
