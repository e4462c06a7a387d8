import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { api, connect, connectHub, heard, post, untilWatching, type Client } from "./helpers";
import { twoInARoom } from "./fixtures";
import { db } from "../db/client";
import { applyEdits } from "../db/queries";
import { ANNOUNCE_GAP_MS, KEEP_FLUSHED } from "../room/flush";
import { RoomStore } from "../room/store/room-store";
import type { HistoryResponse, Message, RoomsResponse } from "../protocol";

/** Alice and Bob in a room, connected, and a message of each. */
async function twoAndMessages() {
  const people = await twoInARoom("replies");
  people.a.send({ type: "send", cid: "ma", text: "from alice\nsecond line" });
  const { seq: aliceSeq } = await people.a.next("ack", (f) => f.cid === "ma");
  people.b.send({ type: "send", cid: "mb", text: "from bob" });
  const { seq: bobSeq } = await people.b.next("ack", (f) => f.cid === "mb");
  return { ...people, aliceSeq, bobSeq };
}

const d1Row = async (roomId: string, seq: number) =>
  await env.DB.prepare("SELECT body, edited_at, reply_seq, deleted FROM messages WHERE room_id = ? AND seq = ?")
    .bind(roomId, seq)
    .first<{ body: string; edited_at: number | null; reply_seq: number | null; deleted: number }>();

const history = async (roomId: string, cookie: string, before?: number) =>
  ((await (await api(`/api/rooms/${roomId}/messages${before === undefined ? "" : `?before=${before}`}`, { cookie })).json()) as HistoryResponse).messages;

async function errorOn(c: Client, send: () => void) {
  c.clear();
  send();
  return (await c.next("error")).code;
}

describe("replies", () => {
  it("carry the original's quote to everyone, in history from the log and from D1", async () => {
    const { room, a, b, bob, bobSeq, stub } = await twoAndMessages();
    a.send({ type: "send", cid: "r1", text: "answer", replyTo: bobSeq });
    const quote = { seq: bobSeq, uid: bob.id, name: "Bob", text: "from bob" };
    expect((await heard(b, "r1")).replyTo).toEqual(quote);
    expect((await history(room.id, bob.cookie)).at(-1)?.replyTo).toEqual(quote);
    await runDurableObjectAlarm(stub);
    expect((await d1Row(room.id, bobSeq + 1))?.reply_seq).toBe(bobSeq);
    // The page before the room's newest comes from D1, the quote read from the original's row.
    expect((await history(room.id, bob.cookie, bobSeq + 2)).at(-1)?.replyTo).toEqual(quote);
  });

  it("to a seq this room never gave out (what another room's message is here) or a deleted message are refused, nothing stored", async () => {
    const { room, a, b, bobSeq, stub } = await twoAndMessages();
    expect(await errorOn(a, () => a.send({ type: "send", cid: "x1", text: "hm", replyTo: 999 }))).toBe("no_such_message");
    b.send({ type: "delete", seq: bobSeq });
    await a.next("deleted");
    expect(await errorOn(a, () => a.send({ type: "send", cid: "x2", text: "hm", replyTo: bobSeq }))).toBe("message_deleted");
    expect(await errorOn(a, () => a.send(JSON.stringify({ type: "send", cid: "x3", text: "hm", replyTo: -1 })))).toBe("invalid_frame");
    expect(await runInDurableObject(stub, (_, s) => new RoomStore(s.storage).bounds().last)).toBe(bobSeq);
    await runDurableObjectAlarm(stub);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE room_id = ?").bind(room.id).first<{ n: number }>();
    expect(n?.n).toBe(bobSeq);
  });

  it("show 'deleted' once the original is deleted: live for the log, and from D1", async () => {
    const { room, a, b, alice, bobSeq, stub } = await twoAndMessages();
    a.send({ type: "send", cid: "r1", text: "answer", replyTo: bobSeq });
    await heard(b, "r1");
    b.send({ type: "delete", seq: bobSeq });
    await a.next("deleted");
    expect((await history(room.id, alice.cookie)).at(-1)?.replyTo).toMatchObject({ deleted: true, text: "" });
    await runDurableObjectAlarm(stub);
    expect((await history(room.id, alice.cookie, bobSeq + 2)).at(-1)?.replyTo).toMatchObject({ deleted: true, text: "" });
  });
});

