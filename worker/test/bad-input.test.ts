import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { api, connect, guest, joinRoom, newRoom, sleep, upgrade, type Client } from "./helpers";
import { roomWithAlice } from "./fixtures";
import { MAX_BODY, MAX_FRAME, randomId } from "../protocol";



const errorBody = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe("HTTP: bad requests get a clear JSON error", () => {
  it("404 for an unknown room, whether well-formed or malformed", async () => {
    const alice = await guest("Alice");
    for (const id of [randomId(), "not-a-room", "x".repeat(300)]) {
      for (const res of [
        await api(`/api/rooms/${id}`, { cookie: alice.cookie }),
        await api(`/api/rooms/${id}/leave`, { method: "POST", cookie: alice.cookie }),
        await api(`/api/rooms/${id}/messages`, { cookie: alice.cookie }),
        await upgrade(id, alice.cookie),
      ]) {
        expect(res.status).toBe(404);
        expect(await errorBody(res)).toEqual({ code: "not_found", message: "room not found" });
      }
    }
  });

  it("401 without a session, or with a forged one, at the upgrade and every room route", async () => {
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie);
    for (const cookie of [undefined, "sid=forged-token", `sid=${"a".repeat(500)}`]) {
      const res = await upgrade(room.id, cookie);
      expect(res.status).toBe(401);
      expect((await errorBody(res)).code).toBe("unauthorized");
      expect((await api(`/api/rooms/${room.id}/messages`, { cookie })).status).toBe(401);
      expect((await api("/api/rooms", { method: "POST", cookie, body: "{}" })).status).toBe(401);
      expect((await api("/api/session", { cookie })).status).toBe(401);
    }
  });

  it("403 for a signed-in non-member's socket, history and room info", async () => {
    const { room } = await roomWithAlice();
    const mallory = await guest("Mallory");
    for (const res of [
      await upgrade(room.id, mallory.cookie),
      await api(`/api/rooms/${room.id}/messages`, { cookie: mallory.cookie }),
      await api(`/api/rooms/${room.id}`, { cookie: mallory.cookie }),
    ]) {
      expect(res.status).toBe(403);
      expect((await errorBody(res)).code).toBe("forbidden");
    }
  });

  it("426 for a plain GET of the socket endpoint", async () => {
    const { room, alice } = await roomWithAlice();
    const res = await api(`/api/rooms/${room.id}/ws`, { cookie: alice.cookie });
    expect(res.status).toBe(426);
  });

  it("400 for invalid bodies and queries, and nothing is created", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM users").first<number>("n");
    for (const body of ["{", "[]", "{}", JSON.stringify({ name: "" }), JSON.stringify({ name: "   " }), JSON.stringify({ name: "x".repeat(41) }), JSON.stringify({ name: 7 })]) {
      const res = await api("/api/session", { method: "POST", body });
      expect(res.status).toBe(400);
      expect((await errorBody(res)).code).toBe("bad_request");
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users").first<number>("n")).toBe(before);
    const plain = await api("/api/session", { method: "POST", body: "name=x", headers: { "content-type": "text/plain" } });
    expect(plain.status).toBe(400);

    const { room, alice } = await roomWithAlice();
    for (const q of ["limit=0", "limit=101", "limit=abc", "before=-1", "before=1e3"]) {
      const res = await api(`/api/rooms/${room.id}/messages?${q}`, { cookie: alice.cookie });
      expect(res.status, q).toBe(400);
      expect((await errorBody(res)).message).toMatch(/limit|before/);
    }
    const res = await api("/api/rooms", { method: "POST", cookie: alice.cookie, body: JSON.stringify({ name: "r".repeat(81) }) });
    expect(res.status).toBe(400);
  });

  it("413 for a JSON body over 16 KiB, refused by its declared length unread, or read only up to the limit; nothing is created", async () => {
    const users = () => env.DB.prepare("SELECT count(*) AS n FROM users").first<number>("n");
    const before = await users();
    // Declared: refused without reading the body (a body that never ends: an answer at all
    // means nobody waited for it).
    const never = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => undefined) });
    const declared = await api("/api/session", { method: "POST", body: never, headers: { "content-length": String(90 * 1024 * 1024) }, duplex: "half" } as RequestInit);
    expect(declared.status).toBe(413);
    expect((await errorBody(declared)).code).toBe("too_large");

    // Undeclared (streamed): reading stops past the limit, long before the 1 MiB the client offers.
    const chunk = new TextEncoder().encode(" ".repeat(4096));
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent === 256) return ctl.close();
        sent++;
        ctl.enqueue(chunk);
      },
    });
    const streamed = await api("/api/session", { method: "POST", body: endless, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await errorBody(streamed)).message).toMatch(/at most 16 KiB/);
    expect(sent).toBeLessThan(16);
    expect(await users()).toBe(before);

    // Just under the limit is read and used.
    const padded = " ".repeat(16 * 1024 - 64) + JSON.stringify({ name: "Padded" });
    const ok = await api("/api/session", { method: "POST", body: padded });
    expect(ok.status).toBe(200);
    expect(await users()).toBe(before! + 1);
  });

  it("names lose the characters that reorder or hide text; a name that shows nothing is refused", async () => {
    const spoof = await guest("\u202Etxt.exe 107");
    expect(spoof.name).toBe("txt.exe 107");
    for (const name of ["\u200B\u200B", "\u3164", "\u202E \u2066", "\u200D\u0301"]) {
      const res = await api("/api/session", { method: "POST", body: JSON.stringify({ name }) });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect((await errorBody(res)).message).toMatch(/visible character|required/);
    }
    // What names need stays: emoji sequences (zero-width joiners), non-breaking scripts (ZWNJ), accents.
    for (const name of ["Zoë 👩‍💻", "می\u200Cخواهم", "Ǆemal"]) expect((await guest(name)).name).toBe(name);

    const { room } = await newRoom(spoof.cookie, "\u2067Team\u2069 chat");
    expect(room.name).toBe("Team chat");
    const patch = (body: unknown) => api(`/api/rooms/${room.id}`, { method: "PATCH", cookie: spoof.cookie, body: JSON.stringify(body) });
    expect((await patch({ name: "\u200B" })).status).toBe(400);
    expect((await patch({ topic: "\u202Egnihton" })).status).toBe(200);
    const info = (await (await api(`/api/rooms/${room.id}`, { cookie: spoof.cookie })).json()) as { room: { name: string; topic: string } };
    expect(info.room).toMatchObject({ name: "Team chat", topic: "gnihton" });
  });

  it("404 JSON for an unknown API path", async () => {
    const res = await api("/api/nope");
    expect(res.status).toBe(404);
    expect((await errorBody(res)).code).toBe("not_found");
  });
});

