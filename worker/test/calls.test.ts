import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { api, connect, guest, joinRoom, newRoom, sleep, type Client, account, connectHub, startDm, type Person } from "./helpers";
import { dm, groupOf } from "./fixtures";
import { CALL_MAX_PARTICIPANTS, PEER_GONE_MS, QUIET_CANCEL_MS, type CallState, type Message } from "../protocol";
import { formatDuration, type StoredCall } from "../room/call";




/** The next `call` frame with a running call matching `pred`. */
const callState = (c: Client, pred: (s: CallState) => boolean = () => true) =>
  c.next("call", (f) => f.call !== null && pred(f.call)).then((f) => f.call!);

const callGone = (c: Client) => c.next("call", (f) => f.call === null);

/** Alice starts a call; resolves when it rings `ringing` (user ids). */
async function ring(a: Client, others: Client[], media: "audio" | "video" = "video") {
  a.send({ type: "call.start", media });
  const s = await callState(a);
  for (const o of others) await callState(o, (x) => x.id === s.id);
  return s;
}

const historyMsg = (c: Client, callId: string) =>
  c.next("msgs", (f) => f.messages.some((m) => m.cid === `call:${callId}`)).then((f) => f.messages.find((m) => m.cid === `call:${callId}`)!);

const errorCode = (c: Client, code: string) => c.next("error", (f) => f.code === code);

/** Changes the stored call (moving a deadline into the past), as time passing would. */
const editCall = (stub: DurableObjectStub, edit: (c: StoredCall) => void) =>
  runInDurableObject(stub, (_i, state: DurableObjectState) => {
    const c = state.storage.kv.get<StoredCall>("call")!;
    edit(c);
    state.storage.kv.put("call", c);
  });

/** The running call started `ms` earlier than it did, as if it had been ringing that long. */
const rangFor = (stub: DurableObjectStub, ms: number) => editCall(stub, (c) => void (c.startedAt -= ms));

const storedCall = (stub: DurableObjectStub) =>
  runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.kv.get<StoredCall>("call") ?? null);

describe("calls: ringing and answering", () => {
  it("rings the other online members; accept makes both participants", async () => {
    const { people, sockets } = await groupOf("Bob");
    const [alice, bob] = people as [Person, Person];
    const [a, b] = sockets as [Client, Client];
    const s = await ring(a, [b]);
    expect(s).toMatchObject({ media: "video", caller: { id: alice.id, name: "Alice" }, answeredAt: null, ringing: [bob.id] });
    expect(s.participants.map((p) => [p.id, p.audio, p.video, p.screen, p.goneSince])).toEqual([[alice.id, true, true, false, null]]);

    b.send({ type: "call.accept", callId: s.id });
    for (const c of [a, b]) {
      const now = await callState(c, (x) => x.participants.length === 2);
      expect(now.participants.map((p) => p.id)).toEqual([alice.id, bob.id]);
      expect(now.ringing).toEqual([]);
      expect(now.answeredAt).toBeGreaterThanOrEqual(s.startedAt);
    }
  });

  it("sends a running call in and right after welcome to a socket that connects, and null once it is over", async () => {
    const { room, people, sockets } = await groupOf("Bob");
    const s = await ring(sockets[0]!, [sockets[1]!]);
    const late = await connect(room.id, people[1]!.cookie);
    const i = late.frames.findIndex((f) => f.type === "welcome");
    expect(late.frames[i]).toMatchObject({ type: "welcome", call: { id: s.id } });
    expect(late.frames[i + 1] ?? (await late.next("call"))).toMatchObject({ type: "call", call: { id: s.id } });
    // Once it is over, a welcome says so (a client that was away drops it).
    sockets[0]!.send({ type: "call.hangup", callId: s.id });
    await callGone(sockets[0]!);
    const after = await connect(room.id, people[1]!.cookie);
    expect(await after.next("welcome")).toMatchObject({ call: null });
  });

  it("refuses a second call while one runs (call_exists), and accepts only from those it rings", async () => {
    const { sockets, people, room, stub } = await groupOf("Bob");
    const [a, b] = sockets as [Client, Client];
    const s = await ring(a, [b]);
    b.send({ type: "call.start", media: "audio" });
    expect((await errorCode(b, "call_exists")).message).toMatch(/join/);
    a.send({ type: "call.accept", callId: s.id }); // the caller is not rung
    await errorCode(a, "not_ringing");
    b.send({ type: "call.accept", callId: "nope" });
    await errorCode(b, "no_such_call");
    // Bob accepts in one tab; his second tab can no longer accept (not ringing) and is not in the call.
    const b2 = await connect(room.id, people[1]!.cookie);
    b.send({ type: "call.accept", callId: s.id });
    await callState(b2, (x) => x.participants.length === 2);
    b2.send({ type: "call.accept", callId: s.id });
    await errorCode(b2, "not_ringing");
    b2.send({ type: "call.decline", callId: s.id });
    await b2.next("error", () => errors(b2, "not_ringing") === 2);
    b2.send({ type: "call.hangup", callId: s.id });
    await errorCode(b2, "not_in_call");
    b2.send({ type: "call.media", callId: s.id, audio: false, video: false, screen: false });
    await b2.next("error", () => errors(b2, "not_in_call") === 2);
    const still = (await storedCall(stub))!;
    expect(still.participants.map((p) => p.id)).toEqual([people[0]!.id, people[1]!.id]);
    expect(still.participants.every((p) => p.audio)).toBe(true);
    expect(a.frames.some((f) => f.type === "call.ended")).toBe(false);
  });

  it("with no other member in the room: nobody_to_call, and a missed call in the history", async () => {
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie);
    const a = await connect(room.id, alice.cookie);
    a.send({ type: "call.start", media: "audio" });
    await errorCode(a, "nobody_to_call");
    const ended = await a.next("call.ended");
    expect(ended.outcome).toBe("missed");
    const m = await historyMsg(a, ended.callId);
    expect(m).toMatchObject({ uid: alice.id, name: "Alice", text: "Missed audio call from Alice", call: { outcome: "missed", durationMs: 0, media: "audio" } });
    expect(await storedCall(env.ROOMS.getByName(room.id))).toBeNull();
  });
});

