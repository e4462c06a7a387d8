/**
 * Mentions (issue 9, item 4) through the real Worker, room object, D1 and hubs: the frame,
 * the room's membership checks, `@room`, the D1 column, the sidebar's counts and the live
 * hub's activity.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { MAX_MENTIONS, ROOM_MENTION_OPEN_UP_TO, mentionToken, type RoomsResponse, type RoomSummary } from "../protocol";
import { api, connect, connectHub, guest, heard, joinRoom, newRoom, post, untilWatching, type Client } from "./helpers";
import { aliceAndBob, twoInARoom } from "./fixtures";

const flush = (roomId: string) => runDurableObjectAlarm(env.ROOMS.getByName(roomId));

/** Sends `text` mentioning `ids` (their tokens are added to the text) and returns the cid. */
function mention(c: Client, ids: string[], text = "hello"): string {
  const cid = crypto.randomUUID();
  c.send({ type: "send", cid, text: `${ids.map((id) => mentionToken(id, "Someone")).join(" ")} ${text}`, mentions: ids });
  return cid;
}

async function summary(roomId: string, cookie: string): Promise<RoomSummary> {
  const res = await api("/api/rooms", { cookie });
  expect(res.status).toBe(200);
  return ((await res.json()) as RoomsResponse).rooms.find((r) => r.id === roomId)!;
}

const lastSeqOf = (roomId: string) => env.ROOMS.getByName(roomId).lastSeq();

/** Members added straight into D1 (a big room without a hundred requests). */
async function addMembers(roomId: string, n: number): Promise<void> {
  const now = Date.now();
  const ids = Array.from({ length: n }, () => `u-${crypto.randomUUID()}`);
  await env.DB.batch(
    ids.flatMap((id) => [
      env.DB.prepare("INSERT INTO users (id, name, created_at) VALUES (?, 'Extra', ?)").bind(id, now),
      env.DB.prepare("INSERT INTO room_members (room_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)").bind(roomId, id, now),
    ]),
  );
  await env.ROOMS.getByName(roomId).membersChanged();
}

