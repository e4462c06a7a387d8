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
 *
 * Alternatively (or as well) Cloudflare Realtime TURN: with CF_TURN_KEY_ID and the
 * secret CF_TURN_API_TOKEN, each request asks Cloudflare's key service for
 * credentials that expire in TURN_TTL_S. Should that call fail, the answer goes out
 * without them (STUN still works for most networks) and the failure is logged.
 */
import { Hono } from "hono";
import * as v from "valibot";
import { IceServersResponse } from "../protocol";
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

const CF_TURN_API = "https://rtc.live.cloudflare.com/v1/turn/keys";
const CF_TIMEOUT_MS = 3000;

type IceServer = IceServersResponse["iceServers"][number];

/** Short-lived ICE servers from Cloudflare Realtime TURN's key service; [] on any failure. */
export async function cloudflareTurn(keyId: string, token: string, ttl: number, fetcher: typeof fetch = fetch): Promise<IceServer[]> {
  try {
    const res = await fetcher(`${CF_TURN_API}/${encodeURIComponent(keyId)}/credentials/generate-ice-servers`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ ttl }),
      signal: AbortSignal.timeout(CF_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = v.parse(v.object({ iceServers: IceServersResponse.entries.iceServers }), await res.json());
    // Browsers block port 53 (Cloudflare offers it for other clients): leave those URLs out.
    return body.iceServers
      .map((s) => ({ ...s, urls: [s.urls].flat().filter((u) => !/:53(\?|$)/.test(u)) }))
      .filter((s) => s.urls.length > 0 && s.username !== undefined);
  } catch (err) {
    console.error("GET /api/turn: Cloudflare Realtime TURN credentials failed", err);
    return [];
  }
}

export async function iceServers(env: Env, userId: string, now = Date.now(), fetcher: typeof fetch = fetch): Promise<IceServersResponse> {
  const ttl = Math.floor(Number(env.TURN_TTL_S)) > 0 ? Math.floor(Number(env.TURN_TTL_S)) : DEFAULT_TTL_S;
  const stun = env.STUN_URLS === undefined ? [DEFAULT_STUN] : list(env.STUN_URLS);
  const turn = list(env.TURN_URLS);
  const iceServers: IceServersResponse["iceServers"] = [];
  if (stun.length > 0) iceServers.push({ urls: stun });
  if (turn.length > 0 && env.TURN_SECRET) {
    const username = `${Math.floor(now / 1000) + ttl}:${userId}`;
    iceServers.push({ urls: turn, username, credential: await turnCredential(env.TURN_SECRET, username) });
  }
  if (env.CF_TURN_KEY_ID && env.CF_TURN_API_TOKEN) {
    iceServers.push(...(await cloudflareTurn(env.CF_TURN_KEY_ID, env.CF_TURN_API_TOKEN, ttl, fetcher)));
  }
  return { iceServers, iceTransportPolicy: String(env.FORCE_RELAY) === "1" ? "relay" : "all", ttl };
}

export const turnRoutes = new Hono<{ Bindings: Env }>().get("/", async (c) => {
  const user = await requireUser(c);
  // Credentials are per person and short-lived: never cached by anyone.
  c.header("cache-control", "no-store");
  return c.json(await iceServers(c.env, user.id));
});