describe("edits", () => {
  it("reach everyone live, then welcome, history and D1 show the new text", async () => {
    const { room, a, b, alice, aliceSeq, stub } = await twoAndMessages();
    a.send({ type: "edit", seq: aliceSeq, text: "fixed" });
    const e = await b.next("edited");
    expect(e).toMatchObject({ seq: aliceSeq, text: "fixed" });
    await a.next("edited");
    const c = await connect(room.id, alice.cookie);
    expect((await c.next("welcome")).messages.find((m) => m.seq === aliceSeq)).toMatchObject({ text: "fixed", edited: e.edited });
    // A reconnect that holds the message already gets the edit in `sync`.
    const d = await connect(room.id, alice.cookie, { query: `?since=${aliceSeq + 1}` });
    expect((await d.next("welcome")).sync?.edited).toEqual([{ seq: aliceSeq, text: "fixed", edited: e.edited }]);
    await runDurableObjectAlarm(stub);
    expect(await d1Row(room.id, aliceSeq)).toMatchObject({ body: "fixed", edited_at: e.edited });
    expect((await history(room.id, alice.cookie, aliceSeq + 1))[0]).toMatchObject({ text: "fixed", edited: e.edited });
    // The sidebar preview reads D1: the edited text.
    a.send({ type: "edit", seq: aliceSeq, text: "fixed again" });
    await b.next("edited", (f) => f.text === "fixed again");
    await runDurableObjectAlarm(stub);
    expect((await d1Row(room.id, aliceSeq))?.body).toBe("fixed again");
  });

  it("of the room's newest message show in the sidebar's preview, live and over HTTP", async () => {
    const { room, b, bob, alice, bobSeq, stub } = await twoAndMessages();
    const hub = await connectHub(alice.cookie);
    await untilWatching(room.id, alice.id);
    await runDurableObjectAlarm(stub);
    await hub.next("activity", (f) => f.lastMessage.text === "from bob");
    // As if the announcement gap (3 s) since that one had passed.
    await runInDurableObject(stub, (_, st) => new RoomStore(st.storage).setAnnounceState({ at: Date.now() - ANNOUNCE_GAP_MS, pending: false }));
    b.send({ type: "edit", seq: bobSeq, text: "bob, edited" });
    await b.next("edited");
    await runDurableObjectAlarm(stub);
    expect(await hub.next("activity", (f) => f.lastMessage.text === "bob, edited")).toMatchObject({ lastSeq: bobSeq, lastMessage: { seq: bobSeq } });
    const rooms = ((await (await api("/api/rooms", { cookie: alice.cookie })).json()) as RoomsResponse).rooms;
    expect(rooms.find((r) => r.id === room.id)?.lastMessage).toMatchObject({ seq: bobSeq, uid: bob.id, text: "bob, edited" });
  });

  it("of someone else's, a nonexistent, a deleted or an overlong message are refused with a code, nothing stored", async () => {
    const { room, a, bobSeq, aliceSeq, stub } = await twoAndMessages();
    expect(await errorOn(a, () => a.send({ type: "edit", seq: bobSeq, text: "mine now" }))).toBe("not_your_message");
    expect(await errorOn(a, () => a.send({ type: "edit", seq: 999, text: "x" }))).toBe("no_such_message");
    expect(await errorOn(a, () => a.send(JSON.stringify({ type: "edit", seq: aliceSeq, text: "x".repeat(4001) })))).toBe("body_too_long");
    expect(await errorOn(a, () => a.send(JSON.stringify({ type: "edit", seq: aliceSeq, text: "   " })))).toBe("invalid_frame");
    a.send({ type: "delete", seq: aliceSeq });
    await a.next("deleted");
    expect(await errorOn(a, () => a.send({ type: "edit", seq: aliceSeq, text: "back" }))).toBe("message_deleted");
    await runDurableObjectAlarm(stub);
    expect(await d1Row(room.id, bobSeq)).toMatchObject({ body: "from bob", edited_at: null });
    expect(await d1Row(room.id, aliceSeq)).toMatchObject({ body: "", edited_at: null, deleted: 1 });
  });

  it("are rate-limited like sends", async () => {
    const { a, aliceSeq } = await twoAndMessages();
    a.clear();
    for (let i = 0; i < 40; i++) a.send({ type: "edit", seq: aliceSeq, text: `v${i}`, req: `e${i}` });
    const err = await a.next("error");
    expect(err).toMatchObject({ code: "rate_limited" });
    expect(err.retryMs).toBeGreaterThan(0);
  });

  it("survive eviction before the flush, and a replayed edit batch leaves D1 as it was", async () => {
    const { room, a, b, aliceSeq, stub } = await twoAndMessages();
    a.send({ type: "edit", seq: aliceSeq, text: "one" });
    await b.next("edited");
    await runDurableObjectAlarm(stub);
    a.send({ type: "edit", seq: aliceSeq, text: "two" });
    const e = await b.next("edited", (f) => f.text === "two");
    const pending = await runInDurableObject(stub, (_, s) => new RoomStore(s.storage).editChanges(10));
    expect(pending).toMatchObject([{ seq: aliceSeq, text: "two" }]);
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    expect(await d1Row(room.id, aliceSeq)).toMatchObject({ body: "two", edited_at: e.edited });
    // The batch again (a flush that reached D1 but was not recorded), then an older edit: no change.
    await applyEdits(db(env.DB), room.id, pending);
    await applyEdits(db(env.DB), room.id, [{ seq: aliceSeq, text: "stale", ts: e.edited - 1 }]);
    expect(await d1Row(room.id, aliceSeq)).toMatchObject({ body: "two", edited_at: e.edited });
  });
});

