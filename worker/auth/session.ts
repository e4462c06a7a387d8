/**
 * Sessions: a random 256-bit token in an HttpOnly cookie; only its SHA-256 (the
 * session id, `sid`) is stored in D1, so a database leak does not leak live
 * sessions. Sessions end at an absolute expiry, after a spell of idleness, or when
 * revoked (logout deletes the row: every later request and socket upgrade fails).
 */
import type { Context } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import { eq } from "drizzle-orm";
import { randomId, type Me } from "../protocol";
import type { BatchItem } from "drizzle-orm/batch";
import { db, type DB } from "../db/client";
import { sessions, users } from "../db/schema";
import { unauthorized } from "../http/errors";

type Ctx = Context<{ Bindings: Env }>;

/** The signed-in person and the session they came with. */
export interface Viewer extends Me {
  /** The session's id: SHA-256 (hex) of its token. */
  sid: string;
  /** When the session ends unless it is used again (sessionDeadline): what a socket opened with it carries. */
  until: number;
}

export const ABSOLUTE_TTL_MS = 30 * 24 * 3600_000;
export const IDLE_TTL_MS = 7 * 24 * 3600_000;
/** last_seen_at is refreshed at most this often: one write per session-hour, not per request. */
const TOUCH_EVERY_MS = 3600_000;

/**
 * When a session ends unless it is used again: its absolute expiry, or IDLE_TTL_MS after
 * its last use, whichever is first. Only requests count as use (they refresh last_seen_at);
 * frames on an open socket do not, so a socket carries the deadline as of its upgrade and
 * is closed when it passes (see ChatRoom, UserHub).
 */
export function sessionDeadline(expiresAt: number, lastSeenAt: number): number {
  return Math.min(expiresAt, lastSeenAt + IDLE_TTL_MS);
}

export async function sha256Hex(s: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * `__Host-sid; Secure` everywhere except plain-http localhost, where browsers
 * would drop a Secure cookie (local development and the end-to-end tests).
 */
export function cookieMode(url: string): { name: string; secure: boolean } {
  const u = new URL(url);
  const local = u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
  return local ? { name: "sid", secure: false } : { name: "__Host-sid", secure: true };
}

/** Starts a new session for `userId` (a new token every time: no fixation) and sets the cookie. */
export async function startSession(c: Ctx, userId: string): Promise<string> {
  const now = Date.now();
  const token = randomId(32);
  const sid = await sha256Hex(token);
  await db(c.env.DB).insert(sessions).values({ id: sid, userId, createdAt: now, lastSeenAt: now, expiresAt: now + ABSOLUTE_TTL_MS });
  const mode = cookieMode(c.req.url);
  setCookie(c, mode.name, token, {
    httpOnly: true,
    secure: mode.secure,
    sameSite: "Lax",
    path: "/",
    maxAge: ABSOLUTE_TTL_MS / 1000,
  });
  return sid;
}

/** Creates a guest user and a session for them. */
export async function createGuestSession(c: Ctx, name: string): Promise<Me> {
  const id = randomId();
  await db(c.env.DB).insert(users).values({ id, name, kind: "guest", createdAt: Date.now() });
  await startSession(c, id);
  return { id, name, username: null, kind: "guest" };
}

const viewers = new WeakMap<Request, Promise<Viewer | null>>();

/** The signed-in person, or null. Looked up once per request. */
export function currentUser(c: Ctx): Promise<Viewer | null> {
  let v = viewers.get(c.req.raw);
  if (!v) {
    v = withViewer(c, null).then((r) => r.viewer);
    viewers.set(c.req.raw, v);
  }
  return v;
}

/**
 * The signed-in person together with a query that depends on who they are, in one D1
 * round trip (a WebSocket upgrade needs the session and the room membership: one query,
 * not two). `query` gets the session id; its answer counts only for a live session (null
 * otherwise). The viewer is remembered for the request, as currentUser does.
 */
export async function withViewer<T>(c: Ctx, query: ((sid: string, d: DB) => BatchItem<"sqlite">) | null): Promise<{ viewer: Viewer | null; extra: T | null }> {
  const token = getCookie(c, cookieMode(c.req.url).name);
  if (!token || token.length > 64) return { viewer: null, extra: null };
  const sid = await sha256Hex(token);
  const d = db(c.env.DB);
  const session = d
    .select({
      id: users.id,
      name: users.name,
      username: users.username,
      kind: users.kind,
      receipts: users.readReceipts,
      expiresAt: sessions.expiresAt,
      lastSeenAt: sessions.lastSeenAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sid))
    .limit(1);
  let rows: Awaited<typeof session>;
  let extra: T | null = null;
  if (query) {
    const [r, x] = await d.batch([session, query(sid, d)]);
    rows = r;
    extra = x as T;
  } else rows = await session;
  const row = rows[0];
  const now = Date.now();
  let viewer: Viewer | null = null;
  if (row && sessionDeadline(row.expiresAt, row.lastSeenAt) > now) {
    const touch = now - row.lastSeenAt > TOUCH_EVERY_MS;
    if (touch) await d.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, sid));
    const until = sessionDeadline(row.expiresAt, touch ? now : row.lastSeenAt);
    viewer = { id: row.id, name: row.name, username: row.username, kind: row.kind, receipts: row.receipts, sid, until };
  } else if (row) {
    await d.delete(sessions).where(eq(sessions.id, sid));
  }
  if (query) viewers.set(c.req.raw, Promise.resolve(viewer));
  return { viewer, extra: viewer ? extra : null };
}

export async function requireUser(c: Ctx): Promise<Viewer> {
  const user = await currentUser(c);
  if (!user) throw unauthorized();
  return user;
}

/** Ends the current session server-side and clears the cookie. Returns who it was. */
export async function revokeSession(c: Ctx): Promise<Viewer | null> {
  const viewer = await currentUser(c);
  if (viewer) await db(c.env.DB).delete(sessions).where(eq(sessions.id, viewer.sid));
  const mode = cookieMode(c.req.url);
  deleteCookie(c, mode.name, { path: "/", secure: mode.secure });
  return viewer;
}

export const me = (v: Viewer): Me => ({ id: v.id, name: v.name, username: v.username, kind: v.kind, receipts: v.receipts !== false });
