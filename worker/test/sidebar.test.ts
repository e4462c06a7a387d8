import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { api, connect, guest, joinRoom, newRoom, sleep, type Client, account, connectHub, errorOf, hubUpgrade, post, startDm, untilWatching } from "./helpers";
import type { RoomsResponse, RoomSummary } from "../protocol";
import { sha256Hex } from "../auth/session";
import { announceRoomsChanged } from "../room/user-hub";
import { bytes, upload } from "./media-helpers";


async function sidebar(cookie: string): Promise<RoomSummary[]> {
  const res = await api("/api/rooms", { cookie });
  expect(res.status).toBe(200);
  return ((await res.json()) as RoomsResponse).rooms;
}

/** Sends messages as `c` and waits for their acks. */
async function say(c: Client, ...texts: string[]) {
  for (const text of texts) {
    const cid = crypto.randomUUID();
    c.send({ type: "send", cid, text });
    await c.next("ack", (f) => f.cid === cid);
  }
}
const flush = (roomId: string) => runDurableObjectAlarm(env.ROOMS.getByName(roomId));

describe("the sidebar (GET /api/rooms)", () => {
  it("previews a message of files only by its file count, and a deleted one as deleted, live and over HTTP", async () => {
    const [ann, ben] = [await guest("Ann"), await guest("Ben")];
    const { room } = await newRoom(ben.cookie, "files");
    await joinRoom(room.id, ann.cookie);
    const hub = await connectHub(ann.cookie);
    const b = await connect(room.id, ben.cookie);
    const files = [await upload(room.id, ben.cookie, "a.pdf", "application/pdf", bytes(10)), await upload(room.id, ben.cookie, "b.pdf", "application/pdf", bytes(20))];
    b.send({ type: "send", cid: "f", text: "", attachments: files.map((f) => f.id) });
    const { seq } = await b.next("ack", (f) => f.cid === "f");
    await flush(room.id);
    expect((await hub.next("activity")).lastMessage).toMatchObject({ seq, text: "", files: 2 });
    expect((await sidebar(ann.cookie))[0]?.lastMessage).toMatchObject({ seq, text: "", files: 2 });

    b.send({ type: "delete", seq });
    await b.next("deleted");
    await flush(room.id);
    const last = (await sidebar(ann.cookie))[0]?.lastMessage;
    expect(last).toMatchObject({ seq, deleted: true });
    expect(last?.files).toBeUndefined();
  });

  it("lists every room and DM of the user with last message, unread count, newest activity first", async () => {
    const [ann, ben] = [await account("Ann"), await account("Ben")];
    const quiet = (await newRoom(ann.cookie, "quiet")).room;
    await sleep(5);
    const busy = (await newRoom(ben.cookie, "busy")).room;
    await joinRoom(busy.id, ann.cookie);
    await sleep(5);
    const dm = (await startDm(ben.cookie, ann.username)).body.room;

    // Nothing said yet: ordered by when Ann joined, newest first. The DM Ben started is in
    // his list at once, named after Ann, and in hers only once it has a message.
    expect((await sidebar(ann.cookie)).map((r) => r.id)).toEqual([busy.id, quiet.id]);
    expect((await sidebar(ben.cookie))[0]).toMatchObject({ id: dm.id, kind: "dm", name: "Ann", lastMessage: null, lastSeq: 0, unread: 0 });

    const b = await connect(busy.id, ben.cookie);
    await say(b, "one", "two", "three");
    await flush(busy.id);
    const rows = await sidebar(ann.cookie);
    expect(rows.map((r) => r.id)).toEqual([busy.id, quiet.id]);
    const top = rows[0]!;
    expect(top).toMatchObject({ kind: "group", name: "busy", topic: "", lastSeq: 3, lastRead: 0, unread: 3 });
    expect(top.lastMessage).toMatchObject({ seq: 3, uid: ben.id, name: "Ben", text: "three" });
    expect(top.activityAt).toBe(top.lastMessage!.ts);
    expect(rows[1]).toMatchObject({ name: "quiet", lastMessage: null, unread: 0 });

    // A DM message puts the DM on top, for both of them; she sees it named "Ben", he "Ann".
    const d = await connect(dm.id, ben.cookie);
    await say(d, "psst");
    await flush(dm.id);
    const hers = await sidebar(ann.cookie);
    expect(hers.map((r) => r.id)).toEqual([dm.id, busy.id, quiet.id]);
    expect(hers[0]).toMatchObject({ kind: "dm", name: "Ben", lastSeq: 1, unread: 1 });
    const bens = await sidebar(ben.cookie);
    expect(bens.map((r) => [r.id, r.name])).toEqual([
      [dm.id, "Ann"],
      [busy.id, "busy"],
    ]);

    // Reading lowers the unread count.
    expect((await post(`/api/rooms/${busy.id}/read`, ann.cookie, { seq: 2 })).status).toBe(204);
    expect((await sidebar(ann.cookie)).find((r) => r.id === busy.id)).toMatchObject({ lastRead: 2, unread: 1 });
  });

  it("counts only what reached D1, and catches up after the next flush", async () => {
    const ann = await guest("Ann");
    const { room } = await newRoom(ann.cookie, "r");
    const a = await connect(room.id, ann.cookie);
    await say(a, "m1", "m2");
    await flush(room.id);
    await say(a, "m3");
    expect((await sidebar(ann.cookie))[0]).toMatchObject({ lastSeq: 2, unread: 2, lastMessage: { seq: 2, text: "m2" } });
    // Read up to 3 before it is flushed: the room's own count allows it.
    await post(`/api/rooms/${room.id}/read`, ann.cookie, { seq: 3 });
    await flush(room.id);
    expect((await sidebar(ann.cookie))[0]).toMatchObject({ lastSeq: 3, lastRead: 3, unread: 0, lastMessage: { text: "m3" } });
  });

  it("shows nothing of rooms the user left or was removed from", async () => {
    const [ann, ben] = [await guest("Ann"), await guest("Ben")];
    const r1 = (await newRoom(ann.cookie, "r1")).room;
    const r2 = (await newRoom(ann.cookie, "r2")).room;
    await joinRoom(r1.id, ben.cookie);
    await joinRoom(r2.id, ben.cookie);
    expect((await sidebar(ben.cookie)).map((r) => r.name).sort()).toEqual(["r1", "r2"]);
    await post(`/api/rooms/${r1.id}/leave`, ben.cookie);
    await api(`/api/rooms/${r2.id}/members/${ben.id}`, { method: "DELETE", cookie: ann.cookie });
    expect(await sidebar(ben.cookie)).toEqual([]);
    expect((await sidebar(ann.cookie)).map((r) => r.name).sort()).toEqual(["r1", "r2"]);
  });

  it("401 without a session", async () => {
    const res = await api("/api/rooms");
    expect(res.status).toBe(401);
  });
});

