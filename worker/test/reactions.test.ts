import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { api, connect } from "./helpers";
import { twoInARoom } from "./fixtures";
import type { HistoryResponse } from "../protocol";


/** Alice and Bob in a room, connected, and a message of Alice's to react to. */
async function twoAndAMessage() {
  const people = await twoInARoom("reactions");
  people.a.send({ type: "send", cid: "m1", text: "react to me" });
  const { seq } = await people.a.next("ack", (f) => f.cid === "m1");
  return { ...people, seq };
}

const d1Reactions = async (roomId: string) =>
  (
    await env.DB.prepare("SELECT seq, emoji, user_id FROM reactions WHERE room_id = ? ORDER BY created_at, rowid")
      .bind(roomId)
      .all<{ seq: number; emoji: string; user_id: string }>()
  ).results;

describe("reactions", () => {
  it("broadcasts an added and a removed reaction to everyone, the reactor included", async () => {
    const { a, b, bob, seq } = await twoAndAMessage();
    b.send({ type: "react", seq, emoji: "👍", on: true });
    for (const c of [a, b]) expect(await c.next("reaction")).toEqual({ type: "reaction", seq, emoji: "👍", user: bob.id, on: true });
    a.clear();
    b.send({ type: "react", seq, emoji: "👍", on: false });
    expect(await a.next("reaction")).toEqual({ type: "reaction", seq, emoji: "👍", user: bob.id, on: false });
  });

  it("flushes the current reactions to D1, in order, and a repeated add changes nothing", async () => {
    const { room, a, b, alice, bob, seq, stub } = await twoAndAMessage();
    b.send({ type: "react", seq, emoji: "🎉", on: true });
    b.send({ type: "react", seq, emoji: "🎉", on: true });
    b.send({ type: "react", seq, emoji: "❤️", on: true });
    a.send({ type: "react", seq, emoji: "🎉", on: true });
    b.send({ type: "react", seq, emoji: "❤️", on: false });
    await a.next("reaction", (f) => f.emoji === "❤️" && !f.on);
    expect(a.frames.filter((f) => f.type === "reaction")).toHaveLength(4); // the repeated add was not broadcast
    await runDurableObjectAlarm(stub);
    expect(await d1Reactions(room.id)).toEqual([
      { seq, emoji: "🎉", user_id: bob.id },
      { seq, emoji: "🎉", user_id: alice.id },
    ]);
    // A second flush with nothing new leaves D1 as it is.
    await runDurableObjectAlarm(stub);
    expect(await d1Reactions(room.id)).toHaveLength(2);
  });

  it("welcome and history carry the aggregated reactions (user ids, in the order they reacted)", async () => {
    const { room, a, b, alice, bob, seq, stub } = await twoAndAMessage();
    b.send({ type: "react", seq, emoji: "👍", on: true });
    await a.next("reaction");
    a.send({ type: "react", seq, emoji: "👍", on: true });
    await b.next("reaction", (f) => f.user === alice.id);
    const want = [{ emoji: "👍", users: [bob.id, alice.id] }];
    await evictDurableObject(stub);
    const c = await connect(room.id, bob.cookie);
    expect((await c.next("welcome")).messages.find((m) => m.seq === seq)?.reactions).toEqual(want);
    // History from the room's log before the flush, and from D1 after it.
    const page = async () => ((await (await api(`/api/rooms/${room.id}/messages`, { cookie: bob.cookie })).json()) as HistoryResponse).messages;
    expect((await page()).find((m) => m.seq === seq)?.reactions).toEqual(want);
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    expect((await page()).find((m) => m.seq === seq)?.reactions).toEqual(want);
  });

  it("refuses a bad emoji, an unknown message, a deleted one", async () => {
    const { a, b, seq } = await twoAndAMessage();
    for (const emoji of ["", "a b", "x\n", "\u0007", "x".repeat(17), "👍\u202E", "\u200B", "\u2066🎉\u2069", "\u200D"]) {
      b.clear();
      b.send(JSON.stringify({ type: "react", seq, emoji, on: true }));
      expect((await b.next("error")).code).toBe("invalid_frame");
    }
    b.clear();
    b.send({ type: "react", seq: 999, emoji: "👍", on: true });
    expect((await b.next("error")).code).toBe("no_such_message");
    a.send({ type: "delete", seq });
    await b.next("deleted");
    b.send({ type: "react", seq, emoji: "👍", on: true });
    expect((await b.next("error")).code).toBe("no_such_message");
    expect(b.frames.some((f) => f.type === "reaction")).toBe(false);
  });

  it("a flood of reactions is rate limited by the sender's frame bucket", async () => {
    const { b, seq } = await twoAndAMessage();
    // Far more than the burst (100), so that even a slow machine handles them faster than the refill (50/s).
    for (let i = 0; i < 400; i++) b.send({ type: "react", seq, emoji: "👍", on: i % 2 === 0 });
    expect((await b.next("error")).code).toBe("rate_limited");
  });

  it("deleting a message removes its reactions in D1 too", async () => {
    const { room, a, b, seq, stub } = await twoAndAMessage();
    b.send({ type: "react", seq, emoji: "👍", on: true });
    await a.next("reaction");
    await runDurableObjectAlarm(stub);
    expect(await d1Reactions(room.id)).toHaveLength(1);
    a.send({ type: "delete", seq });
    await b.next("deleted");
    await runDurableObjectAlarm(stub);
    expect(await d1Reactions(room.id)).toEqual([]);
  });
});

describe("reconnecting", () => {
  it("welcome syncs reactions and deletions that happened to messages the client already had", async () => {
    const { room, a, bob, alice, seq } = await twoAndAMessage();
    a.send({ type: "send", cid: "m2", text: "second" });
    const { seq: seq2 } = await a.next("ack", (f) => f.cid === "m2");
    a.send({ type: "send", cid: "m3", text: "third" });
    const { seq: seq3 } = await a.next("ack", (f) => f.cid === "m3");
    a.send({ type: "react", seq: seq3, emoji: "🙂", on: true });
    await a.next("reaction", (f) => f.seq === seq3);
    // Bob was away for these:
    a.send({ type: "react", seq, emoji: "👍", on: true });
    a.send({ type: "react", seq: seq3, emoji: "🙂", on: false });
    a.send({ type: "delete", seq: seq2 });
    await a.next("deleted");
    const b2 = await connect(room.id, bob.cookie, { query: `?since=${seq3}` });
    const w = await b2.next("welcome");
    expect(w.messages).toEqual([]);
    expect(w.sync).toEqual({ from: 1, to: seq3, reactions: [{ seq, reactions: [{ emoji: "👍", users: [alice.id] }] }], deleted: [seq2] });
  });
});