describe("the send frame's mentions", () => {
  it("carries member ids to everyone, into the room's log and, flushed, D1's mentions column", async () => {
    const { room, alice, bob, a, b } = await twoInARoom();
    const cid = mention(a, [bob.id, "room"]);
    const { seq } = await a.next("ack", (f) => f.cid === cid);
    expect((await heard(b, cid)).mentions).toEqual([bob.id, "room"]);
    const inLog = await runInDurableObject(env.ROOMS.getByName(room.id), (_i, state: DurableObjectState) =>
      state.storage.sql.exec<{ mentions: string }>("SELECT mentions FROM log WHERE seq = ?", seq).one().mentions,
    );
    expect(JSON.parse(inLog)).toEqual([bob.id, "room"]);
    await flush(room.id);
    const row = await env.DB.prepare("SELECT mentions FROM messages WHERE room_id = ? AND seq = ?").bind(room.id, seq).first<{ mentions: string }>();
    expect(JSON.parse(row!.mentions)).toEqual([bob.id, "room"]);
    // History pages carry them too.
    const page = (await (await api(`/api/rooms/${room.id}/messages`, { cookie: alice.cookie })).json()) as { messages: { seq: number; mentions?: string[] }[] };
    expect(page.messages.find((m) => m.seq === seq)?.mentions).toEqual([bob.id, "room"]);
    // A message without mentions has none, in D1 too.
    a.send({ type: "send", cid: "plain", text: "no one" });
    const plain = await a.next("ack", (f) => f.cid === "plain");
    await flush(room.id);
    expect(await env.DB.prepare("SELECT mentions FROM messages WHERE room_id = ? AND seq = ?").bind(room.id, plain.seq).first("mentions")).toBeNull();
  });

  it("an edit mentions whom its text does now: checked against the members (loaded for it), told live, flushed to D1", async () => {
    const { room, bob, a, b } = await twoInARoom();
    // A plain message first: the room has not loaded its member list when the edit comes.
    a.send({ type: "send", cid: "plain", text: "hello" });
    const { seq } = await a.next("ack", (f) => f.cid === "plain");
    await flush(room.id);
    const text = (ids: string[]) => `${ids.map((id) => mentionToken(id, "Someone")).join(" ")} edited`;
    a.send({ type: "edit", seq, text: text(["u-stranger"]), mentions: ["u-stranger"], req: "e1" });
    expect(await a.next("error", (f) => f.req === "e1")).toMatchObject({ code: "not_a_member" });
    a.send({ type: "edit", seq, text: text([bob.id]), mentions: [bob.id], req: "e2" });
    const edited = await b.next("edited", (f) => f.seq === seq);
    expect(edited).toMatchObject({ text: text([bob.id]), mentions: [bob.id] });
    await flush(room.id);
    const row = await env.DB.prepare("SELECT body, mentions FROM messages WHERE room_id = ? AND seq = ?").bind(room.id, seq).first<{ body: string; mentions: string }>();
    expect(row!.body).toBe(text([bob.id]));
    expect(JSON.parse(row!.mentions)).toEqual([bob.id]);
    // Edited to mention no one: D1's column is cleared.
    a.send({ type: "edit", seq, text: "no one now", req: "e3" });
    await b.next("edited", (f) => f.seq === seq && f.text === "no one now");
    await flush(room.id);
    expect(await env.DB.prepare("SELECT mentions FROM messages WHERE room_id = ? AND seq = ?").bind(room.id, seq).first("mentions")).toBeNull();
  });

  it("refuses a mention of someone who is not a member (never was, or was removed) with not_a_member, storing nothing", async () => {
    const { room, alice, bob, a, b } = await twoInARoom();
    const stranger = await guest("Mallory");
    const cid = mention(a, [bob.id, stranger.id]);
    expect(await a.next("error", (f) => f.cid === cid)).toMatchObject({ code: "not_a_member" });
    expect(await lastSeqOf(room.id)).toBe(0);

    await api(`/api/rooms/${room.id}/members/${bob.id}`, { method: "DELETE", cookie: alice.cookie });
    await b.waitClosed();
    const again = mention(a, [bob.id]);
    expect(await a.next("error", (f) => f.cid === again)).toMatchObject({ code: "not_a_member" });
    expect(await lastSeqOf(room.id)).toBe(0);
    // The socket and the room go on.
    const ok = mention(a, [alice.id]);
    expect((await a.next("ack", (f) => f.cid === ok)).seq).toBe(1);
  });

  it("knows a member who joined after the room loaded its member list", async () => {
    const { room, a } = await twoInARoom();
    const first = mention(a, ["room"]);
    await a.next("ack", (f) => f.cid === first); // the member list is loaded now
    const carol = await guest("Carol");
    await joinRoom(room.id, carol.cookie);
    const cid = mention(a, [carol.id]);
    expect((await a.next("ack", (f) => f.cid === cid)).seq).toBe(2);
  });

  it("keeps its member list in storage: after an eviction it checks mentions without reloading it", async () => {
    const { room, alice, bob, a } = await twoInARoom();
    const first = mention(a, [bob.id]);
    await a.next("ack", (f) => f.cid === first);
    const stub = env.ROOMS.getByName(room.id);
    const loadedAt = () => runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.kv.get<number>("members_at"));
    const at = await loadedAt();
    expect(at).toBeGreaterThan(0);
    await evictDurableObject(stub);
    const a2 = await connect(room.id, alice.cookie);
    const again = mention(a2, [bob.id]);
    expect((await a2.next("ack", (f) => f.cid === again)).seq).toBe(2);
    const stranger = mention(a2, ["u-nobody"]);
    expect(await a2.next("error", (f) => f.cid === stranger)).toMatchObject({ code: "not_a_member" });
    // Loaded within the last 30 s: neither message read D1's members again.
    expect(await loadedAt()).toBe(at);
  });

  it("lets only the owner mention @room in a room of more than 20 members", async () => {
    const { room, alice, bob } = await aliceAndBob();
    await addMembers(room.id, ROOM_MENTION_OPEN_UP_TO - 1); // 21 members
    const [a, b] = [await connect(room.id, alice.cookie), await connect(room.id, bob.cookie)];
    const refused = mention(b, ["room"]);
    expect(await b.next("error", (f) => f.cid === refused)).toMatchObject({ code: "room_mention_owner_only" });
    expect(await lastSeqOf(room.id)).toBe(0);
    // A plain mention is still his to make; @room is the owner's.
    const plain = mention(b, [alice.id]);
    await b.next("ack", (f) => f.cid === plain);
    const owners = mention(a, ["room"]);
    await a.next("ack", (f) => f.cid === owners);
    expect(await lastSeqOf(room.id)).toBe(2);
  });

  it("allows @room to anyone in a room of 20 members", async () => {
    const { room, bob } = await aliceAndBob();
    await addMembers(room.id, ROOM_MENTION_OPEN_UP_TO - 2);
    const b = await connect(room.id, bob.cookie);
    const cid = mention(b, ["room"]);
    expect((await b.next("ack", (f) => f.cid === cid)).seq).toBe(1);
  });

  it("refuses malformed mentions in the schema: not in the text, repeated, too many, not an id", async () => {
    const { room, bob, a } = await twoInARoom();
    const bad = [
      { text: "hi @Bob", mentions: [bob.id] },
      { text: mentionToken(bob.id, "Bob"), mentions: [bob.id, bob.id] },
      { text: "x", mentions: Array.from({ length: MAX_MENTIONS + 1 }, (_, i) => `u${i}`) },
      { text: "@[x](a b)", mentions: ["a b"] },
      { text: "x", mentions: "everyone" },
    ];
    for (const [i, f] of bad.entries()) {
      a.send(JSON.stringify({ type: "send", cid: `bad${i}`, ...f }));
      expect(await a.next("error", (e) => e.cid === `bad${i}`)).toMatchObject({ code: "invalid_frame" });
    }
    expect(await lastSeqOf(room.id)).toBe(0);
  });
});