const errors = (c: Client, code: string) => c.frames.filter((f) => f.type === "error" && f.code === code).length;

describe("calls: how they end", () => {
  it("DM: a decline ends it `declined` by the callee, with one history message", async () => {
    const { a, b, bob, alice } = await dm();
    const s = await ring(a, [b]);
    b.send({ type: "call.decline", callId: s.id });
    for (const c of [a, b]) {
      expect(await c.next("call.ended")).toEqual({ type: "call.ended", callId: s.id, outcome: "declined", by: { id: bob.id, name: "Bob" } });
      await callGone(c);
    }
    const m = await historyMsg(b, s.id);
    expect(m).toMatchObject({ uid: alice.id, name: "Alice", cid: `call:${s.id}`, text: "Declined video call" });
    expect(m.call).toEqual({ id: s.id, media: "video", outcome: "declined", durationMs: 0 });
  });

  it("busy: ends `busy` by the callee", async () => {
    const { a, b, bob } = await dm();
    const s = await ring(a, [b], "audio");
    b.send({ type: "call.busy", callId: s.id });
    expect(await a.next("call.ended")).toMatchObject({ outcome: "busy", by: { id: bob.id } });
    expect((await historyMsg(a, s.id)).text).toBe("Busy");
  });

  it("cancel: the caller hangs up before an answer", async () => {
    const { a, b, stub } = await dm();
    const s = await ring(a, [b], "audio");
    await rangFor(stub, QUIET_CANCEL_MS);
    a.send({ type: "call.hangup", callId: s.id });
    expect(await b.next("call.ended")).toEqual({ type: "call.ended", callId: s.id, outcome: "cancelled" });
    await a.next("call.ended");
    await callGone(b);
    expect((await historyMsg(b, s.id)).text).toBe("Cancelled audio call");
  });

  it("group: ends declined only when everyone it rang declined and nobody answered", async () => {
    const { sockets, people } = await groupOf("Bob", "Carol");
    const [a, b, c] = sockets as [Client, Client, Client];
    const s = await ring(a, [b, c], "audio");
    expect([...s.ringing].sort()).toEqual([people[1]!.id, people[2]!.id].sort());
    b.send({ type: "call.decline", callId: s.id });
    expect((await callState(a, (x) => x.ringing.length === 1)).ringing).toEqual([people[2]!.id]);
    expect(a.frames.some((f) => f.type === "call.ended")).toBe(false);
    c.send({ type: "call.decline", callId: s.id });
    expect(await a.next("call.ended")).toMatchObject({ outcome: "declined", by: { id: people[2]!.id } });
    expect((await historyMsg(a, s.id)).text).toBe("Declined audio call");
  });

  it("ring timeout: missed (by the alarm), with 'Missed … call from Alice'", async () => {
    const { a, b, stub } = await dm();
    const s = await ring(a, [b], "audio");
    const stored = (await storedCall(stub))!;
    expect(stored.ringUntil).toBe(s.startedAt + 30_000);
    const alarm = await runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    await editCall(stub, (c) => void (c.ringUntil = Date.now() - 1));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    for (const c of [a, b]) expect(await c.next("call.ended")).toEqual({ type: "call.ended", callId: s.id, outcome: "missed" });
    await callGone(b);
    const m = await historyMsg(b, s.id);
    expect(m.text).toBe("Missed audio call from Alice");
    expect(m.call).toEqual({ id: s.id, media: "audio", outcome: "missed", durationMs: 0 });
    expect(await storedCall(stub)).toBeNull();
  });

  it("group: after an answer the ring timeout only stops ringing the rest", async () => {
    const { sockets, stub } = await groupOf("Bob", "Carol");
    const [a, b, c] = sockets as [Client, Client, Client];
    const s = await ring(a, [b, c]);
    b.send({ type: "call.accept", callId: s.id });
    await callState(a, (x) => x.participants.length === 2);
    await editCall(stub, (x) => void (x.ringUntil = Date.now() - 1));
    await runDurableObjectAlarm(stub);
    const now = await callState(c, (x) => x.ringing.length === 0);
    expect(now.participants).toHaveLength(2);
    expect(c.frames.some((f) => f.type === "call.ended")).toBe(false);
  });

  it("hangup after an answer: completed with its duration; one history message, flushed to D1 with the summary", async () => {
    const { a, b, stub, roomId, alice } = await dm();
    const s = await ring(a, [b]);
    b.send({ type: "call.accept", callId: s.id });
    await callState(a, (x) => x.participants.length === 2);
    // The call has been going for 3:12.
    await editCall(stub, (c) => void (c.answeredAt = Date.now() - 192_000));
    b.send({ type: "call.hangup", callId: s.id });
    for (const c of [a, b]) expect(await c.next("call.ended")).toEqual({ type: "call.ended", callId: s.id, outcome: "completed" });
    await callGone(a);
    const m = await historyMsg(a, s.id);
    expect(m.text).toBe("Video call · 3:12");
    expect(m.call).toMatchObject({ id: s.id, media: "video", outcome: "completed" });
    expect(Math.round(m.call!.durationMs / 1000)).toBe(192);
    // Hanging up again changes nothing and writes nothing.
    a.send({ type: "call.hangup", callId: s.id });
    await errorCode(a, "no_such_call");

    await runDurableObjectAlarm(stub);
    const rows = (await env.DB.prepare("SELECT seq, cid, user_id, body, call FROM messages WHERE room_id = ?").bind(roomId).all<{ seq: number; cid: string; user_id: string; body: string; call: string }>()).results;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ seq: m.seq, cid: `call:${s.id}`, user_id: alice.id, body: "Video call · 3:12" });
    expect(JSON.parse(rows[0]!.call)).toEqual(m.call);
    // History from D1 carries the summary (the room's log no longer has the row).
    await runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.sql.exec("DELETE FROM log"));
    const page = await (await api(`/api/rooms/${roomId}/messages?before=${m.seq + 1}`, { cookie: alice.cookie })).json<{ messages: Message[] }>();
    expect(page.messages).toEqual([m]);
  });

  it("a room made before calls (and before its schema was versioned) gets the call column on its next start, and keeps its messages", async () => {
    const { a, b, stub, roomId, alice } = await dm();
    a.send({ type: "send", cid: "old", text: "from before calls" });
    await a.next("ack");
    // The log as it was before calls: no `call` column (constraints aside).
    await runInDurableObject(stub, (_i, state: DurableObjectState) => {
      const sql = state.storage.sql;
      sql.exec("CREATE TABLE log_old AS SELECT seq, cid, uid, name, text, ts, flushed FROM log");
      sql.exec("DROP TABLE log");
      sql.exec("ALTER TABLE log_old RENAME TO log");
      // Such rooms stored no schema version.
      state.storage.kv.delete("schema_version");
    });
    await evictDurableObject(stub);
    const cols = await runInDurableObject(stub, (_i, state: DurableObjectState) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('log')").toArray().map((c) => c.name),
    );
    expect(cols).toContain("call");
    const a2 = await connect(roomId, alice.cookie, { query: "?since=0" });
    expect((await a2.next("welcome")).messages).toMatchObject([{ cid: "old", text: "from before calls" }]);
    expect((await a2.next("welcome")).messages[0]!.call).toBeUndefined();
    const s = await ring(a2, [b], "audio"); // Bob's socket stayed open through the eviction
    await rangFor(stub, QUIET_CANCEL_MS);
    a2.send({ type: "call.hangup", callId: s.id });
    expect((await historyMsg(b, s.id)).call).toEqual({ id: s.id, media: "audio", outcome: "cancelled", durationMs: 0 });
  });

  it("history from the room's log carries the summary too, and ordinary messages have none", async () => {
    const { a, b, roomId, alice, stub } = await dm();
    a.send({ type: "send", cid: "hi", text: "hi" });
    await a.next("ack");
    const s = await ring(a, [b]);
    await rangFor(stub, QUIET_CANCEL_MS);
    a.send({ type: "call.hangup", callId: s.id });
    const m = await historyMsg(a, s.id);
    const page = await (await api(`/api/rooms/${roomId}/messages`, { cookie: alice.cookie })).json<{ messages: Message[] }>();
    expect(page.messages.map((x) => x.call ?? null)).toEqual([null, m.call]);
    const w = await (await connect(roomId, alice.cookie, { query: "?since=0" })).next("welcome");
    expect(w.messages.at(-1)).toEqual(m);
  });
});