describe("WebSocket: bad frames get an error frame and the room keeps working", () => {
  async function expectRecovers(a: Client, stub: DurableObjectStub) {
    a.send({ type: "send", cid: "ok", text: "still working" });
    expect((await a.next("ack", (f) => f.cid === "ok")).seq).toBeGreaterThan(0);
    const rows = await runInDurableObject(stub, (_i, s: DurableObjectState) => s.storage.sql.exec<{ text: string }>("SELECT text FROM log").toArray());
    expect(rows.map((r) => r.text)).toEqual(["still working"]);
  }

  it.each([
    ["malformed JSON", "{not json", "bad_json"],
    ["a non-object", "[1,2]", "invalid_frame"],
    ["an unknown type", JSON.stringify({ type: "explode" }), "unknown_type"],
    ["a send without cid", JSON.stringify({ type: "send", text: "hi" }), "invalid_frame"],
    ["an empty message", JSON.stringify({ type: "send", cid: "e", text: "  " }), "invalid_frame"],
    ["typing without a boolean", JSON.stringify({ type: "typing", on: "yes" }), "invalid_frame"],
    ["a frame over 16 KiB", JSON.stringify({ type: "send", cid: "big", text: "x".repeat(MAX_FRAME) }), "frame_too_large"],
  ])("%s → error %s", async (_what, raw, code) => {
    const { a, stub } = await roomWithAlice();
    a.send(raw);
    const err = await a.next("error");
    expect(err.code).toBe(code);
    expect(err.message.length).toBeGreaterThan(0);
    await expectRecovers(a, stub);
  });

  it("a body over 4,000 characters → body_too_long naming the message's cid", async () => {
    const { a, stub } = await roomWithAlice();
    a.send({ type: "send", cid: "long", text: "y".repeat(MAX_BODY + 1) });
    expect(await a.next("error")).toMatchObject({ code: "body_too_long", cid: "long" });
    a.send({ type: "send", cid: "max", text: "z".repeat(MAX_BODY) });
    await a.next("ack", (f) => f.cid === "max");
    await runInDurableObject(stub, (_i, s: DurableObjectState) => s.storage.sql.exec("DELETE FROM log"));
    await expectRecovers(a, stub);
  });

  it("a binary frame → binary_unsupported", async () => {
    const { a, stub } = await roomWithAlice();
    a.ws.send(new Uint8Array([1, 2, 3]));
    expect((await a.next("error")).code).toBe("binary_unsupported");
    await expectRecovers(a, stub);
  });

  it("a sender over its rate limit (burst 20) gets rate_limited and nothing is stored", async () => {
    const { a, stub } = await roomWithAlice();
    // 40 at once: 20 fit the burst, and the rest arrive faster than 10/s refill even on a slow machine.
    for (let i = 0; i < 40; i++) a.send({ type: "send", cid: `r${i}`, text: `m${i}` });
    const answered = (cid: string) => a.frames.some((f) => (f.type === "ack" || f.type === "error") && f.cid === cid);
    await a.until(() => Array.from({ length: 40 }, (_, i) => `r${i}`).every(answered), 10_000);
    const rejected = a.frames.filter((f) => f.type === "error");
    expect(rejected.length).toBeGreaterThanOrEqual(10);
    for (const e of rejected) expect(e).toMatchObject({ code: "rate_limited" });
    const rows = await runInDurableObject(stub, (_i, s: DurableObjectState) => s.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM log").one().n);
    expect(rows).toBe(40 - rejected.length);
    expect(a.frames.filter((f) => f.type === "ack").length).toBe(rows);
  });

  it("an honest sender over its budget is told when to retry, is never closed for it, and gets in after the wait", async () => {
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie);
    const a = await connect(room.id, alice.cookie);
    // The welcome advertises the budget (wrangler.toml: 10/s, burst 20).
    expect((await a.next("welcome")).budget).toEqual({ perSec: 10, burst: 20 });
    // 90 well-formed messages at once (a reconnect storm's burst): more early ones than MAX_STRIKES.
    for (let i = 0; i < 90; i++) a.send({ type: "send", cid: `e${i}`, text: `m${i}` });
    const answered = (cid: string) => a.frames.some((f) => (f.type === "ack" || f.type === "error") && f.cid === cid);
    await a.until(() => Array.from({ length: 90 }, (_, i) => `e${i}`).every(answered), 10_000);
    const limited = a.frames.filter((f) => f.type === "error");
    const last = limited.at(-1)!;
    expect(last.type === "error" && last.code).toBe("rate_limited");
    expect(limited.length).toBeGreaterThanOrEqual(60);
    for (const e of limited) expect(e).toMatchObject({ code: "rate_limited", retryMs: expect.any(Number) });
    expect(Math.min(...limited.map((e) => (e.type === "error" ? e.retryMs! : 0)))).toBeGreaterThan(0);
    await sleep(300);
    expect(a.closed).toBeNull();
    // After the advertised wait the same message is taken.
    if (last.type !== "error") throw new Error("unreachable");
    await sleep(last.retryMs!);
    a.send({ type: "send", cid: last.cid!, text: "again" });
    expect((await a.next("ack", (f) => f.cid === last.cid)).seq).toBeGreaterThan(0);
  });

  it("errors name the action they refuse by its request id", async () => {
    const { a } = await roomWithAlice();
    a.send({ type: "call.hangup", callId: "no-such-call", req: "r-hangup" });
    expect(await a.next("error", (f) => f.req === "r-hangup")).toMatchObject({ code: "no_such_call" });
    a.send({ type: "react", seq: 999, emoji: "👍", on: true, req: "r-react" });
    expect(await a.next("error", (f) => f.req === "r-react")).toMatchObject({ code: "no_such_message" });
    a.send({ type: "delete", seq: 999, req: "r-delete" });
    expect(await a.next("error", (f) => f.req === "r-delete")).toMatchObject({ code: "no_such_message" });
    // Even a frame that does not parse names its request id.
    a.send(JSON.stringify({ type: "call.join", callId: 42, req: "r-bad" }));
    expect(await a.next("error", (f) => f.req === "r-bad")).toMatchObject({ code: "invalid_frame" });
  });

  it("refuses a client message id with characters the room keeps for its own ids", async () => {
    const { a, stub } = await roomWithAlice();
    a.send({ type: "send", cid: "dup:1", text: "sneaky" });
    expect(await a.next("error")).toMatchObject({ code: "invalid_frame", cid: "dup:1" });
    await expectRecovers(a, stub);
  });

  it("persistent abuse closes the socket with 1008; the room goes on for others", async () => {
    const { a, room } = await roomWithAlice();
    const bob = await guest("Bob");
    await joinRoom(room.id, bob.cookie);
    const b = await connect(room.id, bob.cookie);
    for (let i = 0; i < 60; i++) b.send("garbage");
    expect((await b.waitClosed()).code).toBe(1008);
    a.send({ type: "send", cid: "fine", text: "room still fine" });
    expect((await a.next("ack")).seq).toBe(1);
  });

  it("stores and relays HTML as inert text, byte for byte", async () => {
    const { a, room, alice } = await roomWithAlice();
    const text = `<img src=x onerror="alert(1)"><script>alert(2)</script>`;
    a.send({ type: "send", cid: "html", text });
    await a.next("ack");
    const res = await api(`/api/rooms/${room.id}/messages`, { cookie: alice.cookie });
    expect(((await res.json()) as { messages: { text: string }[] }).messages[0]?.text).toBe(text);
  });

  it("closes a client speaking another protocol version with 4002", async () => {
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie);
    const res = await upgrade(room.id, alice.cookie, "?v=999");
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    const code = await new Promise<number>((resolve) => res.webSocket!.addEventListener("close", (e) => resolve(e.code)));
    expect(code).toBe(4002);
  });
});