describe("messages older than the room's log", () => {
  /** The two fixture messages, then enough of Alice's that a flush trims both out of the log. */
  async function pushedOut() {
    const people = await twoAndMessages();
    const { alice, stub } = people;
    await runInDurableObject(stub, (_, s) => {
      const store = new RoomStore(s.storage);
      for (let i = 0; i < KEEP_FLUSHED + 5; i++) store.append({ cid: `seed${i}`, uid: alice.id, name: "Alice", text: `seed ${i}` }, Date.now());
    });
    await evictDurableObject(stub);
    await runDurableObjectAlarm(stub);
    const first = await runInDurableObject(stub, (_, s) => new RoomStore(s.storage).bounds().first);
    expect(first).toBeGreaterThan(people.bobSeq + 3);
    return people;
  }

  it("can be edited by their author (not by others), live and in D1", async () => {
    const { room, a, b, alice, aliceSeq, bobSeq, stub } = await pushedOut();
    expect(await errorOn(b, () => b.send({ type: "edit", seq: aliceSeq, text: "bob's" }))).toBe("not_your_message");
    a.send({ type: "edit", seq: aliceSeq, text: "old, but fixed" });
    const e = await b.next("edited");
    expect(e).toMatchObject({ seq: aliceSeq, text: "old, but fixed" });
    // A reply to it before the flush quotes the edit.
    b.send({ type: "send", cid: "r-old", text: "re", replyTo: aliceSeq });
    expect((await heard(a, "r-old")).replyTo).toMatchObject({ seq: aliceSeq, uid: alice.id, text: "old, but fixed" });
    await runDurableObjectAlarm(stub);
    expect(await d1Row(room.id, aliceSeq)).toMatchObject({ body: "old, but fixed", edited_at: e.edited });
    expect((await history(room.id, alice.cookie, aliceSeq + 1)).map((m: Message) => m.text)).toEqual(["old, but fixed"]);
  });

  it("take reactions and deletion, and refuse a reply once deleted", async () => {
    const { room, a, b, bob, aliceSeq, bobSeq, stub } = await pushedOut();
    a.send({ type: "react", seq: bobSeq, emoji: "👍", on: true });
    expect(await b.next("reaction")).toMatchObject({ seq: bobSeq, emoji: "👍", on: true });
    expect(await errorOn(a, () => a.send({ type: "delete", seq: bobSeq }))).toBe("not_your_message");
    b.send({ type: "delete", seq: bobSeq });
    expect(await a.next("deleted")).toEqual({ type: "deleted", seq: bobSeq });
    // Deleted but not flushed yet: D1 still has the text, the room knows better.
    expect(await errorOn(a, () => a.send({ type: "send", cid: "r", text: "re", replyTo: bobSeq }))).toBe("message_deleted");
    expect(await errorOn(b, () => b.send({ type: "edit", seq: bobSeq, text: "x" }))).toBe("message_deleted");
    a.send({ type: "react", seq: aliceSeq, emoji: "🎉", on: true });
    await b.next("reaction", (f) => f.seq === aliceSeq);
    await runDurableObjectAlarm(stub);
    expect(await d1Row(room.id, bobSeq)).toMatchObject({ body: "", deleted: 1 });
    const page = await history(room.id, bob.cookie, bobSeq + 1);
    expect(page.map((m) => [m.seq, m.reactions])).toEqual([
      [aliceSeq, [{ emoji: "🎉", users: [expect.any(String)] }]],
      [bobSeq, undefined],
    ]);
    expect(await errorOn(a, () => a.send({ type: "react", seq: bobSeq, emoji: "👍", on: true }))).toBe("no_such_message");
  });
});