describe("calls: groups", () => {
  it(`holds at most ${CALL_MAX_PARTICIPANTS}: a latecomer joins, the fifth gets call_full`, async () => {
    const { sockets, people, room } = await groupOf("Bob", "Carol", "Dave", "Erin");
    const [a, b, c, d, e] = sockets as [Client, Client, Client, Client, Client];
    const s = await ring(a, [b, c, d, e]);
    b.send({ type: "call.accept", callId: s.id });
    c.send({ type: "call.join", callId: s.id }); // join works for a rung person as accept
    await callState(a, (x) => x.participants.length === 3);
    // Someone who was not rung (came online later) joins from the room header.
    const frank = await guest("Frank");
    await joinRoom(room.id, frank.cookie);
    const f = await connect(room.id, frank.cookie);
    expect((await callState(f)).ringing).not.toContain(frank.id);
    f.send({ type: "call.join", callId: s.id });
    const full = await callState(a, (x) => x.participants.length === 4);
    expect(full.participants.map((p) => p.name)).toEqual(["Alice", "Bob", "Carol", "Frank"]);
    d.send({ type: "call.accept", callId: s.id });
    await errorCode(d, "call_full");
    e.send({ type: "call.join", callId: s.id });
    await errorCode(e, "call_full");
    expect(((await storedCall(env.ROOMS.getByName(room.id)))!).participants).toHaveLength(4);
    // One leaves: the call goes on with three; media changes are broadcast.
    b.send({ type: "call.hangup", callId: s.id });
    await callState(e, (x) => x.participants.length === 3);
    c.send({ type: "call.media", callId: s.id, audio: false, video: true, screen: true });
    const m = await callState(e, (x) => x.participants.some((p) => p.id === people[2]!.id && p.screen));
    expect(m.participants.find((p) => p.id === people[2]!.id)).toMatchObject({ audio: false, video: true, screen: true });
    expect(a.frames.some((x) => x.type === "call.ended")).toBe(false);
  });
});

