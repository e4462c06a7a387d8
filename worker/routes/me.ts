/**
 * /api/me: the signed-in user's own channel and settings. GET /api/me/ws is a WebSocket to
 * their UserHub, which pushes sidebar changes (HubFrame) to every open tab. PUT
 * /api/me/receipts switches the viewer's own "Send read receipts" (there is no way to set
 * anyone else's).
 */
import { Hono } from "hono";
import { ApiErrorCode, ReceiptsSettingBody, type ReceiptsSettingResponse } from "../protocol";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { roomIdsOf, setReadReceipts } from "../db/queries";
import { HttpError, jsonBody, parseOr400 } from "../http/errors";
import { upgradeRequest } from "../room/identity";
import { later } from "./rooms";

export const meRoutes = new Hono<{ Bindings: Env }>()
  .put("/receipts", async (c) => {
    const user = await requireUser(c);
    const { on } = parseOr400(ReceiptsSettingBody, await jsonBody(c));
    const d = db(c.env.DB);
    await setReadReceipts(d, user.id, on);
    // The person's rooms hear of it at once (one call per room of theirs, on a rare switch,
    // as the hub's lease renewal does); a room that misses it learns it with their next read or socket.
    if (on !== (user.receipts !== false)) {
      later(
        c,
        roomIdsOf(d, user.id).then(async (rooms) => {
          const results = await Promise.allSettled(rooms.map((r) => c.env.ROOMS.getByName(r).readReceipts(user.id, on)));
          for (const r of results) if (r.status === "rejected") console.error("receipts: a room missed the switch", r.reason);
        }),
      );
    }
    return c.json({ on } satisfies ReceiptsSettingResponse);
  })
  .get("/ws", async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new HttpError(426, ApiErrorCode.UPGRADE_REQUIRED, "expected a WebSocket upgrade");
  }
  const user = await requireUser(c);
  return c.env.HUBS.getByName(user.id).fetch(upgradeRequest(c.req.url, { id: user.id, name: user.name, sid: user.sid, until: user.until }));
});
