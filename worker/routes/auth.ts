/**
 * Accounts: sign up (or turn the current guest into an account), log in, log out.
 * Every success starts a new session with a new token.
 */
import { Hono } from "hono";
import { eq, and } from "drizzle-orm";
import { ApiErrorCode, LoginBody, SignupBody, randomId, type SessionResponse } from "../protocol";
import { db } from "../db/client";
import { sessions, users } from "../db/schema";
import { currentUser, revokeSession, startSession } from "../auth/session";
import { decoyHash, hashPassword, verifyPassword } from "../auth/password";
import { isCommonPassword } from "../auth/common-passwords";
import { badRequest, conflict, HttpError, jsonBody, parseOr400 } from "../http/errors";
import { clientIp, limitLoginAttempt, limitOrThrow, settleLogin } from "../http/rate-limit";
import { closeSessionSockets } from "../auth/revoke";

/** A UNIQUE violation anywhere in the error's cause chain (drizzle wraps D1's error). */
function isUniqueViolation(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (/UNIQUE constraint failed/i.test(String((e as Error).message ?? e))) return true;
  }
  return false;
}

export const authRoutes = new Hono<{ Bindings: Env }>()
  .post("/signup", async (c) => {
    await limitOrThrow([[c.env.AUTH_IP_LIMITER, `signup:${clientIp(c)}`]]);
    const body = parseOr400(SignupBody, await jsonBody(c));
    if (isCommonPassword(body.password)) throw badRequest("password is one of the most common passwords; choose another");
    const viewer = await currentUser(c);
    if (viewer?.kind === "account") throw badRequest("you are signed in to an account; log out first");
    const d = db(c.env.DB);
    const passwordHash = await hashPassword(body.password);
    const name = body.name ?? viewer?.name ?? body.username;
    let id: string;
    try {
      if (viewer) {
        // The guest becomes the account: same id, so rooms and history stay theirs.
        id = viewer.id;
        await d
          .update(users)
          .set({ kind: "account", username: body.username, passwordHash, name })
          .where(and(eq(users.id, id), eq(users.kind, "guest")));
        // A new token for the new privilege; the guest token stops working.
        await d.delete(sessions).where(eq(sessions.id, viewer.sid));
      } else {
        id = randomId();
        await d.insert(users).values({ id, name, kind: "account", username: body.username, passwordHash, createdAt: Date.now() });
      }
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict("that username is taken");
      throw err;
    }
    // Sockets the guest token opened close too (4001); the client reconnects with the new one.
    if (viewer) await closeSessionSockets(c.env, viewer);
    await startSession(c, id);
    return c.json({ user: { id, name, username: body.username, kind: "account" } } satisfies SessionResponse, 201);
  })
  .post("/login", async (c) => {
    const body = parseOr400(LoginBody, await jsonBody(c));
    await limitLoginAttempt(c, body.username);
    const d = db(c.env.DB);
    const user = (await d.select().from(users).where(eq(users.username, body.username)).limit(1))[0];
    // Same work whether or not the user exists.
    const verdict = await verifyPassword(body.password, user?.passwordHash ?? (await decoyHash()));
    const ok = user !== undefined && user.passwordHash !== null && verdict.ok;
    await settleLogin(c, body.username, ok);
    if (!ok) throw new HttpError(401, ApiErrorCode.UNAUTHORIZED, "wrong username or password");
    if (verdict.needsRehash) await d.update(users).set({ passwordHash: await hashPassword(body.password) }).where(eq(users.id, user.id));
    // Whatever session this browser had ends; the new one has a fresh token.
    const previous = await currentUser(c);
    if (previous) {
      await d.delete(sessions).where(eq(sessions.id, previous.sid));
      await closeSessionSockets(c.env, previous);
    }
    await startSession(c, user.id);
    return c.json({ user: { id: user.id, name: user.name, username: user.username, kind: "account" } } satisfies SessionResponse);
  })
  .post("/logout", async (c) => {
    const viewer = await revokeSession(c);
    // Sockets opened with this session close now, not at their next reconnect.
    if (viewer) await closeSessionSockets(c.env, viewer);
    return c.body(null, 204);
  });