describe("calls: signaling relay", () => {
  it("relays rtc only to the addressed participant's connection; a non-participant's rtc is refused and reaches nobody", async () => {
    const { sockets, people, room } = await groupOf("Bob", "Carol");
    const [alice, bob, carol] = people as [Person, Person, Person];
    const [a, b, c] = sockets as [Client, Client, Client];
    const s = await ring(a, [b, c]);
    b.send({ type: "call.accept", callId: s.id });
    await callState(a, (x) => x.participants.length === 2);
    const b2 = await connect(room.id, bob.cookie); // Bob's second tab: not in the call
    await callState(b2);

    const offer = { type: "offer" as const, sdp: "v=0 offer-from-alice" };
    a.send({ type: "rtc", callId: s.id, to: bob.id, description: offer });
    expect(await b.next("rtc")).toEqual({ type: "rtc", callId: s.id, from: alice.id, description: offer });
    const cand = { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0 };
    b.send({ type: "rtc", callId: s.id, to: alice.id, candidate: cand });
    expect(await a.next("rtc")).toEqual({ type: "rtc", callId: s.id, from: bob.id, candidate: cand });
    b.send({ type: "rtc", callId: s.id, to: alice.id, candidate: null });
    expect(await a.next("rtc", (f) => f.candidate === null)).toMatchObject({ from: bob.id, candidate: null });

    // Carol (rung, not in the call) and Bob's second tab are refused; nothing is relayed.
    c.send({ type: "rtc", callId: s.id, to: alice.id, description: { type: "offer", sdp: "carol" } });
    await errorCode(c, "not_in_call");
    b2.send({ type: "rtc", callId: s.id, to: alice.id, description: { type: "offer", sdp: "tab2" } });
    await errorCode(b2, "not_in_call");
    // …and nobody can address a non-participant (or themselves).
    a.send({ type: "rtc", callId: s.id, to: carol.id, description: { type: "offer", sdp: "to-carol" } });
    await errorCode(a, "not_in_call");
    a.send({ type: "rtc", callId: s.id, to: alice.id, description: { type: "offer", sdp: "to-me" } });
    expect(a.frames.filter((f) => f.type === "error" && f.code === "not_in_call").length).toBeLessThanOrEqual(2);
    a.send({ type: "rtc", callId: "other", to: bob.id, description: { type: "offer", sdp: "x" } });
    await errorCode(a, "no_such_call");
    // A marker after the refused frames proves they produced nothing.
    a.send({ type: "rtc", callId: s.id, to: bob.id, description: { type: "answer", sdp: "marker" } });
    await b.next("rtc", (f) => f.description?.sdp === "marker");
    await sleep(50);
    expect(b.frames.filter((f) => f.type === "rtc").map((f) => f.description?.sdp ?? "cand")).toEqual(["v=0 offer-from-alice", "marker"]);
    expect(a.frames.filter((f) => f.type === "rtc").every((f) => f.from === bob.id)).toBe(true);
    for (const x of [b2, c]) expect(x.frames.some((f) => f.type === "rtc")).toBe(false);
    // SDP never travels in a broadcast.
    expect(c.raw.some((r) => r.includes("offer-from-alice") || r.includes("marker"))).toBe(false);
  });
});

