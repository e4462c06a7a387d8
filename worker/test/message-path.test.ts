import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { api, connect, guest, joinRoom, newRoom, sleep, heard } from "./helpers";
import { aliceAndBob, settled, twoInARoom } from "./fixtures";
import type { Message } from "../protocol";



const logRows = (stub: DurableObjectStub, where = "1") =>
  runInDurableObject(stub, (_i, state: DurableObjectState) =>
    state.storage.sql.exec<{ seq: number; cid: string; text: string; flushed: number }>(`SELECT seq, cid, text, flushed FROM log WHERE ${where} ORDER BY seq`).toArray(),
  );

const backoffOf = (stub: DurableObjectStub) =>
  runInDurableObject(stub, async (_i, state: DurableObjectState) => ({
    backoff: state.storage.kv.get<{ failures: number; retryAt: number }>("flush_backoff") ?? null,
    alarm: await state.storage.getAlarm(),
  }));

const d1Rows = async (roomId: string) =>
  (await env.DB.prepare("SELECT seq, cid, body FROM messages WHERE room_id = ? ORDER BY seq").bind(roomId).all<{ seq: number; cid: string; body: string }>()).results;

describe("the message path", () => {
  it("delivers a message to the other socket with the room's next seq, and acks the sender", async () => {
    const { a, b, alice } = await twoInARoom();
    a.send({ type: "send", cid: "c1", text: "hello bob" });
    const ack = await a.next("ack", (f) => f.cid === "c1");
    const got = await b.next("msgs");
    expect(ack.seq).toBe(1);
    expect(got.messages).toEqual([
      { seq: 1, cid: "c1", uid: alice.id, name: "Alice", text: "hello bob", ts: ack.ts },
    ]);
    a.send({ type: "send", cid: "c2", text: "again" });
    expect((await a.next("ack", (f) => f.cid === "c2")).seq).toBe(2);
    expect((await heard(b, "c2")).seq).toBe(2);
  });

  it("fans a burst from several senders out to everyone exactly once, in seq order", async () => {
    const { room, alice, bob } = await aliceAndBob();
    const carol = await guest("Carol");
    await joinRoom(room.id, carol.cookie);
    // Members for a while: a newcomer starts with a smaller burst than these 15 at once.
    await settled(room.id, alice, bob);
    const [a, b, c] = [await connect(room.id, alice.cookie), await connect(room.id, bob.cookie), await connect(room.id, carol.cookie)];
    for (let i = 0; i < 15; i++) {
      a.send({ type: "send", cid: `a${i}`, text: `a${i}` });
      b.send({ type: "send", cid: `b${i}`, text: `b${i}` });
    }
    for (const client of [a, b, c]) {
      const seqs = async () => client.frames.flatMap((f) => (f.type === "msgs" ? f.messages.map((m) => m.seq) : []));
      await client.next("msgs", (f) => f.messages.some((m) => m.seq === 30));
      expect(await seqs()).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    }
  });

  it("has the message in the room's storage when the ack arrives, and in D1 after the flush", async () => {
    const { a, room, stub } = await twoInARoom();
    a.send({ type: "send", cid: "c1", text: "durable" });
    await a.next("ack");
    expect(await logRows(stub)).toEqual([{ seq: 1, cid: "c1", text: "durable", flushed: 0 }]);
    expect(await d1Rows(room.id)).toEqual([]);

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await d1Rows(room.id)).toEqual([{ seq: 1, cid: "c1", body: "durable" }]);
    expect(await logRows(stub)).toEqual([{ seq: 1, cid: "c1", text: "durable", flushed: 1 }]);
  });

  it("retries a failed flush and never duplicates a row", async () => {
    const { a, room, stub } = await twoInARoom();
    for (const cid of ["c1", "c2", "c3"]) a.send({ type: "send", cid, text: cid });
    await a.next("ack", (f) => f.cid === "c3");

    // D1 fails: the table is missing.
    await env.DB.exec("ALTER TABLE messages RENAME TO messages_away");
    try {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(await logRows(stub, "flushed = 0")).toHaveLength(3);
      const retry = await backoffOf(stub);
      expect(retry.backoff?.failures).toBe(1);
      expect(retry.alarm).toBeGreaterThanOrEqual(retry.backoff!.retryAt);
    } finally {
      await env.DB.exec("ALTER TABLE messages_away RENAME TO messages");
    }

    // The retry (once its backoff is over) lands all three.
    await sleep(Math.max(0, (await backoffOf(stub)).backoff!.retryAt - Date.now()));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await d1Rows(room.id)).map((r) => r.seq)).toEqual([1, 2, 3]);

    // A flush that reached D1 but was not recorded in the room repeats harmlessly.
    await runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.sql.exec("UPDATE log SET flushed = 0"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await d1Rows(room.id)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(await logRows(stub, "flushed = 0")).toEqual([]);
  });

  it("trims flushed rows beyond the recent window from the room, keeping all of them in D1", async () => {
    const { a, room, stub } = await twoInARoom();
    a.send({ type: "send", cid: "first", text: "first" });
    await a.next("ack");
    await runInDurableObject(stub, (_i, state: DurableObjectState) => {
      for (let i = 2; i <= 1100; i++) {
        state.storage.sql.exec("INSERT INTO log (seq, cid, uid, name, text, ts) VALUES (?, ?, 'u', 'U', 't', 0)", i, `bulk${i}`);
      }
    });
    await runDurableObjectAlarm(stub);
    // 1,100 rows take three flush batches; none is trimmed before it reached D1.
    const kept = await runInDurableObject(stub, (_i, state: DurableObjectState) =>
      state.storage.sql.exec<{ n: number; lo: number; unflushed: number }>("SELECT count(*) AS n, min(seq) AS lo, sum(flushed = 0) AS unflushed FROM log").one(),
    );
    expect(kept).toEqual({ n: 1000, lo: 101, unflushed: 0 });
    const inD1 = await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE room_id = ?").bind(room.id).first<number>("n");
    expect(inD1).toBe(1100);
    // The next message still continues the sequence.
    a.send({ type: "send", cid: "next", text: "next" });
    expect((await a.next("ack", (f) => f.cid === "next")).seq).toBe(1101);
  });

  it("stores a duplicate cid once, re-acks it with the same seq and broadcasts it once", async () => {
    const { a, b, stub } = await twoInARoom();
    a.send({ type: "send", cid: "same", text: "once" });
    const first = await a.next("ack");
    a.clear();
    a.send({ type: "send", cid: "same", text: "once" });
    const second = await a.next("ack");
    expect(second).toEqual(first);
    // A later message proves the duplicate produced no broadcast in between.
    a.send({ type: "send", cid: "next", text: "after" });
    await b.next("msgs", (f) => f.messages.some((m) => m.cid === "next"));
    expect(b.frames.flatMap((f) => (f.type === "msgs" ? f.messages.map((m) => m.cid) : []))).toEqual(["same", "next"]);
    expect((await logRows(stub)).map((r) => r.cid)).toEqual(["same", "next"]);
  });

  it("replays exactly the missed messages to a client reconnecting with `since`", async () => {
    const { room, a, b, bob } = await twoInARoom();
    a.send({ type: "send", cid: "m1", text: "one" });
    await b.next("msgs");
    b.close();
    for (const cid of ["m2", "m3", "m4"]) a.send({ type: "send", cid, text: cid });
    await a.next("ack", (f) => f.cid === "m4");

    const again = await connect(room.id, bob.cookie, { query: "?v=1&since=1" });
    const welcome = await again.next("welcome");
    expect(welcome.messages.map((m) => m.cid)).toEqual(["m2", "m3", "m4"]);
    expect(welcome.lastSeq).toBe(4);
    expect(welcome.gap).toBe(false);

    const upToDate = await connect(room.id, bob.cookie, { query: "?since=4" });
    expect((await upToDate.next("welcome")).messages).toEqual([]);
  });

  it("tells a client that is too far behind to page over HTTP instead of replaying everything", async () => {
    const { room, a, bob, stub } = await twoInARoom();
    a.send({ type: "send", cid: "seed", text: "seed" });
    await a.next("ack");
    // 300 messages straight into the log (faster than the per-sender rate limit allows).
    await runInDurableObject(stub, (_i, state: DurableObjectState) => {
      for (let i = 2; i <= 301; i++) {
        state.storage.sql.exec("INSERT INTO log (seq, cid, uid, name, text, ts) VALUES (?, ?, 'u', 'U', 't', 0)", i, `bulk${i}`);
      }
    });
    const c = await connect(room.id, bob.cookie, { query: "?since=1" });
    const w = await c.next("welcome");
    expect(w.gap).toBe(true);
    expect(w.lastSeq).toBe(301);
    expect(w.messages.length).toBeLessThanOrEqual(100);
    expect(w.messages.at(-1)?.seq).toBe(301);
  });

  it("after eviction still knows who is connected and continues the same seq", async () => {
    const { room, a, b, stub, alice, bob } = await twoInARoom();
    a.send({ type: "send", cid: "before", text: "before" });
    expect((await a.next("ack")).seq).toBe(1);

    await evictDurableObject(stub);

    a.send({ type: "send", cid: "after", text: "after" });
    expect((await a.next("ack", (f) => f.cid === "after")).seq).toBe(2);
    expect((await heard(b, "after")).seq).toBe(2);

    const carol = await guest("Carol");
    await joinRoom(room.id, carol.cookie);
    const c = await connect(room.id, carol.cookie);
    const online = (await c.next("welcome")).online.map((p) => p.id).sort();
    expect(online).toEqual([alice.id, bob.id, carol.id].sort());
    // Ids survived in the attachments: Bob's next message is stamped with his identity.
    b.send({ type: "send", cid: "bob1", text: "still me" });
    expect(await heard(c, "bob1")).toMatchObject({ uid: bob.id, name: "Bob", seq: 3 });
  });

  it("does not show a socket whose client vanished without a close as online", async () => {
    const alice = await guest("Alice");
    const ghost = await guest("Ghost");
    const { room } = await newRoom(alice.cookie);
    await joinRoom(room.id, ghost.cookie);
    const a = await connect(room.id, alice.cookie);
    const g = await connect(room.id, ghost.cookie, { heartbeat: false });
    expect((await g.next("welcome")).online.map((p) => p.name).sort()).toEqual(["Alice", "Ghost"]);

    await sleep(3500); // > GHOST_AFTER_MS (3000 in tests); Alice heartbeats, the ghost does not

    const carol = await guest("Carol");
    await joinRoom(room.id, carol.cookie);
    const c = await connect(room.id, carol.cookie);
    expect((await c.next("welcome")).online.map((p) => p.name).sort()).toEqual(["Alice", "Carol"]);

    // The alarm's sweep closes the ghost and tells everyone (the room's own alarm
    // may have got there first on a slow machine; either way it happens once).
    await runDurableObjectAlarm(env.ROOMS.getByName(room.id));
    expect((await g.waitClosed()).code).toBe(4000);
    const p = await a.next("presence", (f) => f.left.length > 0);
    expect(p).toMatchObject({ joined: [], left: [ghost.id] });
    expect(a.frames.filter((f) => f.type === "presence" && f.left.length > 0)).toHaveLength(1);
  });

  it("broadcasts presence when a person joins and leaves, and typing to the others", async () => {
    const { a, b, alice, bob } = await twoInARoom();
    const joined = await a.next("presence");
    expect(joined).toEqual({ type: "presence", joined: [{ id: bob.id, name: "Bob" }], left: [] });
    a.send({ type: "typing", on: true });
    const t = await b.next("typing");
    expect(t).toMatchObject({ user: { id: alice.id, name: "Alice" }, on: true });
    expect(t.ttl).toBeGreaterThan(0);
    expect(a.frames.some((f) => f.type === "typing")).toBe(false);
    a.clear();
    b.close();
    const left = await a.next("presence");
    expect(left).toEqual({ type: "presence", joined: [], left: [bob.id] });
  });

  it("pages history by seq: the newest from the room, older from D1", async () => {
    const { room, a, stub, alice } = await twoInARoom();
    for (let i = 1; i <= 5; i++) a.send({ type: "send", cid: `h${i}`, text: `msg ${i}` });
    await a.next("ack", (f) => f.cid === "h5");

    // Nothing flushed yet: the newest page comes from the room's log.
    const latest = await (await api(`/api/rooms/${room.id}/messages?limit=2`, { cookie: alice.cookie })).json<{ messages: Message[]; hasMore: boolean }>();
    expect(latest.messages.map((m) => m.seq)).toEqual([4, 5]);
    expect(latest.hasMore).toBe(true);

    await runDurableObjectAlarm(stub);
    // Prove the older pages come from D1: the room's log no longer has them.
    await runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.sql.exec("DELETE FROM log WHERE seq < 4"));
    const page2 = await (await api(`/api/rooms/${room.id}/messages?before=4&limit=2`, { cookie: alice.cookie })).json<{ messages: Message[]; hasMore: boolean }>();
    expect(page2.messages.map((m) => m.text)).toEqual(["msg 2", "msg 3"]);
    expect(page2.hasMore).toBe(true);
    const page3 = await (await api(`/api/rooms/${room.id}/messages?before=2&limit=2`, { cookie: alice.cookie })).json<{ messages: Message[]; hasMore: boolean }>();
    expect(page3.messages.map((m) => m.seq)).toEqual([1]);
    expect(page3.hasMore).toBe(false);
    expect(page3.messages[0]).toMatchObject({ uid: alice.id, name: "Alice", cid: "h1" });
  });
});