describe("the mention badge", () => {
  it("GET /api/rooms counts unread messages of others that mention me or @room; reading clears it", async () => {
    const { room, alice, bob, a, b } = await twoInARoom();
    const carol = await guest("Carol");
    await joinRoom(room.id, carol.cookie);
    const c = await connect(room.id, carol.cookie);
    // One after the other: seqs 1–5.
    for (const [from, ids] of [[a, [bob.id]], [c, ["room"]], [a, [carol.id]], [b, [bob.id, "room"]], [a, []]] as const) {
      const cid = mention(from, [...ids]);
      await from.next("ack", (f) => f.cid === cid);
    }
    await flush(room.id);
    // Bob: his own mention of himself and @room does not count; Carol's @room and Alice's mention do.
    expect(await summary(room.id, bob.cookie)).toMatchObject({ unread: 5, mentions: 2 });
    expect(await summary(room.id, carol.cookie)).toMatchObject({ mentions: 2 }); // Alice's, and Bob's @room
    expect(await summary(room.id, alice.cookie)).toMatchObject({ mentions: 2 }); // the two @room
    // Read up to Carol's @room (seq 2): one left; all read: none.
    await post(`/api/rooms/${room.id}/read`, bob.cookie, { seq: 2 });
    expect(await summary(room.id, bob.cookie)).toMatchObject({ mentions: 0 });
    await post(`/api/rooms/${room.id}/read`, carol.cookie, { seq: 3 });
    expect(await summary(room.id, carol.cookie)).toMatchObject({ mentions: 1 });
    // A deleted message no longer counts.
    b.send({ type: "delete", seq: 4 });
    await b.next("deleted");
    await flush(room.id);
    expect(await summary(room.id, carol.cookie)).toMatchObject({ mentions: 0 });
  });

  it("reaches a live hub with the seqs that mention its user", async () => {
    const { room, alice, bob, a } = await twoInARoom();
    const [hubA, hubB] = [await connectHub(alice.cookie), await connectHub(bob.cookie)];
    await untilWatching(room.id, bob.id);
    await untilWatching(room.id, alice.id);
    const m1 = mention(a, [bob.id]);
    const { seq: s1 } = await a.next("ack", (f) => f.cid === m1);
    a.send({ type: "send", cid: "plain", text: "nobody" });
    const { seq: s2 } = await a.next("ack", (f) => f.cid === "plain");
    await flush(room.id);
    const bobs = await hubB.next("activity", (f) => f.roomId === room.id && f.lastSeq === s2);
    expect(bobs.mentions).toEqual([s1]);
    // Alice's own mention is not hers to be told about.
    expect((await hubA.next("activity", (f) => f.roomId === room.id && f.lastSeq === s2)).mentions).toBeUndefined();
    // The next announcement tells only what is new.
    hubB.clear();
    a.send({ type: "send", cid: "later", text: "still nobody" });
    const { seq: s3 } = await a.next("ack", (f) => f.cid === "later");
    await runInDurableObject(env.ROOMS.getByName(room.id), (_i, state: DurableObjectState) => state.storage.kv.put("announced_at", 0));
    await flush(room.id);
    expect((await hubB.next("activity", (f) => f.lastSeq === s3)).mentions).toBeUndefined();
  });
});