describe("calls: hibernation, eviction and dropped connections", () => {
  it("the call survives eviction: state, relay and hangup still work", async () => {
    const { a, b, stub, alice, bob, roomId } = await dm();
    const s = await ring(a, [b]);
    b.send({ type: "call.accept", callId: s.id });
    const answered = await callState(a, (x) => x.participants.length === 2);

    await evictDurableObject(stub);

    const a2 = await connect(roomId, alice.cookie);
    expect(await callState(a2)).toEqual(answered);
    a.send({ type: "rtc", callId: s.id, to: bob.id, description: { type: "offer", sdp: "after-eviction" } });
    expect(await b.next("rtc")).toMatchObject({ from: alice.id, description: { sdp: "after-eviction" } });
    b.send({ type: "call.hangup", callId: s.id });
    expect(await a.next("call.ended")).toMatchObject({ callId: s.id, outcome: "completed" });
    expect(a2.frames.some((f) => f.type === "call.ended")).toBe(false); // Alice's other tab was not in it
    await callGone(a2);
  });

  it("a participant whose socket closes is gone; not back within PEER_GONE_MS, the alarm removes them and the call ends", async () => {
    const { a, b, stub, bob } = await dm();
    const s = await ring(a, [b]);
    b.send({ type: "call.accept", callId: s.id });
    await callState(a, (x) => x.participants.length === 2);
    b.close();
    const gone = await callState(a, (x) => x.participants.some((p) => p.goneSince !== null));
    const since = gone.participants.find((p) => p.id === bob.id)!.goneSince!;
    // The alarm is due when Bob's grace ends (or earlier, for the ghost sweep).
    const alarm = await runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.getAlarm());
    expect(alarm).toBeLessThanOrEqual(since + PEER_GONE_MS);
    // Not yet: an alarm run inside the grace period removes nobody.
    await runDurableObjectAlarm(stub);
    expect((await storedCall(stub))!.participants).toHaveLength(2);
    await editCall(stub, (c) => void (c.participants.find((p) => p.id === bob.id)!.goneSince = Date.now() - PEER_GONE_MS));
    await runDurableObjectAlarm(stub);
    expect(await a.next("call.ended")).toEqual({ type: "call.ended", callId: s.id, outcome: "completed" });
    await callGone(a);
    expect((await historyMsg(a, s.id)).call?.outcome).toBe("completed");
  });

  it("a caller who drops while it rings and does not come back: cancelled for those it rang", async () => {
    const { a, b, stub, alice } = await dm();
    const s = await ring(a, [b], "audio");
    a.close();
    await callState(b, (x) => x.participants[0]!.goneSince !== null);
    await rangFor(stub, PEER_GONE_MS);
    await editCall(stub, (c) => void (c.participants.find((p) => p.id === alice.id)!.goneSince = Date.now() - PEER_GONE_MS));
    await runDurableObjectAlarm(stub);
    expect(await b.next("call.ended")).toEqual({ type: "call.ended", callId: s.id, outcome: "cancelled" });
    expect((await historyMsg(b, s.id)).text).toBe("Cancelled audio call");
  });

  it("a member removed from the room is out of the call at once (and no longer rung)", async () => {
    const { sockets, people, room, stub } = await groupOf("Bob", "Carol", "Dave");
    const [a, b, c, d] = sockets as [Client, Client, Client, Client];
    const [alice, bob, carol, dave] = people as [Person, Person, Person, Person];
    const s = await ring(a, [b, c, d]);
    b.send({ type: "call.accept", callId: s.id });
    c.send({ type: "call.accept", callId: s.id });
    await callState(a, (x) => x.participants.length === 3);
    const remove = (who: Person) => api(`/api/rooms/${room.id}/members/${who.id}`, { method: "DELETE", cookie: alice.cookie });
    expect((await remove(dave)).status).toBe(204);
    expect((await callState(a, (x) => x.ringing.length === 0)).participants).toHaveLength(3);
    expect((await remove(carol)).status).toBe(204);
    expect((await callState(a, (x) => x.participants.length === 2)).participants.map((p) => p.id)).toEqual([alice.id, bob.id]);
    expect((await remove(bob)).status).toBe(204);
    expect(await a.next("call.ended")).toEqual({ type: "call.ended", callId: s.id, outcome: "completed" });
    expect(await storedCall(stub)).toBeNull();
  });

  it("a participant who comes back on a new socket and joins takes their place again", async () => {
    const { a, b, bob, roomId } = await dm();
    const s = await ring(a, [b]);
    b.send({ type: "call.accept", callId: s.id });
    await callState(a, (x) => x.participants.length === 2);
    b.close();
    await callState(a, (x) => x.participants.some((p) => p.goneSince !== null));
    const back = await connect(roomId, bob.cookie);
    const seen = await callState(back);
    expect(seen.participants.find((p) => p.id === bob.id)?.goneSince).not.toBeNull();
    back.send({ type: "call.join", callId: s.id });
    const again = await callState(a, (x) => x.participants.length === 2 && x.participants.every((p) => p.goneSince === null));
    expect(again.participants.find((p) => p.id === bob.id)!.joinedAt).toBeGreaterThan(seen.participants.find((p) => p.id === bob.id)!.joinedAt - 1);
    a.send({ type: "rtc", callId: s.id, to: bob.id, description: { type: "offer", sdp: "renegotiate" } });
    expect(await back.next("rtc")).toMatchObject({ description: { sdp: "renegotiate" } });
  });

  it("a newer connection of a participant that is still open takes over; the old one gets call.ended and is refused after", async () => {
    const { a, b, bob, alice, roomId } = await dm();
    const s = await ring(a, [b]);
    b.send({ type: "call.accept", callId: s.id });
    await callState(a, (x) => x.participants.length === 2);
    const b2 = await connect(roomId, bob.cookie);
    b2.send({ type: "call.join", callId: s.id });
    expect(await b.next("call.ended")).toEqual({ type: "call.ended", callId: s.id, outcome: "completed" });
    expect(a.frames.some((f) => f.type === "call.ended") || b2.frames.some((f) => f.type === "call.ended")).toBe(false);
    b.send({ type: "rtc", callId: s.id, to: alice.id, candidate: null });
    await errorCode(b, "not_in_call");
    a.send({ type: "rtc", callId: s.id, to: bob.id, candidate: null });
    await b2.next("rtc");
    expect(b.frames.some((f) => f.type === "rtc")).toBe(false);
  });
});

