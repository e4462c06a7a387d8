import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { api, connect, guest, newRoom, upgrade, ORIGIN } from "./helpers";
import { PARAMS, PBKDF2_MAX_ITERATIONS, hashPassword } from "../auth/password";
import { cookieMode } from "../auth/session";
import { Hono } from "hono";
import { sameOrigin } from "../http/origin";
import { errorResponse } from "../http/errors";
import { decodeFrontCoded } from "../auth/common-passwords";
import commonList from "../auth/common-passwords.txt";


let n = 0;
/** A username no other test uses (rate limits are per username). */
const uname = () => `user_${Date.now().toString(36)}_${n++}`;
/** A client address no other test uses (rate limits are per IP). */
const ip = () => `10.${n++ % 250}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

const json = (body: unknown) => JSON.stringify(body);
const cookieOf = (res: Response) => res.headers.get("set-cookie")!.split(";")[0]!;
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

async function signup(username = uname(), password = "correct horse battery", extra: { cookie?: string; name?: string } = {}) {
  const res = await api("/api/auth/signup", {
    method: "POST",
    cookie: extra.cookie,
    headers: { "cf-connecting-ip": ip() },
    body: json({ username, password, ...(extra.name ? { name: extra.name } : {}) }),
  });
  return { res, username, password };
}

const login = (username: string, password: string, headers: Record<string, string> = { "cf-connecting-ip": ip() }) =>
  api("/api/auth/login", { method: "POST", headers, body: json({ username, password }) });

describe("passwords", () => {
  it("are hashed with PBKDF2-SHA-256 within the production Workers cap, salted per user", async () => {
    expect(PARAMS.iterations).toBeLessThanOrEqual(PBKDF2_MAX_ITERATIONS);
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000);
    const a = await signup(uname(), "same password 1");
    const b = await signup(uname(), "same password 1");
    expect(a.res.status).toBe(201);
    expect(b.res.status).toBe(201);
    const rows = (
      await env.DB.prepare("SELECT password_hash AS h FROM users WHERE username IN (?, ?)").bind(a.username, b.username).all<{ h: string }>()
    ).results;
    expect(rows).toHaveLength(2);
    for (const { h } of rows) {
      const [scheme, iterations] = h.split("$");
      expect(scheme).toBe("pbkdf2-sha256");
      expect(Number(iterations)).toBeLessThanOrEqual(PBKDF2_MAX_ITERATIONS);
      expect(h).not.toContain("same password");
    }
    expect(rows[0]!.h).not.toBe(rows[1]!.h);
  });

  it("are upgraded on login when the stored parameters are weaker than today's", async () => {
    const { username, password } = await signup();
    await env.DB.prepare("UPDATE users SET password_hash = ? WHERE username = ?")
      .bind(await hashPassword(password, { iterations: 1000, saltBytes: 16, hashBytes: 32 }), username)
      .run();
    expect((await login(username, password)).status).toBe(200);
    const h = await env.DB.prepare("SELECT password_hash AS h FROM users WHERE username = ?").bind(username).first<string>("h");
    expect(h!.split("$")[1]).toBe(String(PARAMS.iterations));
    expect((await login(username, password)).status).toBe(200);
  });

  it("follow the policy: at least 8 characters, not the username, a valid username", async () => {
    const u = uname();
    for (const [body, message] of [
      [{ username: u, password: "short" }, /at least 8/],
      [{ username: u, password: u.toUpperCase() }, /must not be the username/],
      [{ username: "no spaces!", password: "long enough pw" }, /username/],
      [{ username: "ab", password: "long enough pw" }, /username/],
      [{ username: u }, /password/],
    ] as const) {
      const res = await api("/api/auth/signup", { method: "POST", headers: { "cf-connecting-ip": ip() }, body: json(body) });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).message).toMatch(message);
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users WHERE username = ?").bind(u).first<number>("n")).toBe(0);
  });

  it("refuse the most common passwords, only spaces and too little variety, saying why; nothing is stored", async () => {
    const u = uname();
    for (const [password, message] of [
      ["password", /most common/],
      ["12345678", /most common/],
      ["Password", /most common/],
      ["iloveyou", /most common/],
      ["qwertyuiop", /most common/],
      ["1qaz2wsx", /most common/],
      ["        ", /only spaces/],
      ["\t \t \t \t ", /only spaces/],
      ["aaaaaaaaaaaa", /at least 5 different characters/],
      ["abababab", /at least 5 different characters/],
      ["AaBbAaBb", /at least 5 different characters/],
    ] as const) {
      const res = await api("/api/auth/signup", { method: "POST", headers: { "cf-connecting-ip": ip() }, body: json({ username: u, password }) });
      expect(res.status, password).toBe(400);
      expect(await errorOf(res)).toEqual({ code: "bad_request", message: expect.stringMatching(message) });
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users WHERE username = ?").bind(u).first<number>("n")).toBe(0);
    // A guest saving their account is held to the same rule, and stays a guest.
    const g = await guest("Gina");
    const res = await signup(uname(), "password1", { cookie: g.cookie });
    expect(res.res.status).toBe(400);
    expect(await env.DB.prepare("SELECT kind FROM users WHERE id = ?").bind(g.id).first<string>("kind")).toBe("guest");
  });

  it("accept passwords off the list with enough variety, passphrases included", async () => {
    for (const password of ["correct horse battery", "Tr0ub4dor&3x", "zebra-lamp-9"]) {
      expect((await signup(uname(), password)).res.status, password).toBe(201);
    }
  });

  it("are checked against a list of more than 10,000 common ones, decoded once into a set", () => {
    const list = decodeFrontCoded(commonList);
    expect(list.size).toBeGreaterThanOrEqual(10_000);
    for (const p of ["password", "12345678", "iloveyou", "trustno1", "sunshine", "1qaz2wsx"]) expect(list.has(p), p).toBe(true);
    expect(list.has("correct horse battery")).toBe(false);
    expect([...list].every((p) => p.length >= 8 && p === p.toLowerCase())).toBe(true);
  });

  it("usernames are unique, case-insensitively: 409", async () => {
    const { username } = await signup();
    const again = await signup(username.toUpperCase());
    expect(again.res.status).toBe(409);
    expect((await errorOf(again.res)).code).toBe("conflict");
  });
});

describe("sessions", () => {
  it("live in a __Host- HttpOnly Secure SameSite=Lax cookie; relaxed only on plain-http localhost", async () => {
    const { res } = await signup();
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^__Host-sid=[A-Za-z0-9_-]{43};/);
    for (const attr of ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"]) expect(cookie).toContain(attr);
    expect(cookie).not.toMatch(/Domain=/i);
    expect(cookieMode("http://127.0.0.1:8787/api/x")).toEqual({ name: "sid", secure: false });
    expect(cookieMode("http://localhost:8787/")).toEqual({ name: "sid", secure: false });
    expect(cookieMode("http://chat.example/")).toEqual({ name: "__Host-sid", secure: true });
    expect(cookieMode("https://localhost/")).toEqual({ name: "__Host-sid", secure: true });
  });

  it("store only a hash of the token", async () => {
    const { res } = await signup();
    const token = cookieOf(res).split("=")[1]!;
    const hit = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE id = ?").bind(token).first<number>("n");
    expect(hit).toBe(0);
  });

  it("login over another session ends it and closes that session's sockets", async () => {
    const g = await guest("Before");
    const { room } = await newRoom(g.cookie);
    const s = await connect(room.id, g.cookie);
    const { username, password } = await signup();
    const res = await login(username, password, { "cf-connecting-ip": ip(), cookie: g.cookie });
    expect(res.status).toBe(200);
    expect((await s.waitClosed()).code).toBe(4001);
    expect((await api("/api/session", { cookie: g.cookie })).status).toBe(401);
  });

  it("login issues a new token; a wrong password or unknown user gets the same 401", async () => {
    const { res, username, password } = await signup();
    const first = cookieOf(res);
    const ok = await login(username, password);
    expect(ok.status).toBe(200);
    expect(cookieOf(ok)).not.toBe(first);
    expect(((await ok.json()) as { user: { username: string; kind: string } }).user).toMatchObject({ username, kind: "account" });
    const wrong = await login(username, "not the password");
    const nobody = await login(uname(), "not the password");
    expect(wrong.status).toBe(401);
    expect(nobody.status).toBe(401);
    expect(await errorOf(wrong)).toEqual(await errorOf(nobody));
  });

  it("expire after the absolute lifetime and after a week idle", async () => {
    const a = await signup();
    const b = await signup();
    const [ca, cb] = [cookieOf(a.res), cookieOf(b.res)];
    expect((await api("/api/session", { cookie: ca })).status).toBe(200);
    const now = Date.now();
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE user_id = (SELECT id FROM users WHERE username = ?)").bind(now - 1, a.username).run();
    await env.DB.prepare("UPDATE sessions SET last_seen_at = ? WHERE user_id = (SELECT id FROM users WHERE username = ?)")
      .bind(now - 8 * 24 * 3600_000, b.username)
      .run();
    expect((await api("/api/session", { cookie: ca })).status).toBe(401);
    expect((await api("/api/session", { cookie: cb })).status).toBe(401);
    expect((await upgrade("AAAAAAAAAAAAAAAAAAAAAA", ca)).status).toBe(401);
  });

  it("logout revokes the session server-side and closes that session's open sockets", async () => {
    const { res, username, password } = await signup();
    const mine = cookieOf(res);
    const other = cookieOf(await login(username, password)); // the same person on another device
    const { room } = await newRoom(mine);
    const here = await connect(room.id, mine);
    const there = await connect(room.id, other);

    const out = await api("/api/auth/logout", { method: "POST", cookie: mine });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/__Host-sid=;.*Max-Age=0/);
    expect((await api("/api/session", { cookie: mine })).status).toBe(401);
    expect((await here.waitClosed()).code).toBe(4001);
    expect((await upgrade(room.id, mine)).status).toBe(401);
    // The other device's session and socket are untouched.
    expect((await api("/api/session", { cookie: other })).status).toBe(200);
    there.send({ type: "send", cid: "still", text: "still here" });
    expect((await there.next("ack")).seq).toBe(1);
  });

  it("a guest who signs up keeps their id, rooms and history, under a new token", async () => {
    const g = await guest("Gina");
    const { room } = await newRoom(g.cookie);
    const s = await connect(room.id, g.cookie);
    s.send({ type: "send", cid: "g1", text: "from a guest" });
    await s.next("ack");

    const { res, username } = await signup(uname(), "guest no more", { cookie: g.cookie });
    expect(res.status).toBe(201);
    // The guest token's socket is closed with it; logging out later could not reach it.
    expect((await s.waitClosed()).code).toBe(4001);
    const body = (await res.json()) as { user: { id: string; name: string; username: string; kind: string } };
    expect(body.user).toEqual({ id: g.id, name: "Gina", username, kind: "account" });
    const fresh = cookieOf(res);
    expect(fresh).not.toBe(g.cookie);
    expect((await api("/api/session", { cookie: g.cookie })).status).toBe(401);
    expect((await api(`/api/rooms/${room.id}`, { cookie: fresh })).status).toBe(200);
    const history = (await (await api(`/api/rooms/${room.id}/messages`, { cookie: fresh })).json()) as { messages: { text: string; uid: string }[] };
    expect(history.messages).toEqual([expect.objectContaining({ text: "from a guest", uid: g.id })]);
  });
});

describe("CSRF and cross-site WebSockets", () => {
  it("refuses state-changing requests without a same-origin Origin", async () => {
    const g = await guest("Csrf");
    for (const origin of [null, "https://evil.example", "http://chat.test", "null"]) {
      const headers: Record<string, string> = origin === null ? {} : { origin };
      const req = new Request(`${ORIGIN}/api/rooms`, { method: "POST", headers: { ...headers, cookie: g.cookie, "content-type": "application/json" }, body: "{}" });
      const { exports } = await import("cloudflare:workers");
      const res = await exports.default.fetch(req);
      expect(res.status, String(origin)).toBe(403);
      expect((await errorOf(res)).code).toBe("forbidden");
    }
    const before = await env.DB.prepare("SELECT count(*) AS n FROM rooms WHERE created_by = ?").bind(g.id).first<number>("n");
    expect(before).toBe(0);
    expect((await api("/api/rooms", { method: "POST", cookie: g.cookie, body: "{}" })).status).toBe(201);
  });

  it("checks Origin against the configured SITE_ORIGIN, not the request's Host: a script's spoofed Host with a matching Origin is refused", async () => {
    const app = new Hono<{ Bindings: Pick<Env, "SITE_ORIGIN"> }>().use(sameOrigin).post("/x", (c) => c.text("done"));
    app.onError(errorResponse);
    const post = (url: string, origin: string, site: string) => app.request(url, { method: "POST", headers: { origin } }, { SITE_ORIGIN: site });
    // Configured: only the site's own origin passes, whatever Host the request names.
    expect((await post("https://evil.example/x", "https://evil.example", "https://chat.example")).status).toBe(403);
    expect((await post("https://chat.example/x", "https://evil.example", "https://chat.example")).status).toBe(403);
    const ok = await post("https://chat.example/x", "https://chat.example", "https://chat.example/");
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("done");
    // Empty (local development): the request's own origin.
    expect((await post("http://127.0.0.1:8787/x", "http://127.0.0.1:8787", "")).status).toBe(200);
    expect((await post("http://127.0.0.1:8787/x", "https://evil.example", "")).status).toBe(403);
  });

  it("refuses a WebSocket upgrade from another site (or with no Origin) with 403", async () => {
    const g = await guest("Ws");
    const { room } = await newRoom(g.cookie);
    expect((await upgrade(room.id, g.cookie, "", { origin: "https://evil.example" })).status).toBe(403);
    const { exports } = await import("cloudflare:workers");
    const bare = await exports.default.fetch(new Request(`${ORIGIN}/api/rooms/${room.id}/ws`, { headers: { upgrade: "websocket", cookie: g.cookie } }));
    expect(bare.status).toBe(403);
    expect((await upgrade(room.id, g.cookie)).status).toBe(101);
  });
});

describe("rate limits", () => {
  const sessionsOf = (username: string) =>
    env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?)").bind(username).first<number>("n");

  it("throttle guesses at a username from one address with 429 and Retry-After; the owner elsewhere still logs in", async () => {
    const { username, password } = await signup();
    const attacker = { "cf-connecting-ip": ip() };
    let limited: Response | undefined;
    for (let i = 0; i < 30 && !limited; i++) {
      const res = await login(username, `wrong ${i}`, attacker);
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(401);
    }
    expect(limited, "no 429 within 30 attempts").toBeDefined();
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await errorOf(limited!)).code).toBe("rate_limited");
    // That address is refused even with the right password, before it is checked: no session.
    expect((await login(username, password, attacker)).status).toBe(429);
    expect(await sessionsOf(username)).toBe(1);
    // The owner, from their own address, is not held up by the attacker's guesses.
    expect((await login(username, password)).status).toBe(200);
    expect(await sessionsOf(username)).toBe(2);
  });

  it("hold a distributed attack to a per-username ceiling, but never a right password from an address with no recent failure", async () => {
    const { username, password } = await signup();
    const addresses: string[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < 80 && !limited; i++) {
      addresses.push(ip());
      const res = await login(username, `wrong ${i}`, { "cf-connecting-ip": addresses.at(-1)! });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(401);
    }
    // Every guess came from a fresh address: only the ceiling over all addresses can have stopped them.
    expect(limited, "no 429 within 80 addresses").toBeDefined();
    expect(addresses.length).toBeGreaterThan(10);
    expect((await errorOf(limited!)).code).toBe("rate_limited");
    // While it is spent, an address that failed gets 429 for the right password too (a spent
    // ceiling tells no right guess from a wrong one), and no session is made.
    expect((await login(username, password, { "cf-connecting-ip": addresses[0]! })).status).toBe(429);
    expect(await sessionsOf(username)).toBe(1);
    // The owner, from an address with no recent failure, gets in all the same.
    expect((await login(username, password)).status).toBe(200);
    expect(await sessionsOf(username)).toBe(2);
  });

  it("throttle attempts per IP across usernames", async () => {
    const from = { "cf-connecting-ip": ip() };
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await login(uname(), "whatever pw", from);
      limited = res.status === 429;
    }
    expect(limited).toBe(true);
    // Another address is not affected.
    expect((await login(uname(), "whatever pw")).status).toBe(401);
  });

  it("throttle guest sessions per IP: 429 and no user made; another address still gets one", async () => {
    const name = `Flood ${crypto.randomUUID().slice(0, 8)}`;
    const from = { "cf-connecting-ip": ip() };
    let limited: Response | undefined;
    let made = 0;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await api("/api/session", { method: "POST", headers: from, body: json({ name }) });
      if (res.status === 429) limited = res;
      else {
        expect(res.status).toBe(200);
        made++;
      }
    }
    expect(limited, "no 429 within 40 guests").toBeDefined();
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await errorOf(limited!)).code).toBe("rate_limited");
    expect(limited!.headers.get("set-cookie")).toBeNull();
    const rows = () => env.DB.prepare("SELECT count(*) AS n FROM users WHERE name = ?").bind(name).first<number>("n");
    expect(await rows()).toBe(made);
    const elsewhere = await api("/api/session", { method: "POST", body: json({ name }) });
    expect(elsewhere.status).toBe(200);
    expect(await rows()).toBe(made + 1);
  });
});
