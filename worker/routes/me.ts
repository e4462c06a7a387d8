/**
 * /api/me: the signed-in user's own channel. GET /api/me/ws is a WebSocket to
 * their UserHub, which pushes sidebar changes (HubFrame) to every open tab.
 */
import { Hono } from "hono";
import { ApiErrorCode } from "../protocol";
import { requireUser } from "../auth/session";
import { HttpError } from "../http/errors";
import { upgradeRequest } from "../room/identity";

export const meRoutes = new Hono<{ Bindings: Env }>().get("/ws", async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new HttpError(426, ApiErrorCode.UPGRADE_REQUIRED, "expected a WebSocket upgrade");
  }
  const user = await requireUser(c);
  return c.env.HUBS.getByName(user.id).fetch(upgradeRequest(c.req.url, { id: user.id, name: user.name, sid: user.sid, until: user.until }));
});