describe("calls: frames that make no sense", () => {
  it("are answered with an error and change nothing", async () => {
    const { a, b, stub } = await dm();
    a.send({ type: "call.join", callId: "none" });
    await errorCode(a, "no_such_call");
    a.send({ type: "call.media", callId: "none", audio: true, video: true, screen: false });
    await a.next("error", () => errors(a, "no_such_call") === 2);
    a.send(JSON.stringify({ type: "call.start", media: "hologram" }));
    await errorCode(a, "invalid_frame");
    a.send(JSON.stringify({ type: "rtc", callId: "x", to: "y", description: { type: "offer", sdp: "x".repeat(12_001) } }));
    await a.next("error", () => errors(a, "invalid_frame") === 2);
    expect(await storedCall(stub)).toBeNull();
    expect(b.frames.some((f) => f.type === "call" || f.type === "rtc")).toBe(false);
    expect(a.closed).toBeNull();
  });

  it("an error or an alarm that changes nothing broadcasts nothing and writes nothing", async () => {
    const { sockets, stub, room, people } = await groupOf("Bob", "Carol");
    const [a, b, c] = sockets as [Client, Client, Client];
    const s = await ring(a, [b, c]);
    b.send({ type: "call.accept", callId: s.id });
    await callState(c, (x) => x.participants.length === 2);
    const stored = await storedCall(stub);
    for (const x of [a, b, c]) x.clear();
    c.send({ type: "call.accept", callId: "nope" });
    await errorCode(c, "no_such_call");
    a.send({ type: "call.join", callId: s.id }); // already in it on this connection
    b.send({ type: "call.media", callId: s.id, audio: true, video: true, screen: false }); // as it was
    await runDurableObjectAlarm(stub); // ringing Carol until ringUntil: nothing due yet
    const late = await connect(room.id, people[2]!.cookie); // a socket that is not in the call
    late.close();
    a.send({ type: "typing", on: true }); // a marker: frames are handled in order
    await b.next("typing");
    await c.next("typing");
    expect([a, b, c].flatMap((x) => x.frames.filter((f) => f.type === "call"))).toEqual([]);
    expect(await storedCall(stub)).toEqual(stored);
  });

  it("durations read as m:ss, or h:mm:ss from an hour", () => {
    expect([0, 5_000, 192_000, 3_599_000, 3_723_000].map(formatDuration)).toEqual(["0:00", "0:05", "3:12", "59:59", "1:02:03"]);
  });
});

