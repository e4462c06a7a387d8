import { Hono } from "hono";
import { errorResponse, notFound } from "./http/errors";
import { sameOrigin } from "./http/origin";
import { authRoutes } from "./routes/auth";
import { sessionRoutes } from "./routes/session";
import { roomRoutes } from "./routes/rooms";
import { inviteRoutes } from "./routes/invites";
import { dmRoutes } from "./routes/dms";
import { meRoutes } from "./routes/me";
import { turnRoutes } from "./routes/turn";
import { mediaRoutes } from "./routes/media";
import { searchRoutes } from "./routes/search";
import { notificationRoutes, pushRoutes } from "./routes/notifications";
import { sweepUploads } from "./media/sweep";

export { ChatRoom } from "./room/chat-room";
export { UserHub } from "./room/user-hub";

const app = new Hono<{ Bindings: Env }>()
  .use("/api/*", sameOrigin)
  .get("/api/health", (c) => c.json({ ok: true }))
  .route("/api/session", sessionRoutes)
  .route("/api/auth", authRoutes)
  .route("/api/rooms", roomRoutes)
  .route("/api/rooms", mediaRoutes)
  .route("/api/rooms", notificationRoutes)
  .route("/api/push", pushRoutes)
  .route("/api/invites", inviteRoutes)
  .route("/api/dms", dmRoutes)
  .route("/api/me", meRoutes)
  .route("/api/turn", turnRoutes)
  .route("/api/search", searchRoutes);

app.notFound((c) => errorResponse(notFound("no such endpoint"), c));
app.onError(errorResponse);

export default {
  fetch: app.fetch,
  /** Cron (wrangler.toml [triggers]): sweep uploads abandoned for more than 24 h. */
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweepUploads(env, Date.now()));
  },
} satisfies ExportedHandler<Env>;
