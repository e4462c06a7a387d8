/**
 * Issue 11, the room's side: what a crowd of fresh identities, a ring loop and a pile of
 * sockets can no longer do to a room, and that its members go on as before.
 */
import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { account, connect, connectHub, errorOf, guest, joinRoom, newRoom, sleep, startDm, upgrade, type Client, type Person } from "./helpers";
import { Close, QUIET_CANCEL_MS, type ServerFrameOf } from "../protocol";
import { COOLDOWN_BASE_MS, newcomerBurst, type Cooldown } from "../room/rate-limit";
import { settled } from "./fixtures";
import type { StoredCall } from "../room/call";

type ErrorFrame = ServerFrameOf<"error">;

/** What a newcomer's own bucket starts with, for wrangler.toml's MSG_BURST (20). */
const NEWCOMER_BURST = newcomerBurst(20);

/** Waits until every message `cids` names is acked or refused on `c`; returns which were which. */
async function answers(c: Client, cids: readonly string[]): Promise<{ acked: string[]; refused: ErrorFrame[] }> {
  const answer = (cid: string) => c.frames.find((f) => (f.type === "ack" || f.type === "error") && f.cid === cid);
  await c.until(() => cids.every((cid) => answer(cid) !== undefined), 15_000);
  const all = cids.map((cid) => answer(cid)!);
  return { acked: all.flatMap((f) => (f.type === "ack" ? [f.cid] : [])), refused: all.flatMap((f) => (f.type === "error" ? [f] : [])) };
}

/** `n` message ids `<prefix><i>`. */
const cidsOf = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Sends `n` messages at once (cids `<prefix><i>`) and waits until each is acked or refused. */
function burst(c: Client, prefix: string, n: number): Promise<{ acked: string[]; refused: ErrorFrame[] }> {
  const cids = cidsOf(prefix, n);
  for (const cid of cids) c.send({ type: "send", cid, text: cid });
  return answers(c, cids);
}

const logCount = (roomId: string, prefix: string) =>
  runInDurableObject(env.ROOMS.getByName(roomId), (_i, state: DurableObjectState) =>
    state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM log WHERE cid LIKE ?", `${prefix}%`).one().n,
  );

describe("the room's message budget", () => {
  it("a member who has been in the room a while posts a full burst (20) at once", async () => {
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie);
    await settled(room.id, alice);
    const a = await connect(room.id, alice.cookie);
    const { acked, refused } = await burst(a, "m", 20);
    expect(refused).toEqual([]);
    expect(acked).toHaveLength(20);
    expect(await logCount(room.id, "m")).toBe(20);
  });

  it("a newcomer starts with a smaller burst: refused past it with when to retry, nothing stored, and taken after the wait", async () => {
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie);
    const mallory = await guest("Mallory");
    await joinRoom(room.id, mallory.cookie);
    const m = await connect(room.id, mallory.cookie);
    const { acked, refused } = await burst(m, "n", 20);
    // Within the advertised burst of 20, but a newcomer starts with a quarter of it (plus what refills meanwhile).
    expect(acked.slice(0, NEWCOMER_BURST)).toEqual(cidsOf("n", NEWCOMER_BURST));
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) expect(e).toMatchObject({ code: "rate_limited", message: "you are sending messages too fast", retryMs: expect.any(Number) });
    expect(await logCount(room.id, "n")).toBe(acked.length);
    expect(m.closed).toBeNull();
    const last = refused.at(-1)!;
    await sleep(last.retryMs!);
    m.send({ type: "send", cid: last.cid!, text: "again" });
    expect((await m.next("ack", (f) => f.cid === last.cid)).seq).toBeGreaterThan(0);
  });

  it("a crowd of fresh identities cannot post past the room's budget; the room's members still post at once", async () => {
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie);
    await settled(room.id, alice);
    const crowd: Client[] = [];
    for (let i = 0; i < 40; i++) {
      const g = await guest(`Sock ${i}`);
      await joinRoom(room.id, g.cookie);
      crowd.push(await connect(room.id, g.cookie));
    }
    const a = await connect(room.id, alice.cookie);
    // Each sends only what their own budget allows at once (a newcomer's burst): 200 in all.
    for (const [i, c] of crowd.entries()) for (const cid of cidsOf(`x${i}-`, NEWCOMER_BURST)) c.send({ type: "send", cid, text: "spam" });
    const results = await Promise.all(crowd.map((c, i) => answers(c, cidsOf(`x${i}-`, NEWCOMER_BURST))));
    const refused = results.flatMap((r) => r.refused);
    const acked = results.reduce((n, r) => n + r.acked.length, 0);
    // Every refused message was within its sender's own budget: it is the room's that held.
    expect(refused.length).toBeGreaterThan(0);
    for (const e of refused) expect(e).toMatchObject({ code: "rate_limited", message: "too many messages in this room right now", retryMs: expect.any(Number) });
    expect(await logCount(room.id, "x")).toBe(acked);
    // The room's reserve is Alice's: her whole burst goes in at once, with nothing refused.
    const mine = await burst(a, "alice", 20);
    expect(mine.refused).toEqual([]);
    expect(await logCount(room.id, "alice")).toBe(20);
  });
});