describe("the user's channel (GET /api/me/ws)", () => {
  it("401 without a session, 426 without an upgrade, 403 cross-site", async () => {
    const ann = await guest("Ann");
    expect((await hubUpgrade()).status).toBe(401);
    expect((await hubUpgrade("sid=forged")).status).toBe(401);
    const plain = await api("/api/me/ws", { cookie: ann.cookie });
    expect(plain.status).toBe(426);
    const cross = await hubUpgrade(ann.cookie, { origin: "https://evil.test" });
    expect(cross.status).toBe(403);
    expect((await errorOf(cross)).code).toBe("forbidden");
  });

  it("answers heartbeats", async () => {
    const ann = await guest("Ann");
    const res = await hubUpgrade(ann.cookie);
    res.webSocket!.accept();
    const pong = new Promise<string>((resolve) => res.webSocket!.addEventListener("message", (e) => resolve(String(e.data))));
    res.webSocket!.send("ping");
    expect(await pong).toBe("pong");
    res.webSocket!.close(1000);
  });

  it("gets `activity` with the newest message after a flush in one of the user's rooms, in every tab", async () => {
    const [ann, ben] = [await guest("Ann"), await guest("Ben")];
    const { room } = await newRoom(ben.cookie, "busy");
    await joinRoom(room.id, ann.cookie);
    const tabs = [await connectHub(ann.cookie), await connectHub(ann.cookie)];
    const bensHub = await connectHub(ben.cookie);
    const b = await connect(room.id, ben.cookie);
    await say(b, "first", "second");
    // Nothing per message: only the flush tells the hubs.
    await sleep(50);
    expect(tabs[0]!.frames.filter((f) => f.type === "activity")).toEqual([]);

    await flush(room.id);
    for (const hub of [...tabs, bensHub]) {
      const f = await hub.next("activity");
      expect(f).toEqual({
        type: "activity",
        roomId: room.id,
        lastSeq: 2,
        lastMessage: { seq: 2, uid: ben.id, name: "Ben", text: "second", ts: expect.any(Number) },
      });
    }
  });

  it("hears about a busy room at most once per 3 s: later messages are announced together when the gap is over", async () => {
    const [ann, ben] = [await guest("Ann"), await guest("Ben")];
    const { room } = await newRoom(ben.cookie, "busy");
    await joinRoom(room.id, ann.cookie);
    const hub = await connectHub(ann.cookie);
    const b = await connect(room.id, ben.cookie);
    await say(b, "one");
    await flush(room.id);
    expect((await hub.next("activity")).lastSeq).toBe(1);
    await say(b, "two", "three");
    await flush(room.id);
    await sleep(100);
    expect(hub.frames.filter((f) => f.type === "activity")).toHaveLength(1);
    await sleep(3000);
    await flush(room.id);
    const later = await hub.next("activity", (f) => f.lastSeq === 3);
    expect(later.lastMessage).toMatchObject({ seq: 3, text: "three" });
    expect(hub.frames.filter((f) => f.type === "activity")).toHaveLength(2);
  });

  it("gets `read` in every tab when the user reads a room anywhere, clamped to what the room has; nobody else does", async () => {
    const [ann, ben] = [await guest("Ann"), await guest("Ben")];
    const { room } = await newRoom(ann.cookie, "reads");
    await joinRoom(room.id, ben.cookie);
    const b = await connect(room.id, ben.cookie);
    await say(b, "one", "two", "three");
    const [laptop, phone] = [await connectHub(ann.cookie), await connectHub(ann.cookie)];
    const bensHub = await connectHub(ben.cookie);
    expect((await post(`/api/rooms/${room.id}/read`, ann.cookie, { seq: 2 })).status).toBe(204);
    for (const tab of [laptop, phone]) expect(await tab.next("read")).toEqual({ type: "read", roomId: room.id, seq: 2 });
    // Past the room's last message: clamped to it.
    await post(`/api/rooms/${room.id}/read`, ann.cookie, { seq: 99 });
    expect(await laptop.next("read", (f) => f.seq !== 2)).toEqual({ type: "read", roomId: room.id, seq: 3 });
    expect((await sidebar(ann.cookie)).find((r) => r.id === room.id)).toMatchObject({ lastRead: 3, unread: 0 });
    await sleep(50);
    expect(bensHub.frames.filter((f) => f.type === "read")).toEqual([]);
  });

  it("gets nothing about rooms the user is not in", async () => {
    const [ann, ben] = [await guest("Ann"), await guest("Ben")];
    const { room } = await newRoom(ben.cookie, "private");
    const hub = await connectHub(ann.cookie);
    const bensHub = await connectHub(ben.cookie);
    const b = await connect(room.id, ben.cookie);
    await say(b, "secret");
    await flush(room.id);
    await bensHub.next("activity");
    await sleep(50);
    // Only her (empty) presence list: Ben shares no room with her.
    expect(hub.frames.filter((f) => f.type !== "presence")).toEqual([]);
    expect(hub.frames.flatMap((f) => (f.type === "presence" ? f.users : []))).toEqual([]);
  });

  it("gets `rooms` when a DM's first message reaches D1, when joining by link, when a room is renamed, removed from, or deleted", async () => {
    const [ann, ben] = [await account("Ann"), await account("Ben")];
    const hub = await connectHub(ann.cookie);
    const count = () => hub.frames.filter((f) => f.type === "rooms").length;
    const expectRooms = async (n: number) => {
      for (let i = 0; i < 100 && count() < n; i++) await sleep(20);
      expect(count()).toBe(n);
    };

    // Ben starts a DM with Ann: her list shows it once it has a message in D1.
    const dm = (await startDm(ben.cookie, ann.username)).body.room;
    // The second start finds the existing DM: nothing changes for Ann.
    await startDm(ben.cookie, ann.username);
    const d = await connect(dm.id, ben.cookie);
    await say(d, "hello");
    await flush(dm.id);
    await expectRooms(1);

    const { room } = await newRoom(ben.cookie, "group");
    await post(`/api/invites/${room.invite}/join`, ann.cookie);
    await expectRooms(2);
    // Her hub watches the new room too (it renews its leases when told), so the room tells it of a rename.
    await untilWatching(room.id, ann.id);

    await api(`/api/rooms/${room.id}`, { method: "PATCH", cookie: ben.cookie, body: JSON.stringify({ name: "renamed" }) });
    await expectRooms(3);

    await api(`/api/rooms/${room.id}/members/${ann.id}`, { method: "DELETE", cookie: ben.cookie });
    await expectRooms(4);

    const other = (await newRoom(ben.cookie, "other")).room;
    await joinRoom(other.id, ann.cookie);
    await expectRooms(5);
    await untilWatching(other.id, ann.id);
    await api(`/api/rooms/${other.id}`, { method: "DELETE", cookie: ben.cookie });
    await expectRooms(6);
    await sleep(50);
    expect(count()).toBe(6);
  });

  it("closeSession closes only that session's hub sockets, with 4001", async () => {
    const ann = await guest("Ann");
    const hub = await connectHub(ann.cookie);
    const sid = await sha256Hex(ann.cookie.split("=")[1]!);
    expect(await env.HUBS.getByName(ann.id).closeSession("0".repeat(64))).toBe(0);
    expect(await env.HUBS.getByName(ann.id).closeSession(sid)).toBe(1);
    expect((await hub.waitClosed()).code).toBe(4001);
  });
});

