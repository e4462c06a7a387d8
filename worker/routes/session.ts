import { Hono } from "hono";
import { CreateSessionBody, type SessionResponse } from "../protocol";
import { createGuestSession, endSession, requireUser } from "../auth/session";
import { jsonBody, parseOr400 } from "../http/errors";

export const sessionRoutes = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => c.json({ user: await requireUser(c) } satisfies SessionResponse))
  .post("/", async (c) => {
    const { name } = parseOr400(CreateSessionBody, await jsonBody(c));
    return c.json({ user: await createGuestSession(c, name) } satisfies SessionResponse);
  })
  .delete("/", async (c) => {
    await endSession(c);
    return c.body(null, 204);
  });