const d1Count = async (roomId: string) => (await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE room_id = ?").bind(roomId).first<number>("n")) ?? 0;

describe("the message path under crashes and outages", () => {
  it("acks a resend that comes after the log was trimmed with its first seq, and stores nothing again", async () => {
    const { a, b, room, stub } = await twoInARoom();
    a.send({ type: "send", cid: "lost-ack", text: "stored once" });
    const first = await a.next("ack");
    await heard(b, "lost-ack");
    // 1,100 messages later (straight into the log), the room keeps only the last 1,000 rows.
    await runInDurableObject(stub, (_i, state: DurableObjectState) => {
      for (let i = 2; i <= 1101; i++) state.storage.sql.exec("INSERT INTO log (seq, cid, uid, name, text, ts) VALUES (?, ?, 'u', 'U', 't', 0)", i, `bulk${i}`);
    });
    await runDurableObjectAlarm(stub);
    expect((await logRows(stub, "cid = 'lost-ack'")).length).toBe(0);

    a.clear();
    b.clear();
    a.send({ type: "send", cid: "lost-ack", text: "stored once" });
    const again = await a.next("ack");
    expect(again).toEqual({ type: "ack", cid: "lost-ack", seq: first.seq, ts: first.ts });
    a.send({ type: "send", cid: "after", text: "after" });
    expect((await a.next("ack", (f) => f.cid === "after")).seq).toBe(1102);
    await b.next("msgs", (f) => f.messages.some((m) => m.cid === "after"));
    expect(b.frames.filter((f) => f.type === "msgs").flatMap((f) => f.messages.map((m) => m.cid))).toEqual(["after"]);
    await runDurableObjectAlarm(stub);
    expect(await d1Count(room.id)).toBe(1102);
  });

  it("catches a resend whose first copy left the dedupe index at the flush: D1 keeps no hole and everyone drops the copy", async () => {
    const { a, b, room, stub, alice } = await twoInARoom();
    a.send({ type: "send", cid: "late", text: "hello" });
    expect((await a.next("ack")).seq).toBe(1);
    await runDurableObjectAlarm(stub);
    // Long ago: the log and the (sender, cid) index have both let it go.
    await runInDurableObject(stub, (_i, state: DurableObjectState) => {
      state.storage.sql.exec("DELETE FROM log");
      state.storage.sql.exec("DELETE FROM sent");
    });
    a.clear();
    a.send({ type: "send", cid: "late", text: "hello" });
    const copy = await a.next("ack");
    expect(copy.seq).toBe(2);
    await b.next("msgs", (f) => f.messages.some((m) => m.seq === 2));

    await runDurableObjectAlarm(stub);
    // D1 refused the copy (it has that cid at seq 1): the room turned it into a tombstone that D1 took.
    expect((await b.next("deleted", (f) => f.seq === 2)).seq).toBe(2);
    const rows = (
      await env.DB.prepare("SELECT seq, cid, body, deleted FROM messages WHERE room_id = ? ORDER BY seq").bind(room.id).all<{ seq: number; cid: string; body: string; deleted: number }>()
    ).results;
    expect(rows).toEqual([
      { seq: 1, cid: "late", body: "hello", deleted: 0 },
      { seq: 2, cid: "dup:2", body: "", deleted: 1 },
    ]);
    expect(await logRows(stub)).toEqual([{ seq: 2, cid: "dup:2", text: "", flushed: 1 }]);
    // A further resend is acked with the original's seq.
    a.clear();
    a.send({ type: "send", cid: "late", text: "hello" });
    expect((await a.next("ack")).seq).toBe(1);
    const page = await (await api(`/api/rooms/${room.id}/messages`, { cookie: alice.cookie })).json<{ messages: Message[] }>();
    expect(page.messages.map((m) => [m.seq, m.deleted ?? false])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it("keeps its flush backoff while D1 is failing, whatever new messages arrive", async () => {
    const { a, room, stub } = await twoInARoom();
    a.send({ type: "send", cid: "m0", text: "m0" });
    await a.next("ack");
    await env.DB.exec("ALTER TABLE messages RENAME TO messages_away");
    try {
      // Three failures already: the fourth backs off 4–8 s.
      await runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.kv.put("flush_backoff", { failures: 3, retryAt: 0 }));
      await runDurableObjectAlarm(stub);
      const failed = (await backoffOf(stub)).backoff!;
      expect(failed.failures).toBe(4);
      expect(failed.retryAt - Date.now()).toBeGreaterThan(3000);

      for (const cid of ["m1", "m2", "m3"]) a.send({ type: "send", cid, text: cid });
      await a.next("ack", (f) => f.cid === "m3");
      // The alarm firing early (for the ghost sweep, say) does not retry before its time.
      await runDurableObjectAlarm(stub);
      expect((await backoffOf(stub)).backoff).toEqual(failed);
    } finally {
      await env.DB.exec("ALTER TABLE messages_away RENAME TO messages");
    }
    await sleep(Math.max(0, (await backoffOf(stub)).backoff!.retryAt - Date.now()));
    await runDurableObjectAlarm(stub);
    expect(await d1Count(room.id)).toBe(4);
    expect((await backoffOf(stub)).backoff).toBeNull();
  });

  it("answers an unexpected failure with an `internal` error naming the message, and the socket goes on", async () => {
    const { a, b, stub } = await twoInARoom();
    await runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.sql.exec("ALTER TABLE log RENAME TO log_away"));
    try {
      a.send({ type: "send", cid: "boom", text: "will fail" });
      expect(await a.next("error")).toMatchObject({ code: "internal", cid: "boom" });
    } finally {
      await runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.sql.exec("ALTER TABLE log_away RENAME TO log"));
    }
    expect(a.closed).toBeNull();
    a.send({ type: "send", cid: "boom", text: "will fail" });
    expect((await a.next("ack")).seq).toBe(1);
    expect((await b.next("msgs")).messages.map((m) => m.cid)).toEqual(["boom"]);
  });
});
