import { Hono } from "hono";
import { CreateSessionBody, type SessionResponse } from "../protocol";
import { createGuestSession, me, requireUser } from "../auth/session";
import { jsonBody, parseOr400 } from "../http/errors";
import { clientIp, limitOrThrow } from "../http/rate-limit";

/** Guest sessions: a display name is all it takes to join a room by link. */
export const sessionRoutes = new Hono<{ Bindings: Env }>()
  .get("/", async (c) => c.json({ user: me(await requireUser(c)) } satisfies SessionResponse))
  .post("/", async (c) => {
    // Each guest is a new identity (a user row, a session): per address, as many as signups.
    await limitOrThrow([[c.env.AUTH_IP_LIMITER, `guest:${clientIp(c)}`]]);
    const { name } = parseOr400(CreateSessionBody, await jsonBody(c));
    return c.json({ user: await createGuestSession(c, name) } satisfies SessionResponse);
  });