describe("mark as unread (POST /api/rooms/:id/read with unread)", () => {
  it("moves the read position back, never past the room's last seq, and every tab of the reader follows", async () => {
    const { room, alice, bob, aliceSeq, bobSeq } = await twoAndMessages();
    const [laptop, phone] = [await connectHub(alice.cookie), await connectHub(alice.cookie)];
    const bobsHub = await connectHub(bob.cookie);
    const sidebar = async () => ((await (await api("/api/rooms", { cookie: alice.cookie })).json()) as RoomsResponse).rooms.find((r) => r.id === room.id);
    expect((await post(`/api/rooms/${room.id}/read`, alice.cookie, { seq: bobSeq })).status).toBe(204);
    await laptop.next("read", (f) => f.seq === bobSeq);
    // A plain read never lowers it.
    await post(`/api/rooms/${room.id}/read`, alice.cookie, { seq: aliceSeq - 1 });
    expect(await sidebar()).toMatchObject({ lastRead: bobSeq });
    expect((await post(`/api/rooms/${room.id}/read`, alice.cookie, { seq: aliceSeq - 1, unread: true })).status).toBe(204);
    for (const tab of [laptop, phone]) expect(await tab.next("read", (f) => f.unread === true)).toEqual({ type: "read", roomId: room.id, seq: aliceSeq - 1, unread: true });
    // The sidebar reads from D1, which has no message yet: the badge is counted against the room's last seq once flushed.
    expect(await sidebar()).toMatchObject({ lastRead: aliceSeq - 1 });
    // Past the room's last seq: clamped.
    await post(`/api/rooms/${room.id}/read`, alice.cookie, { seq: 999, unread: true });
    expect(await laptop.next("read", (f) => f.unread === true && f.seq !== aliceSeq - 1)).toMatchObject({ seq: bobSeq });
    expect(bobsHub.frames.filter((f) => f.type === "read")).toEqual([]);
    expect((await post(`/api/rooms/${room.id}/read`, alice.cookie, { seq: 1, unread: "yes" })).status).toBe(400);
  });
});
