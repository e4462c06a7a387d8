import { Hono } from "hono";
import { errorResponse, notFound } from "./http/errors";
import { sameOrigin } from "./http/origin";
import { authRoutes } from "./routes/auth";
import { sessionRoutes } from "./routes/session";
import { roomRoutes } from "./routes/rooms";

export { ChatRoom } from "./room/chat-room";

const app = new Hono<{ Bindings: Env }>()
  .use("/api/*", sameOrigin)
  .get("/api/health", (c) => c.json({ ok: true }))
  .route("/api/session", sessionRoutes)
  .route("/api/auth", authRoutes)
  .route("/api/rooms", roomRoutes);

app.notFound((c) => errorResponse(notFound("no such endpoint"), c));
app.onError(errorResponse);

export default app satisfies ExportedHandler<Env>;
