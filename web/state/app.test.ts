/**
 * Routing and the session actions against a fake /api: the shared schemas refuse bad
 * input before the server sees it, and the server's answers become what a person reads.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Me } from "../../worker/protocol";
import { failureText, retryAfterSeconds } from "../api";
import { createAppModel, routeOf, type AppModel } from "./app";
import { json, stubBrowser } from "./fakes";

const guest: Me = { id: "u1", name: "Ann", username: null, kind: "guest" };
const account: Me = { ...guest, username: "ann", kind: "account" };

let app: AppModel;
let storage: Map<string, string>;
const calls = () => vi.mocked(fetch).mock.calls.map(([url, init]) => `${init?.method} ${String(url)}`);

beforeEach(() => {
  storage = stubBrowser();
  vi.stubGlobal("history", { pushState: vi.fn(), replaceState: vi.fn() });
  vi.stubGlobal("fetch", vi.fn(async () => json({ user: guest })));
  app = createAppModel();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("routeOf", () => {
  it("knows home, rooms and invite links", () => {
    expect(routeOf("/")).toEqual({ name: "home" });
    expect(routeOf("/r/AAAAAAAAAAAAAAAAAAAAAA")).toEqual({ name: "room", id: "AAAAAAAAAAAAAAAAAAAAAA" });
    expect(routeOf("/join/abc_DEF-1/")).toEqual({ name: "join", code: "abc_DEF-1" });
    expect(routeOf("/join/")).toEqual({ name: "unknown" });
    expect(routeOf("/join/%E0%A4%A")).toEqual({ name: "unknown" }); // malformed escape: no throw
    expect(routeOf("/elsewhere")).toEqual({ name: "unknown" });
  });
});

describe("session actions", () => {
  it("checks the session: a user, or signed out on 401", async () => {
    await app.checkSession();
    expect(app.session.value).toEqual(guest);
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "unauthorized", message: "no session" } }, 401));
    await app.checkSession();
    expect(app.session.value).toBeNull();
  });

  it("refuses a signup the password policy rejects without asking the server", async () => {
    expect((await app.signup({ username: "ann", password: "short" }))?.message).toMatch(/at least 8/);
    expect((await app.signup({ username: "annabel", password: "AnnaBel" + "" }))?.message).toMatch(/at least 8/);
    expect((await app.signup({ username: "annabel1", password: "ANNABEL1" }))?.message).toBe("password must not be the username");
    expect((await app.signup({ username: "a!", password: "long enough" }))?.message).toMatch(/3–24 letters/);
    expect((await app.signup({ username: "ann", password: "        " }))?.message).toBe("password must not be only spaces");
    expect((await app.signup({ username: "ann", password: "abababab" }))?.message).toBe("password must have at least 5 different characters");
    expect(fetch).not.toHaveBeenCalled();
  });

  it("shows the server's reason when it refuses a common password (the list stays on the server)", async () => {
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "bad_request", message: "password is one of the most common passwords; choose another" } }, 400));
    const failure = await app.signup({ username: "ann", password: "iloveyou" });
    expect(failure && failureText(failure)).toBe("Password is one of the most common passwords; choose another.");
    expect(calls()).toEqual(["POST /api/auth/signup"]);
  });

  it("signs up (a guest becomes the account) and says so when the username is taken", async () => {
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "conflict", message: "username taken" } }, 409));
    expect((await app.signup({ username: "Ann", password: "correct horse" }))?.message).toBe("That username is taken. Choose another one.");
    vi.mocked(fetch).mockResolvedValueOnce(json({ user: account }, 201));
    expect(await app.signup({ username: "Ann", password: "correct horse", name: "Ann" })).toBeNull();
    expect(app.session.value).toEqual(account);
    const [, init] = vi.mocked(fetch).mock.lastCall!;
    expect(JSON.parse(String(init?.body))).toEqual({ username: "ann", password: "correct horse", name: "Ann" });
    expect(calls()).toEqual(["POST /api/auth/signup", "POST /api/auth/signup"]);
  });

  it("a guest saving their account is the same user with a new session: sockets are told to redial", async () => {
    await app.checkSession();
    const redial = vi.fn();
    app.onSessionChanged(redial);
    vi.mocked(fetch).mockResolvedValueOnce(json({ user: account }, 201));
    expect(await app.signup({ username: "ann", password: "correct horse" })).toBeNull();
    expect(app.session.value?.id).toBe(guest.id);
    expect(redial).toHaveBeenCalledTimes(1);
  });

  it("a sign-up as someone else is a new person, not a new session: nobody is told to redial", async () => {
    const redial = vi.fn();
    app.onSessionChanged(redial);
    vi.mocked(fetch).mockResolvedValueOnce(json({ user: { ...account, id: "someone-else" } }, 201));
    expect(await app.signup({ username: "ann", password: "correct horse" })).toBeNull();
    expect(redial).not.toHaveBeenCalled();
  });

  it("logs in; a wrong password and a rate limit read as people expect", async () => {
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "unauthorized", message: "bad credentials" } }, 401));
    expect((await app.login({ username: "ann", password: "nope nope" }))?.message).toBe("Wrong username or password.");
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "rate_limited", message: "slow down" } }, 429, { "Retry-After": "42" }));
    const limited = await app.login({ username: "ann", password: "nope nope" });
    expect(limited).toMatchObject({ status: 429, retryAfter: 42 });
    expect(failureText(limited!)).toBe("Too many attempts, try again in 42 s.");
    // Other refusals say what the server said (upload quotas: 429 and 413).
    const quota = { ok: false as const, status: 429, code: "upload_quota", message: "you have uploaded 1 GiB in the last 24 hours", retryAfter: 600 };
    expect(failureText(quota)).toBe("You have uploaded 1 GiB in the last 24 hours.");
    expect(failureText({ ok: false, status: 413, code: "room_storage_full", message: "this room's files take 10 GiB" })).toBe("This room's files take 10 GiB.");
    vi.mocked(fetch).mockResolvedValueOnce(json({ user: account }));
    expect(await app.login({ username: " Ann ", password: "correct horse" })).toBeNull();
    expect(app.session.value).toEqual(account);
  });

  it("logs out: the server ends the session, and this user's drafts and outbox leave the browser", async () => {
    vi.mocked(fetch).mockResolvedValueOnce(json({ user: account }));
    await app.checkSession();
    storage.set("chat:draft:u1:room", "secret draft");
    storage.set("chat:outbox:u1:room", "[]");
    storage.set("chat:draft:u2:room", "someone else's");
    vi.mocked(fetch).mockResolvedValueOnce(new Response(null, { status: 204 }));
    expect(await app.logout()).toBeNull();
    expect(app.session.value).toBeNull();
    expect([...storage.keys()]).toEqual(["chat:draft:u2:room"]);
    expect(calls().at(-1)).toBe("POST /api/auth/logout");
  });

  it("stays signed in when logging out fails for want of a network", async () => {
    await app.checkSession();
    vi.mocked(fetch).mockRejectedValueOnce(new TypeError("Failed to fetch"));
    expect(await app.logout()).toMatchObject({ status: 0 });
    expect(app.session.value).toEqual(guest);
  });

  it("a lost session is checked first: a newer one for the same person (another tab) keeps us in", async () => {
    await app.checkSession();
    const redial = vi.fn();
    const off = app.onSessionChanged(redial);
    vi.mocked(fetch).mockResolvedValueOnce(json({ user: account }));
    await app.sessionLost();
    expect(app.session.value).toEqual(account);
    expect(redial).toHaveBeenCalledTimes(1);
    off();
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "unauthorized", message: "no session" } }, 401));
    await Promise.all([app.sessionLost(), app.sessionLost()]); // one check for both
    expect(app.session.value).toBeNull();
    expect(redial).toHaveBeenCalledTimes(1);
    expect(calls().filter((c) => c === "GET /api/session")).toHaveLength(3);
  });

  it("puts the unread count before the page title", () => {
    app.setTitle("Team · Chat");
    expect(app.documentTitle.value).toBe("Team · Chat");
    app.setUnread(3);
    expect(app.documentTitle.value).toBe("(3) Team · Chat");
  });
});

describe("retryAfterSeconds", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(retryAfterSeconds(null)).toBeUndefined();
    expect(retryAfterSeconds("30")).toBe(30);
    expect(retryAfterSeconds("0")).toBe(1);
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(retryAfterSeconds("Sun, 22 Nov 2026 10:01:00 GMT", now)).toBe(60);
    expect(retryAfterSeconds("soon")).toBeUndefined();
  });
});
