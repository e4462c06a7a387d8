/**
 * The room store's delivery contract against a scripted fake socket: pending → ack,
 * the outbox re-sent with the same cids after a reconnect, `since`, replays, gaps,
 * errors, close codes and the reconnect backoff. Node environment with small stand-ins
 * for the few browser globals the store touches.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  Close,
  HEARTBEAT_MS,
  type Me,
  type Member,
  type Message,
  type Peer,
  type RoomDetail,
  type RoomResponse,
  type ServerFrame,
} from "../../worker/protocol";
import { FakeSocket, json, stubBrowser } from "./fakes";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay, MIN_UPTIME_MS } from "./connection";
import { createRoomStore, SEND_BURST, SEND_RATE_PER_SEC, type RoomStore } from "./room";

const me: Peer = { id: "u-alice", name: "Alice" };
const bob: Peer = { id: "u-bob", name: "Bob" };
const alice: Me = { ...me, username: "alice", kind: "account" };
const room: RoomDetail = {
  id: "AAAAAAAAAAAAAAAAAAAAAA",
  kind: "group",
  name: "Test room",
  topic: "",
  createdBy: me.id,
  createdAt: 0,
  role: "owner",
  invite: "invite-1",
};
const members: Member[] = [
  { ...me, username: "alice", role: "owner" },
  { ...bob, username: "bob", role: "member" },
];
const roomResponse: RoomResponse = { room, members };
const m = (seq: number, who: Peer = bob, cid = `c${seq}`): Message => ({ seq, cid, uid: who.id, name: who.name, text: `m${seq}`, ts: 1000 + seq });
const welcome = (messages: Message[], lastSeq: number, gap = false): ServerFrame => ({
  type: "welcome",
  v: 1,
  me,
  online: [me],
  messages,
  lastSeq,
  gap,
});

let store: RoomStore;
const last = () => FakeSocket.all[FakeSocket.all.length - 1]!;

beforeEach(() => {
  stubBrowser();
  vi.stubGlobal("fetch", vi.fn(async () => json(roomResponse)));
  store = createRoomStore(roomResponse, alice);
});

afterEach(() => {
  store.dispose();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("room store", () => {
  it("shows a sent message as pending until its ack, then in seq order", () => {
    last().open();
    last().receive(welcome([m(1)], 1));
    expect(store.send("hello")).toBe(true);
    expect(store.pending.value).toHaveLength(1);
    const sent = last().frames().at(-1)!;
    expect(sent).toMatchObject({ type: "send", text: "hello" });
    last().receive({ type: "msgs", messages: [m(2)] });
    last().receive({ type: "ack", cid: sent.cid!, seq: 3, ts: 5000 });
    expect(store.pending.value).toEqual([]);
    expect(store.messages.value.map((x) => [x.seq, x.uid])).toEqual([
      [1, bob.id],
      [2, bob.id],
      [3, me.id],
    ]);
  });

  it("queues while down and re-sends the outbox with the same cids after reconnecting with since", () => {
    last().open();
    last().receive(welcome([m(1), m(2), m(3)], 3));
    last().drop();
    expect(store.connection.value).toBe("reconnecting");
    store.send("one");
    store.send("two");
    const cids = store.pending.value.map((p) => p.cid);
    expect(FakeSocket.all).toHaveLength(1);

    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    expect(FakeSocket.all).toHaveLength(2);
    expect(last().since).toBe("3");
    last().open();
    expect(last().frames()).toEqual([]); // nothing before the welcome
    last().receive(welcome([], 3));
    expect(last().frames()).toEqual([
      { type: "send", cid: cids[0], text: "one" },
      { type: "send", cid: cids[1], text: "two" },
    ]);
    last().receive({ type: "ack", cid: cids[0]!, seq: 4, ts: 1 });
    last().receive({ type: "ack", cid: cids[1]!, seq: 5, ts: 2 });
    expect(store.messages.value.map((x) => x.text)).toEqual(["m1", "m2", "m3", "one", "two"]);
    expect(store.pending.value).toEqual([]);
  });

  it("settles a pending message from the replay when its ack was lost, and shows it once", () => {
    last().open();
    last().receive(welcome([m(1)], 1));
    store.send("lost ack");
    const cid = store.pending.value[0]!.cid;
    last().drop();
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    last().open();
    last().receive(welcome([{ ...m(2, me, cid), text: "lost ack" }], 2));
    expect(store.pending.value).toEqual([]);
    expect(last().frames()).toEqual([]); // nothing left to re-send
    // A late duplicate ack changes nothing.
    last().receive({ type: "ack", cid, seq: 2, ts: 1 });
    expect(store.messages.value.map((x) => x.seq)).toEqual([1, 2]);
  });

  it("paces a long outbox in order instead of bursting past the room's rate limit", () => {
    last().open();
    last().receive(welcome([], 0));
    last().drop();
    for (let i = 0; i < 30; i++) store.send(`q${i}`);
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    last().open();
    last().receive(welcome([], 0));
    expect(last().frames()).toHaveLength(SEND_BURST);
    vi.advanceTimersByTime(1000);
    expect(last().frames().length).toBeLessThanOrEqual(SEND_BURST + SEND_RATE_PER_SEC + 1);
    vi.advanceTimersByTime(5000);
    expect(last().frames().map((f) => f.text)).toEqual(Array.from({ length: 30 }, (_, i) => `q${i}`));
  });

  it("asks for since = the highest contiguous seq it holds", () => {
    last().open();
    last().receive(welcome([m(1), m(2)], 2));
    last().receive({ type: "msgs", messages: [m(3)] });
    last().receive({ type: "msgs", messages: [m(5)] }); // 4 never arrived
    last().drop();
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    expect(last().since).toBe("3");
  });

  it("starts over from the welcome page when the room reports a gap", () => {
    last().open();
    last().receive(welcome([m(1), m(2)], 2));
    last().drop();
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    last().open();
    last().receive(welcome([m(300), m(301)], 301, true));
    expect(store.messages.value.map((x) => x.seq)).toEqual([300, 301]);
    expect(store.hasMore.value).toBe(true);
  });

  it("starts over when the room's log is behind what we hold (its storage was reset)", () => {
    last().open();
    last().receive(welcome([m(1), m(2), m(3)], 3));
    last().drop();
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    last().open();
    last().receive(welcome([m(1)], 1));
    last().receive({ type: "msgs", messages: [{ ...m(2), cid: "new", text: "fresh" }] });
    expect(store.messages.value.map((x) => x.text)).toEqual(["m1", "fresh"]);
  });

  it("marks a rejected message failed, and retry re-sends the same cid", () => {
    last().open();
    last().receive(welcome([], 0));
    store.send("too fast");
    const cid = store.pending.value[0]!.cid;
    last().receive({ type: "error", code: "rate_limited", message: "slow down", cid });
    expect(store.pending.value[0]).toMatchObject({ status: "failed" });
    store.retry(cid);
    expect(store.pending.value[0]).toMatchObject({ status: "sending" });
    expect(last().frames().filter((f) => f.cid === cid)).toHaveLength(2);
  });

  it("does not reconnect after a NO_RECONNECT close and says why", () => {
    last().open();
    last().receive(welcome([], 0));
    last().drop(Close.FORBIDDEN);
    vi.advanceTimersByTime(BACKOFF_CAP_MS * 2);
    expect(FakeSocket.all).toHaveLength(1);
    expect(store.connection.value).toBe("closed");
    expect(store.problem.value).toEqual({ kind: "removed", message: "You were removed from this room" });
  });

  it("says the room was deleted on 4004 and signs out on 4001", () => {
    last().open();
    last().receive(welcome([], 0));
    last().drop(Close.ROOM_GONE);
    expect(store.problem.value).toEqual({ kind: "deleted", message: "This room was deleted" });
    store.dispose();
    store = createRoomStore(roomResponse, alice);
    last().open();
    last().drop(Close.UNAUTHORIZED);
    expect(store.problem.value?.kind).toBe("unauthorized");
    expect(store.connection.value).toBe("closed");
  });

  it("asks the HTTP API why after failed opens; a 403 means we were removed (no join attempt)", async () => {
    vi.mocked(fetch).mockResolvedValue(json({ error: { code: "forbidden", message: "not a member" } }, 403));
    last().drop();
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    last().drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.mocked(fetch).mock.calls.map(([url, init]) => `${init?.method} ${String(url)}`)).toEqual([`GET /api/rooms/${room.id}`]);
    expect(store.problem.value).toEqual({ kind: "removed", message: "You were removed from this room" });
    expect(store.connection.value).toBe("closed");
  });

  it("lists every member, not only who is online, with role and username", () => {
    last().open();
    last().receive(welcome([], 0));
    expect(store.members.value.map((x) => [x.name, x.online, x.role, x.username, x.me])).toEqual([
      ["Alice", true, "owner", "alice", true],
      ["Bob", false, "member", "bob", false],
    ]);
  });

  it("refetches the member list on a `members` frame: a removed member leaves the list", async () => {
    vi.mocked(fetch).mockResolvedValue(json({ room: { ...room, name: "renamed" }, members: members.filter((m) => m.id !== bob.id) }));
    last().open();
    last().receive(welcome([], 0));
    expect(store.members.value.map((x) => x.name)).toEqual(["Alice", "Bob"]);
    last().receive({ type: "members" });
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledWith(`/api/rooms/${room.id}`, expect.objectContaining({ method: "GET" }));
    expect(store.members.value.map((x) => x.name)).toEqual(["Alice"]);
    expect(store.room.value.name).toBe("renamed");
  });

  it("fetches the room's details when someone it doesn't know comes online (a new member)", async () => {
    const carol: Peer = { id: "u-carol", name: "Carol" };
    vi.mocked(fetch).mockResolvedValue(json({ room, members: [...members, { ...carol, username: null, role: "member" }] }));
    last().open();
    last().receive(welcome([], 0));
    last().receive({ type: "presence", joined: [carol], left: [] });
    expect(store.members.value.find((x) => x.id === carol.id)).toMatchObject({ online: true, role: "member" });
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledWith(`/api/rooms/${room.id}`, expect.objectContaining({ method: "GET" }));
    expect(store.members.value.map((x) => x.name)).toEqual(["Alice", "Carol", "Bob"]);
  });

  it("refresh() takes a rename; a 404 from it (deleted before the socket said so) ends the room", async () => {
    vi.mocked(fetch).mockResolvedValueOnce(json({ room: { ...room, name: "Renamed", topic: "new topic" }, members }));
    await store.refresh();
    expect(store.room.value).toMatchObject({ name: "Renamed", topic: "new topic" });
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "not_found", message: "no such room" } }, 404));
    await store.refresh();
    expect(store.problem.value?.kind).toBe("deleted");
    expect(store.connection.value).toBe("closed");
  });

  it("owner actions: a reset invite replaces the code; a removed member leaves the list", async () => {
    vi.mocked(fetch).mockResolvedValueOnce(json({ invite: "invite-2" }));
    expect(await store.resetInvite()).toBeNull();
    expect(store.room.value.invite).toBe("invite-2");
    expect(vi.mocked(fetch).mock.lastCall).toEqual([`/api/rooms/${room.id}/invite`, expect.objectContaining({ method: "POST" })]);

    vi.mocked(fetch).mockResolvedValueOnce(new Response(null, { status: 204 }));
    expect(await store.removeMember(bob.id)).toBeNull();
    expect(vi.mocked(fetch).mock.lastCall).toEqual([`/api/rooms/${room.id}/members/${bob.id}`, expect.objectContaining({ method: "DELETE" })]);
    expect(store.members.value.map((x) => x.name)).toEqual(["Alice"]);

    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "forbidden", message: "only the owner can do that" } }, 403));
    expect(await store.resetInvite()).toMatchObject({ status: 403, message: "only the owner can do that" });
    expect(store.problem.value).toBeNull();
  });

  it("leaving on purpose is not news: the room's 4003 for our own leave shows no problem", async () => {
    last().open();
    last().receive(welcome([], 0));
    let answer!: (r: Response) => void;
    vi.mocked(fetch).mockReturnValueOnce(new Promise((r) => (answer = r)));
    const leaving = store.leave();
    last().drop(Close.FORBIDDEN); // the room kicks us before the HTTP answer
    answer(new Response(null, { status: 204 }));
    expect(await leaving).toBeNull();
    expect(store.problem.value).toBeNull();
    expect(store.connection.value).toBe("closed");
  });

  it("keeps each user's outbox apart (a shared browser never sends one person's messages as another)", () => {
    last().open();
    last().receive(welcome([], 0));
    last().drop();
    store.send("from alice");
    store.dispose();
    const bobMe: Me = { ...bob, username: "bob", kind: "account" };
    store = createRoomStore(roomResponse, bobMe);
    expect(store.pending.value).toEqual([]);
    store.dispose();
    store = createRoomStore(roomResponse, alice);
    expect(store.pending.value.map((p) => p.text)).toEqual(["from alice"]);
  });

  it("goes offline with the browser and back online at once", () => {
    last().open();
    last().receive(welcome([], 0));
    (navigator as { onLine: boolean }).onLine = false;
    window.dispatchEvent(new Event("offline"));
    expect(store.connection.value).toBe("offline");
    vi.advanceTimersByTime(BACKOFF_CAP_MS * 2);
    expect(FakeSocket.all).toHaveLength(1);
    (navigator as { onLine: boolean }).onLine = true;
    window.dispatchEvent(new Event("online"));
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("asks the HTTP API why after sockets keep failing to open, and stops on 404", async () => {
    vi.mocked(fetch).mockResolvedValue(
      new Response(JSON.stringify({ error: { code: "not_found", message: "room not found" } }), { status: 404 }),
    );
    last().drop(); // never opened: the browser hides the upgrade's HTTP status
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    last().drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledWith(`/api/rooms/${room.id}`, expect.objectContaining({ method: "GET" }));
    expect(store.problem.value).toEqual({ kind: "deleted", message: "This room was deleted" });
    expect(store.connection.value).toBe("closed");
  });

  it("pings every HEARTBEAT_MS and reconnects when a ping goes unanswered", () => {
    last().open();
    last().receive(welcome([], 0));
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(last().sent.at(-1)).toBe("ping");
    last().onmessage?.({ data: "pong" });
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(FakeSocket.all).toHaveLength(1); // answered: still the same socket
    vi.advanceTimersByTime(HEARTBEAT_MS); // the second ping got nothing back
    expect(store.connection.value).toBe("reconnecting");
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("merges presence into the member list and expires typing after its ttl", () => {
    const carol: Peer = { id: "u-carol", name: "Carol" };
    last().open();
    last().receive(welcome([], 0));
    last().receive({ type: "presence", joined: [bob], left: [] });
    last().receive({ type: "presence", joined: [carol], left: [] });
    expect(store.members.value.map((x) => `${x.name}:${x.online}`)).toEqual(["Alice:true", "Bob:true", "Carol:true"]);
    last().receive({ type: "presence", joined: [], left: [bob.id] });
    expect(store.members.value.find((x) => x.id === bob.id)?.online).toBe(false);
    last().receive({ type: "typing", user: carol, on: true, ttl: 6000 });
    expect(store.typingText.value).toBe("Carol is typing…");
    vi.advanceTimersByTime(6001);
    expect(store.typingText.value).toBe("");
  });

  it("backs off with growing delays while sockets die young, and resets after MIN_UPTIME_MS up", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999999);
    const gaps: number[] = [];
    const reconnectAfter = () => {
      const n = FakeSocket.all.length;
      let t = 0;
      while (FakeSocket.all.length === n && t < BACKOFF_CAP_MS * 2) {
        vi.advanceTimersByTime(50);
        t += 50;
      }
      gaps.push(t);
    };
    for (let i = 0; i < 4; i++) {
      last().open();
      last().drop();
      reconnectAfter();
    }
    last().open();
    vi.advanceTimersByTime(MIN_UPTIME_MS);
    last().drop();
    reconnectAfter();
    expect(gaps).toEqual([500, 1000, 2000, 4000, 500]);
  });
});

describe("room store: media", () => {
  const file = { id: "att-1", name: "a.png", type: "image/png", size: 10, width: 4, height: 3, thumb: true };

  it("sends attachment ids with the message, keeps them on the pending row, and takes the ack's metadata", () => {
    last().open();
    last().receive(welcome([], 0));
    expect(store.send("", [file])).toBe(true);
    const sent = last().frames().at(-1)!;
    expect(sent).toMatchObject({ type: "send", text: "", attachments: ["att-1"] });
    expect(store.pending.value[0]!.attachments).toEqual([file]);
    last().receive({ type: "ack", cid: sent.cid!, seq: 1, ts: 5, attachments: [{ ...file, type: "application/octet-stream" }] });
    expect(store.messages.value[0]!.attachments).toEqual([{ ...file, type: "application/octet-stream" }]);
  });

  it("applies reaction frames in order, and a deleted frame makes a tombstone", () => {
    last().open();
    last().receive(welcome([{ ...m(1), attachments: [file], reactions: [{ emoji: "👍", users: [bob.id] }] }], 1));
    last().receive({ type: "reaction", seq: 1, emoji: "👍", user: me.id, on: true });
    last().receive({ type: "reaction", seq: 1, emoji: "🎉", user: bob.id, on: true });
    last().receive({ type: "reaction", seq: 1, emoji: "👍", user: bob.id, on: false });
    last().receive({ type: "reaction", seq: 1, emoji: "👍", user: me.id, on: true }); // a repeat is a no-op
    expect(store.messages.value[0]!.reactions).toEqual([
      { emoji: "👍", users: [me.id] },
      { emoji: "🎉", users: [bob.id] },
    ]);
    last().receive({ type: "deleted", seq: 1 });
    const t = store.messages.value[0]!;
    expect(t).toMatchObject({ seq: 1, text: "", deleted: true });
    expect(t.attachments).toBeUndefined();
    expect(t.reactions).toBeUndefined();
  });

  it("welcome.sync on a reconnect replaces reactions of held messages and tombstones deletions", () => {
    last().open();
    last().receive(welcome([{ ...m(1), reactions: [{ emoji: "👍", users: [bob.id] }] }, m(2), m(3)], 3));
    last().drop();
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    last().open();
    last().receive({
      ...(welcome([m(4)], 4) as Extract<ServerFrame, { type: "welcome" }>),
      sync: { from: 1, to: 3, reactions: [{ seq: 2, reactions: [{ emoji: "🎉", users: [me.id] }] }], deleted: [3] },
    });
    const [a, b, c, d] = store.messages.value;
    expect(a!.reactions).toBeUndefined();
    expect(b!.reactions).toEqual([{ emoji: "🎉", users: [me.id] }]);
    expect(c).toMatchObject({ deleted: true, text: "" });
    expect(d!.seq).toBe(4);
  });

  it("react and delete send their frames; names for reaction tooltips come from the members", () => {
    last().open();
    last().receive(welcome([m(1, me)], 1));
    store.react(1, "👍", true);
    store.deleteMessage(1);
    expect(last().frames().slice(-2)).toEqual([
      { type: "react", seq: 1, emoji: "👍", on: true },
      { type: "delete", seq: 1 },
    ]);
    expect(store.nameOf(bob.id)).toBe("Bob");
    expect(store.nameOf(me.id)).toBe("You");
  });
});

describe("backoffDelay", () => {
  it("is full jitter: anywhere from the floor up to the capped exponential", () => {
    expect(backoffDelay(0, () => 0)).toBe(100);
    expect(backoffDelay(3, () => 0.5)).toBe(2000);
    expect(backoffDelay(50, () => 0.999999)).toBeLessThanOrEqual(BACKOFF_CAP_MS);
    expect(backoffDelay(50, () => 0.999999)).toBeGreaterThan(BACKOFF_CAP_MS - 100);
  });
});