describe("calls: ringing members who do not have the room open (their hub)", () => {
  /** Alice and Bob in their DM: Alice has it open, Bob only his hub (another conversation open). */
  async function dmBobAway() {
    const [alice, bob, carol] = [await account("Alice"), await account("Bob"), await account("Carol")];
    const { body } = await startDm(alice.cookie, bob.username);
    const roomId = body.room.id;
    const bobsHub = await connectHub(bob.cookie);
    const carolsHub = await connectHub(carol.cookie);
    const a = await connect(roomId, alice.cookie);
    return { roomId, alice, bob, a, bobsHub, carolsHub, stub: env.ROOMS.getByName(roomId) };
  }

  it("rings a member online only on their hub (call.ring), and a cancel ends it there (call.ring_ended); a non-member's hub gets nothing", async () => {
    const { roomId, alice, bob, a, bobsHub, carolsHub } = await dmBobAway();
    a.send({ type: "call.start", media: "video" });
    const s = await callState(a);
    expect(s.ringing).toEqual([bob.id]); // every other member is rung, online in the room or not
    const ring = await bobsHub.next("call.ring");
    expect(ring).toEqual({ type: "call.ring", roomId, callId: s.id, media: "video", caller: { id: alice.id, name: "Alice" } });
    a.send({ type: "call.hangup", callId: s.id });
    expect((await a.next("call.ended")).outcome).toBe("cancelled");
    expect(await bobsHub.next("call.ring_ended")).toEqual({ type: "call.ring_ended", roomId, callId: s.id });
    await sleep(50);
    expect(carolsHub.frames.filter((f) => f.type.startsWith("call."))).toEqual([]);
  });

  it("rings the other person of a new DM, not yet in their list (no message), whose app was open before it was made", async () => {
    const [alice, bob] = [await account("Alice"), await account("Bob")];
    const bobsHub = await connectHub(bob.cookie); // watching his rooms as they were: not this DM
    const { body } = await startDm(alice.cookie, bob.username);
    const roomId = body.room.id;
    const a = await connect(roomId, alice.cookie);
    a.send({ type: "call.start", media: "video" });
    const s = await callState(a);
    expect(await bobsHub.next("call.ring", (f) => f.callId === s.id)).toMatchObject({ roomId, caller: { id: alice.id } });
    a.send({ type: "call.hangup", callId: s.id });
    expect(await bobsHub.next("call.ring_ended")).toEqual({ type: "call.ring_ended", roomId, callId: s.id });
  });

  it("the rung member opens the room within the ring and accepts: both in the call, the hub's ring ends", async () => {
    const { roomId, alice, bob, a, bobsHub } = await dmBobAway();
    a.send({ type: "call.start", media: "audio" });
    const s = await callState(a);
    await bobsHub.next("call.ring", (f) => f.callId === s.id);
    const b = await connect(roomId, bob.cookie);
    expect((await callState(b)).ringing).toEqual([bob.id]);
    b.send({ type: "call.accept", callId: s.id });
    const now = await callState(a, (x) => x.participants.length === 2);
    expect(now.participants.map((p) => p.id)).toEqual([alice.id, bob.id]);
    expect(await bobsHub.next("call.ring_ended")).toEqual({ type: "call.ring_ended", roomId, callId: s.id });
    expect(bobsHub.frames.filter((f) => f.type === "call.ring")).toHaveLength(1);
  });

  it("call.join from a socket that connects within the ring answers too", async () => {
    const { roomId, bob, a, bobsHub } = await dmBobAway();
    a.send({ type: "call.start", media: "video" });
    const s = await callState(a);
    await bobsHub.next("call.ring");
    const b = await connect(roomId, bob.cookie);
    b.send({ type: "call.join", callId: s.id });
    await callState(a, (x) => x.participants.length === 2 && x.answeredAt !== null);
    await bobsHub.next("call.ring_ended");
  });

  it("unanswered: missed at the ring timeout, and the hub's ring ends", async () => {
    const { roomId, a, bobsHub, stub } = await dmBobAway();
    a.send({ type: "call.start", media: "audio" });
    const s = await callState(a);
    await bobsHub.next("call.ring");
    expect((await storedCall(stub))!.ringUntil).toBe(s.startedAt + 30_000); // RING_TIMEOUT_MS from [vars]
    await editCall(stub, (c) => void (c.ringUntil = Date.now() - 1));
    await runDurableObjectAlarm(stub);
    expect((await a.next("call.ended")).outcome).toBe("missed");
    expect(await bobsHub.next("call.ring_ended")).toEqual({ type: "call.ring_ended", roomId, callId: s.id });
  });

  it("a decline from the room ends the ring on every hub tab of that person", async () => {
    const { roomId, bob, a, bobsHub } = await dmBobAway();
    const tab2 = await connectHub(bob.cookie);
    a.send({ type: "call.start", media: "audio" });
    const s = await callState(a);
    await bobsHub.next("call.ring");
    await tab2.next("call.ring");
    const b = await connect(roomId, bob.cookie);
    b.send({ type: "call.decline", callId: s.id });
    expect((await a.next("call.ended")).outcome).toBe("declined");
    for (const h of [bobsHub, tab2]) await h.next("call.ring_ended", (f) => f.callId === s.id);
  });
});
