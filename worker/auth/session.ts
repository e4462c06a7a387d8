/**
 * Guest sessions: a random 256-bit token in an HttpOnly cookie; only its SHA-256
 * is stored in D1, so a database leak does not leak live sessions.
 */
import type { Context } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import { eq, and, gt } from "drizzle-orm";
import { randomId } from "../protocol";
import type { Peer } from "../protocol";
import { db } from "../db/client";
import { sessions, users } from "../db/schema";
import { unauthorized } from "../http/errors";

export const SESSION_COOKIE = "sid";
const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export async function sha256Hex(s: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Creates a guest user and a session for them; sets the cookie. */
export async function createGuestSession(c: Context<{ Bindings: Env }>, name: string): Promise<Peer> {
  const now = Date.now();
  const user = { id: randomId(), name };
  const token = randomId(32);
  const d = db(c.env.DB);
  await d.batch([
    d.insert(users).values({ id: user.id, name, kind: "guest", createdAt: now }),
    d.insert(sessions).values({ id: await sha256Hex(token), userId: user.id, createdAt: now, expiresAt: now + SESSION_TTL_MS }),
  ]);
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    path: "/",
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: SESSION_TTL_MS / 1000,
  });
  return user;
}

/** The signed-in user, or null. */
export async function currentUser(c: Context<{ Bindings: Env }>): Promise<Peer | null> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || token.length > 64) return null;
  const rows = await db(c.env.DB)
    .select({ id: users.id, name: users.name })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, await sha256Hex(token)), gt(sessions.expiresAt, Date.now())))
    .limit(1);
  return rows[0] ?? null;
}

export async function requireUser(c: Context<{ Bindings: Env }>): Promise<Peer> {
  const user = await currentUser(c);
  if (!user) throw unauthorized();
  return user;
}

export async function endSession(c: Context<{ Bindings: Env }>): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token && token.length <= 64) await db(c.env.DB).delete(sessions).where(eq(sessions.id, await sha256Hex(token)));
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}