describe("ring spam", () => {
  /** Alice and Bob in their DM; Bob has the app open (his hub) but not the room. */
  async function bobAway() {
    const [alice, bob] = [await account("Alice"), await account("Bob")];
    const { body } = await startDm(alice.cookie, bob.username);
    const bobsHub = await connectHub(bob.cookie);
    const a = await connect(body.room.id, alice.cookie);
    return { roomId: body.room.id, alice, bob, a, bobsHub, stub: env.ROOMS.getByName(body.room.id) };
  }

  const history = (stub: DurableObjectStub) =>
    runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.sql.exec<{ cid: string; text: string }>("SELECT cid, text FROM log WHERE cid LIKE 'call:%'").toArray());

  it("a person starts 3 calls a minute: the 4th is refused with when to retry and rings nobody; calls cancelled at once leave no history", async () => {
    const { a, bobsHub, stub, roomId, bob } = await bobAway();
    for (let i = 0; i < 3; i++) {
      a.clear();
      a.send({ type: "call.start", media: "video", req: `s${i}` });
      const s = (await a.next("call", (f) => f.call !== null)).call!;
      a.send({ type: "call.hangup", callId: s.id });
      expect((await a.next("call.ended", (f) => f.callId === s.id)).outcome).toBe("cancelled");
    }
    a.send({ type: "call.start", media: "video", req: "s3" });
    const refused = await a.next("error", (f) => f.req === "s3");
    expect(refused).toMatchObject({ code: "rate_limited", message: "you can start 3 calls a minute", retryMs: expect.any(Number) });
    expect(refused.retryMs!).toBeGreaterThan(1000);
    expect(await runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.kv.get<StoredCall>("call") ?? null)).toBeNull();
    await bobsHub.until(() => bobsHub.frames.filter((f) => f.type === "call.ring_ended").length === 3);
    expect(bobsHub.frames.filter((f) => f.type === "call.ring")).toHaveLength(3);
    // Each was cancelled within QUIET_CANCEL_MS: no "Cancelled video call" lines.
    expect(await history(stub)).toEqual([]);
    // The limit is Alice's: Bob can still call her.
    const b = await connect(roomId, bob.cookie);
    b.send({ type: "call.start", media: "audio", req: "bob" });
    expect((await b.next("call", (f) => f.call !== null)).call).toMatchObject({ caller: { id: bob.id } });
  });

  it("a call that rang for QUIET_CANCEL_MS before its cancel leaves its history line", async () => {
    const { a, stub } = await bobAway();
    a.send({ type: "call.start", media: "video" });
    const s = (await a.next("call", (f) => f.call !== null)).call!;
    await runInDurableObject(stub, (_i, state: DurableObjectState) => {
      const c = state.storage.kv.get<StoredCall>("call")!;
      state.storage.kv.put("call", { ...c, startedAt: c.startedAt - QUIET_CANCEL_MS });
    });
    a.send({ type: "call.hangup", callId: s.id });
    await a.next("call.ended");
    expect(await history(stub)).toEqual([{ cid: `call:${s.id}`, text: "Cancelled video call" }]);
  });
});