describe("hubs watching rooms (leases)", () => {
  const watchers = (roomId: string) =>
    runInDurableObject(env.ROOMS.getByName(roomId), (_i, state: DurableObjectState) =>
      state.storage.sql.exec<{ uid: string; until: number }>("SELECT uid, until FROM watchers ORDER BY uid").toArray(),
    );

  it("a room tells only the hubs that watch it: a member with no app open costs no wake-up", async () => {
    const [ann, ben] = [await guest("Ann"), await guest("Ben")];
    const { room } = await newRoom(ann.cookie, "leases");
    await joinRoom(room.id, ben.cookie);
    const annsHub = await connectHub(ann.cookie);
    expect((await watchers(room.id)).map((w) => w.uid)).toEqual([ann.id]);

    const a = await connect(room.id, ann.cookie);
    await say(a, "hello");
    await flush(room.id);
    expect((await annsHub.next("activity")).lastMessage.text).toBe("hello");

    // Ben opens the app: from now on his hub watches, and hears the room's news.
    const bensHub = await connectHub(ben.cookie);
    expect((await watchers(room.id)).map((w) => w.uid).sort()).toEqual([ann.id, ben.id].sort());
    await sleep(3100); // the room announces at most once per 3 s
    await say(a, "again");
    await flush(room.id);
    expect((await bensHub.next("activity")).lastMessage.text).toBe("again");
  });

  it("a hub that stops renewing stops hearing; one that renews hears again, also from a room restarted after eviction", async () => {
    const ann = await guest("Ann");
    const { room } = await newRoom(ann.cookie, "leases");
    const hub = await connectHub(ann.cookie);
    const stub = env.ROOMS.getByName(room.id);
    // The lease runs out (as when the hub stops renewing it).
    await runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.sql.exec("UPDATE watchers SET until = ?", Date.now() - 1));
    const a = await connect(room.id, ann.cookie);
    await say(a, "unheard");
    await flush(room.id);
    await sleep(300);
    expect(hub.frames.filter((f) => f.type === "activity")).toEqual([]);

    // The hub's alarm renews its leases while it has a socket open; the room, evicted meanwhile, still has it.
    await runDurableObjectAlarm(env.HUBS.getByName(ann.id));
    expect((await watchers(room.id))[0]!.until).toBeGreaterThan(Date.now() + 60_000);
    await evictDurableObject(stub);
    await sleep(3100);
    const a2 = await connect(room.id, ann.cookie);
    await say(a2, "heard");
    await flush(room.id);
    expect((await hub.next("activity")).lastMessage.text).toBe("heard");

    // With no socket left, the hub's alarm renews nothing: the lease is left to lapse.
    hub.close();
    await hub.waitClosed().catch(() => undefined);
    await sleep(100);
    const before = (await watchers(room.id))[0]!.until;
    await runDurableObjectAlarm(env.HUBS.getByName(ann.id));
    expect((await watchers(room.id))[0]!.until).toBe(before);
  });

  it("the Worker tells only live hubs that a room list changed: a user with no app open is not woken", async () => {
    const [ann, ben] = [await guest("Ann"), await guest("Ben")];
    const liveUntil = async (id: string) =>
      (await env.DB.prepare("SELECT hub_live_until AS t FROM users WHERE id = ?").bind(id).first<{ t: number }>())!.t;
    expect(await liveUntil(ann.id)).toBe(0);
    const hub = await connectHub(ann.cookie);
    expect(await liveUntil(ann.id)).toBeGreaterThan(Date.now() + 60_000);
    expect(await liveUntil(ben.id)).toBe(0);

    expect(await announceRoomsChanged(env, [ann.id, ben.id, ann.id])).toEqual([ann.id]);
    await hub.next("rooms");
    // Ben joins a room by link with no app open: nothing to tell, nobody woken.
    const { room } = await newRoom(ann.cookie, "live hubs");
    await joinRoom(room.id, ben.cookie);
    expect(await announceRoomsChanged(env, [ben.id])).toEqual([]);
    expect(await announceRoomsChanged(env, [])).toEqual([]);

    // The last socket gone, the hub's alarm marks it idle.
    hub.close();
    await hub.waitClosed().catch(() => undefined);
    await sleep(100);
    await runDurableObjectAlarm(env.HUBS.getByName(ann.id));
    expect(await liveUntil(ann.id)).toBe(0);
    expect(await announceRoomsChanged(env, [ann.id])).toEqual([]);
  });

  it("a removed member's hub stops watching at once", async () => {
    const [ann, ben] = [await guest("Ann"), await guest("Ben")];
    const { room } = await newRoom(ann.cookie, "leases");
    await joinRoom(room.id, ben.cookie);
    await connectHub(ben.cookie);
    expect((await watchers(room.id)).map((w) => w.uid)).toEqual([ben.id]);
    await api(`/api/rooms/${room.id}/members/${ben.id}`, { method: "DELETE", cookie: ann.cookie });
    expect(await watchers(room.id)).toEqual([]);
  });
});
