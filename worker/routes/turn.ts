/**
 * GET /api/turn: the ICE servers a signed-in browser uses for calls.
 *
 * STUN always (STUN_URLS). TURN only when both TURN_URLS and the secret
 * TURN_SECRET are configured, with short-lived credentials by the TURN REST
 * scheme that coturn implements as `use-auth-secret`:
 *   username   = `${expiry unix seconds}:${user id}`
 *   credential = base64(HMAC-SHA-1(TURN_SECRET, username))
 * coturn recomputes the HMAC and refuses the username after its expiry, so the
 * static secret never leaves the Worker and a leaked credential dies in TURN_TTL_S.
 */
import { Hono } from "hono";
import type { IceServersResponse } from "../protocol";
import { requireUser } from "../auth/session";

const DEFAULT_STUN = "stun:stun.cloudflare.com:3478";
const DEFAULT_TTL_S = 3600;

const list = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u.length > 0);

/** base64(HMAC-SHA-1(secret, username)), as coturn computes it. */
export async function turnCredential(secret: string, username: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(username)));
  let s = "";
  for (const b of mac) s += String.fromCharCode(b);
  return btoa(s);
}

export async function iceServers(env: Env, userId: string, now = Date.now()): Promise<IceServersResponse> {
  const ttl = Math.floor(Number(env.TURN_TTL_S)) > 0 ? Math.floor(Number(env.TURN_TTL_S)) : DEFAULT_TTL_S;
  const stun = env.STUN_URLS === undefined ? [DEFAULT_STUN] : list(env.STUN_URLS);
  const turn = list(env.TURN_URLS);
  const iceServers: IceServersResponse["iceServers"] = [];
  if (stun.length > 0) iceServers.push({ urls: stun });
  if (turn.length > 0 && env.TURN_SECRET) {
    const username = `${Math.floor(now / 1000) + ttl}:${userId}`;
    iceServers.push({ urls: turn, username, credential: await turnCredential(env.TURN_SECRET, username) });
  }
  return { iceServers, iceTransportPolicy: String(env.FORCE_RELAY) === "1" ? "relay" : "all", ttl };
}

export const turnRoutes = new Hono<{ Bindings: Env }>().get("/", async (c) => {
  const user = await requireUser(c);
  // Credentials are per person and short-lived: never cached by anyone.
  c.header("cache-control", "no-store");
  return c.json(await iceServers(c.env, user.id));
});
