import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import worker from "../index";
import { ORIGIN, api, guest } from "./helpers";
import type { IceServersResponse } from "../protocol";
import { iceServers, turnCredential } from "../routes/turn";

describe("GET /api/turn", () => {
  const turn = async (cookie: string | undefined, vars: Partial<Record<"STUN_URLS" | "TURN_URLS" | "TURN_TTL_S" | "FORCE_RELAY" | "TURN_SECRET", string>>) => {
    const headers: Record<string, string> = { origin: ORIGIN };
    if (cookie) headers.cookie = cookie;
    return worker.fetch(new Request(`${ORIGIN}/api/turn`, { headers }), { ...env, ...vars } as Env, createExecutionContext());
  };

  it("401 without a session", async () => {
    const res = await api("/api/turn");
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBeTypeOf("string");
  });

  it("STUN only without a secret (or without TURN urls)", async () => {
    const g = await guest("Alice");
    const res = await api("/api/turn", { cookie: g.cookie });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ iceServers: [{ urls: ["stun:stun.cloudflare.com:3478"] }], iceTransportPolicy: "all", ttl: 3600 });
    const urlsNoSecret = await (await turn(g.cookie, { TURN_URLS: "turn:127.0.0.1:3478" })).json<IceServersResponse>();
    expect(urlsNoSecret.iceServers).toHaveLength(1);
    const secretNoUrls = await (await turn(g.cookie, { TURN_SECRET: "s3cret" })).json<IceServersResponse>();
    expect(secretNoUrls.iceServers).toEqual([{ urls: ["stun:stun.cloudflare.com:3478"] }]);
  });

  it("with a secret: coturn's use-auth-secret credential, expiring in TURN_TTL_S; the secret itself is never sent", async () => {
    const g = await guest("Alice");
    const before = Math.floor(Date.now() / 1000);
    const res = await turn(g.cookie, { TURN_SECRET: "s3cret", TURN_URLS: "turn:127.0.0.1:3478?transport=udp, turns:turn.example:5349", TURN_TTL_S: "600" });
    const text = await res.text();
    expect(text).not.toContain("s3cret");
    const body = JSON.parse(text) as IceServersResponse;
    expect(body.ttl).toBe(600);
    expect(body.iceTransportPolicy).toBe("all");
    const t = body.iceServers.find((s) => s.username)!;
    expect(t.urls).toEqual(["turn:127.0.0.1:3478?transport=udp", "turns:turn.example:5349"]);
    const [expiry, uid] = t.username!.split(":");
    expect(uid).toBe(g.id);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
    // Recompute HMAC-SHA-1(secret, username) independently of the route's helper, too.
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("s3cret"), { name: "HMAC", hash: "SHA-1" }, false, ["verify"]);
    const mac = Uint8Array.from(atob(t.credential!), (ch) => ch.charCodeAt(0));
    expect(mac.length).toBe(20);
    expect(await crypto.subtle.verify("HMAC", key, mac, new TextEncoder().encode(t.username!))).toBe(true);
    expect(t.credential).toBe(await turnCredential("s3cret", t.username!));
    // A known vector (RFC 2202 test case 2): HMAC-SHA-1("Jefe", "what do ya want for nothing?").
    expect(await turnCredential("Jefe", "what do ya want for nothing?")).toBe(btoa(String.fromCharCode(...[0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79])));
  });

  it("FORCE_RELAY=1 → iceTransportPolicy relay; STUN_URLS is configurable", async () => {
    const g = await guest("Alice");
    const body = await (await turn(g.cookie, { FORCE_RELAY: "1", TURN_SECRET: "x", TURN_URLS: "turn:127.0.0.1:3478", STUN_URLS: "" })).json<IceServersResponse>();
    expect(body.iceTransportPolicy).toBe("relay");
    expect(body.iceServers).toHaveLength(1);
    expect(body.iceServers[0]!.urls).toEqual(["turn:127.0.0.1:3478"]);
  });

  describe("Cloudflare Realtime TURN (the alternative)", () => {
    const cfAnswer = {
      iceServers: [
        { urls: ["stun:stun.cloudflare.com:3478", "stun:stun.cloudflare.com:53"] },
        {
          urls: ["turn:turn.cloudflare.com:3478?transport=udp", "turn:turn.cloudflare.com:53?transport=udp", "turns:turn.cloudflare.com:443?transport=tcp"],
          username: "cf-user",
          credential: "cf-cred",
        },
      ],
    };
    const cfEnv = (vars: Record<string, string> = {}) => ({ ...env, CF_TURN_KEY_ID: "key-1", CF_TURN_API_TOKEN: "tok", TURN_TTL_S: "900", ...vars }) as unknown as Env;

    it("asks the key service for credentials with the TTL and hands them on (port 53 left out)", async () => {
      const calls: Request[] = [];
      const fake = (async (input: RequestInfo | URL, init?: RequestInit) => {
        calls.push(new Request(input, init));
        return Response.json(cfAnswer, { status: 201 });
      }) as typeof fetch;
      const r = await iceServers(cfEnv(), "u1", Date.now(), fake);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.url).toBe("https://rtc.live.cloudflare.com/v1/turn/keys/key-1/credentials/generate-ice-servers");
      expect(calls[0]!.method).toBe("POST");
      expect(calls[0]!.headers.get("authorization")).toBe("Bearer tok");
      expect(await calls[0]!.json()).toEqual({ ttl: 900 });
      expect(r).toEqual({
        iceServers: [
          { urls: ["stun:stun.cloudflare.com:3478"] },
          { urls: ["turn:turn.cloudflare.com:3478?transport=udp", "turns:turn.cloudflare.com:443?transport=tcp"], username: "cf-user", credential: "cf-cred" },
        ],
        iceTransportPolicy: "all",
        ttl: 900,
      });
      expect(JSON.stringify(r)).not.toContain("tok");
    });

    it("a failing key service leaves TURN out instead of failing the request", async () => {
      const down = (async () => new Response("nope", { status: 500 })) as typeof fetch;
      expect((await iceServers(cfEnv(), "u1", Date.now(), down)).iceServers).toEqual([{ urls: ["stun:stun.cloudflare.com:3478"] }]);
      const garbage = (async () => Response.json({ hello: 1 })) as typeof fetch;
      expect((await iceServers(cfEnv(), "u1", Date.now(), garbage)).iceServers).toHaveLength(1);
      const never = (async () => {
        throw new Error("unreachable");
      }) as typeof fetch;
      expect((await iceServers(cfEnv({ CF_TURN_API_TOKEN: "" }), "u1", Date.now(), never)).iceServers).toHaveLength(1);
    });
  });
});