describe("sockets per person", () => {
  it("a person's 11th socket closes their oldest with 4005; the other ten stay, and the room goes on", async () => {
    const alice = await guest("Alice");
    const bob = await guest("Bob");
    const { room } = await newRoom(alice.cookie);
    await joinRoom(room.id, bob.cookie);
    const b = await connect(room.id, bob.cookie);
    const tabs: Client[] = [];
    for (let i = 0; i < 10; i++) tabs.push(await connect(room.id, alice.cookie));
    // Ten are allowed: none was closed.
    await sleep(50);
    expect(tabs.map((t) => t.closed)).toEqual(Array(10).fill(null));
    const newest = await connect(room.id, alice.cookie);
    expect(await tabs[0]!.waitClosed()).toEqual({ code: Close.TOO_MANY_CONNECTIONS, reason: "more than 10 connections of yours to this room; this was the oldest" });
    expect(tabs.slice(1).map((t) => t.closed)).toEqual(Array(9).fill(null));
    const open = await runInDurableObject(env.ROOMS.getByName(room.id), (_i, state: DurableObjectState) => state.getWebSockets(`u:${alice.id}`).filter((ws) => ws.readyState === WebSocket.OPEN).length);
    expect(open).toBe(10);
    newest.send({ type: "send", cid: "hi", text: "from the newest tab" });
    expect((await b.next("msgs", (f) => f.messages.some((m) => m.cid === "hi"))).messages[0]!.text).toBe("from the newest tab");
  });

  it("a socket closed for abuse (1008): its person gets 429 at the upgrade for a growing while; others connect; after it, they can", async () => {
    const alice = await guest("Alice");
    const mallory = await guest("Mallory");
    const { room } = await newRoom(alice.cookie);
    await joinRoom(room.id, mallory.cookie);
    const stub = env.ROOMS.getByName(room.id);
    const abuse = async () => {
      const m = await connect(room.id, mallory.cookie);
      for (let i = 0; i < 60; i++) m.send("garbage");
      expect((await m.waitClosed()).code).toBe(1008);
    };
    const refusedFor = async () => {
      const res = await upgrade(room.id, mallory.cookie);
      expect(res.status).toBe(429);
      expect(res.webSocket).toBeNull();
      expect(await errorOf(res)).toMatchObject({ code: "rate_limited", message: expect.stringMatching(/closed for abuse; try again in \d+ seconds/) });
      return Number(res.headers.get("retry-after"));
    };
    const cooldownEnds = () =>
      runInDurableObject(stub, (_i, state: DurableObjectState) => {
        const c = state.storage.kv.get<Cooldown>(`cooldown:${mallory.id}`)!;
        state.storage.kv.put(`cooldown:${mallory.id}`, { ...c, until: Date.now() - 1 });
      });

    await abuse();
    const first = await refusedFor();
    expect(first).toBeGreaterThan(COOLDOWN_BASE_MS / 1000 - 2);
    expect(first).toBeLessThanOrEqual(COOLDOWN_BASE_MS / 1000);
    // Nothing of hers was accepted; Alice connects as ever.
    expect(await runInDurableObject(stub, (_i, state: DurableObjectState) => state.getWebSockets(`u:${mallory.id}`).length)).toBe(0);
    const a = await connect(room.id, alice.cookie);
    expect(a.closed).toBeNull();

    // Once it is over she is let in again; abusing again costs twice as long.
    await cooldownEnds();
    await abuse();
    const second = await refusedFor();
    expect(second).toBeGreaterThan((2 * COOLDOWN_BASE_MS) / 1000 - 2);
    expect(second).toBeLessThanOrEqual((2 * COOLDOWN_BASE_MS) / 1000);
  });
});
