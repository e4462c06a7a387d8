/**
 * Issue 11, the room's side: what a crowd of fresh identities, a ring loop and a pile of
 * sockets can no longer do to a room, and that its members go on as before.
 */
import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { connect, guest, joinRoom, newRoom, sleep, type Client } from "./helpers";
import type { ServerFrameOf } from "../protocol";
import { NEWCOMER_BURST } from "../room/rate-limit";
import { settled } from "./fixtures";

type ErrorFrame = ServerFrameOf<"error">;

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
    // Within the advertised burst of 20, but a newcomer starts with NEWCOMER_BURST (plus what refills meanwhile).
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
