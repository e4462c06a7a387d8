/**
 * The room model end to end against a scripted fake socket: the delivery contract (pending
 * → ack, the outbox re-sent with the same cids after a reconnect, `since`, replays, errors),
 * close codes and the HTTP probe, presence and typing routed to their parts, the room's
 * coordination with the sidebar and the app (active room, mark read, refresh, new session,
 * removal), and what the call store gets.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { signal } from "@preact/signals";
import { Close, ErrorCode, type CallState, type Me } from "../../../worker/protocol";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS } from "../connection";
import { Emitter } from "../emitter";
import { FakeSocket, json, stubBrowser } from "../fakes";
import { alice, bob, carol, m, me, members, room, roomResponse, welcome } from "./fixtures";
import { createRoomStore, type RoomHost, type RoomStore } from "./model";
import { callRoom } from "../call/room-adapter";

let store: RoomStore;
const last = () => FakeSocket.all[FakeSocket.all.length - 1]!;
/** Opens the newest socket and welcomes it. */
const connect = (...args: Parameters<typeof welcome>) => {
  last().open();
  last().receive(welcome(...args));
};
const reconnect = () => {
  last().drop();
  vi.advanceTimersByTime(BACKOFF_BASE_MS);
};

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

describe("room store: delivery", () => {
  it("shows a sent message as pending until its ack, then in seq order", () => {
    connect([m(1)], 1);
    expect(store.sendMessage("hello")).toBe(true);
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
    connect([m(1), m(2), m(3)], 3);
    last().drop();
    expect(store.connection.value).toBe("reconnecting");
    store.sendMessage("one");
    store.sendMessage("two");
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
    connect([m(1)], 1);
    store.sendMessage("lost ack");
    const cid = store.pending.value[0]!.cid;
    reconnect();
    connect([{ ...m(2, me, cid), text: "lost ack" }], 2);
    expect(store.pending.value).toEqual([]);
    expect(last().frames()).toEqual([]); // nothing left to re-send
    // A late duplicate ack changes nothing.
    last().receive({ type: "ack", cid, seq: 2, ts: 1 });
    expect(store.messages.value.map((x) => x.seq)).toEqual([1, 2]);
  });

  it("asks for since = the highest contiguous seq it holds", () => {
    connect([m(1), m(2)], 2);
    last().receive({ type: "msgs", messages: [m(3)] });
    last().receive({ type: "msgs", messages: [m(5)] }); // 4 never arrived
    reconnect();
    expect(last().since).toBe("3");
  });

  it("paces the re-sent outbox by the budget the welcome advertises", () => {
    connect([], 0);
    last().drop();
    for (let i = 0; i < 10; i++) store.sendMessage(`q${i}`);
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    connect([], 0, false, { budget: { perSec: 2, burst: 3 } });
    expect(last().frames()).toHaveLength(3);
    vi.advanceTimersByTime(10_000);
    expect(last().frames().map((f) => f.text)).toEqual(Array.from({ length: 10 }, (_, i) => `q${i}`));
  });

  it("rate_limited with retryMs holds the message and sends it again after the wait: never failed", () => {
    connect([], 0);
    store.sendMessage("early");
    const cid = store.pending.value[0]!.cid;
    last().receive({ type: "error", code: ErrorCode.RATE_LIMITED, message: "you are sending messages too fast", cid, retryMs: 400 });
    expect(store.pending.value[0]).toMatchObject({ status: "sending" });
    expect(store.notice.value).toBeNull();
    vi.advanceTimersByTime(399);
    expect(last().frames().filter((f) => f.cid === cid)).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(last().frames().filter((f) => f.cid === cid)).toHaveLength(2);
    last().receive({ type: "ack", cid, seq: 1, ts: 1 });
    expect(store.pending.value).toEqual([]);
    expect(store.messages.value.map((x) => x.text)).toEqual(["early"]);
  });

  it("marks a message the room refuses for good as failed, and retry re-sends the same cid", () => {
    connect([], 0);
    store.sendMessage("x".repeat(10));
    const cid = store.pending.value[0]!.cid;
    last().receive({ type: "error", code: ErrorCode.BODY_TOO_LONG, message: "too long", cid });
    expect(store.pending.value[0]).toMatchObject({ status: "failed", error: "Too long to send." });
    store.retry(cid);
    expect(store.pending.value[0]).toMatchObject({ status: "sending" });
    expect(last().frames().filter((f) => f.cid === cid)).toHaveLength(2);
    store.discard(cid);
    expect(store.pending.value).toEqual([]);
  });

  it("shows an error about no message of ours as a passing notice", () => {
    connect([], 0);
    last().receive({ type: "error", code: ErrorCode.NO_SUCH_MESSAGE, message: "no such message" });
    expect(store.notice.value).toBe("no such message");
    vi.advanceTimersByTime(6000);
    expect(store.notice.value).toBeNull();
  });

  it("sending stops our typing indicator", () => {
    connect([], 0);
    store.setTyping(true);
    store.sendMessage("done");
    expect(last().frames().map((f) => f.type)).toEqual(["typing", "typing", "send"]);
    expect(last().frames()[1]).toEqual({ type: "typing", on: false });
  });
});

describe("room store: jumping to a message (a search result)", () => {
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => m(a + i));

  it("waits for the first welcome, loads the history around a message not held, focuses it; sending returns to the newest", async () => {
    const jumped = store.jumpTo(20);
    vi.mocked(fetch).mockResolvedValueOnce(json({ messages: range(1, 45), hasMore: false }));
    connect(range(151, 200), 200);
    expect(await jumped).toBe(true);
    expect(String(vi.mocked(fetch).mock.calls.at(-1)![0])).toBe(`/api/rooms/${room.id}/messages?around=20&limit=50`);
    expect(store.focus.value).toEqual({ seq: 20, n: 1 });
    expect(store.messages.value.map((x) => x.seq)).toEqual(range(1, 45).map((x) => x.seq));
    expect(store.hasNewer.value).toBe(true);
    // A message held: no request, focused again (n counts jumps).
    const calls = vi.mocked(fetch).mock.calls.length;
    expect(await store.jumpTo(30)).toBe(true);
    expect(vi.mocked(fetch).mock.calls.length).toBe(calls);
    expect(store.focus.value).toEqual({ seq: 30, n: 2 });
    store.sendMessage("back to now");
    expect(store.hasNewer.value).toBe(false);
    expect(store.messages.value[0]!.seq).toBe(151);
  });

  it("a message beyond the window's gap shows the newest again; one that cannot be loaded says so", async () => {
    connect(range(151, 200), 200);
    vi.mocked(fetch).mockResolvedValueOnce(json({ messages: range(1, 45), hasMore: false }));
    await store.jumpTo(20);
    expect(await store.jumpTo(199)).toBe(true);
    expect(store.hasNewer.value).toBe(false);
    expect(store.focus.value?.seq).toBe(199);
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "forbidden", message: "no" } }, 403));
    expect(await store.jumpTo(70)).toBe(false);
    expect(store.notice.value).toBe("Couldn't load that message.");
  });
});

describe("room store: media", () => {
  const file = { id: "att-1", name: "a.png", type: "image/png", size: 10, width: 4, height: 3, thumb: true };

  it("sends attachment ids with the message, keeps them on the pending row, and takes the ack's metadata", () => {
    connect([], 0);
    expect(store.sendMessage("", [file])).toBe(true);
    const sent = last().frames().at(-1)!;
    expect(sent).toMatchObject({ type: "send", text: "", attachments: ["att-1"] });
    expect(store.pending.value[0]!.attachments).toEqual([file]);
    last().receive({ type: "ack", cid: sent.cid!, seq: 1, ts: 5, attachments: [{ ...file, type: "application/octet-stream" }] });
    expect(store.messages.value[0]!.attachments).toEqual([{ ...file, type: "application/octet-stream" }]);
  });

  it("routes reaction and deleted frames, and welcome.sync on a reconnect, to the timeline", () => {
    connect([m(1), m(2)], 2);
    last().receive({ type: "reaction", seq: 1, emoji: "👍", user: me.id, on: true });
    last().receive({ type: "deleted", seq: 2 });
    expect(store.messages.value.map((x) => [x.reactions, x.deleted])).toEqual([
      [[{ emoji: "👍", users: [me.id] }], undefined],
      [undefined, true],
    ]);
    reconnect();
    connect([], 2, false, { sync: { from: 1, to: 2, reactions: [], deleted: [2] } });
    expect(store.messages.value[0]!.reactions).toBeUndefined();
  });

  it("react and delete send their frames; names for reaction tooltips come from the members", () => {
    connect([m(1, me)], 1);
    store.react(1, "👍", true);
    store.deleteMessage(1);
    expect(last().frames().slice(-2)).toEqual([
      { type: "react", seq: 1, emoji: "👍", on: true },
      { type: "delete", seq: 1 },
    ]);
    expect(store.nameOf(bob.id)).toBe("Bob");
    expect(store.nameOf(me.id)).toBe("You");
    last().drop();
    expect(store.react(1, "👍", false)).toBe(false);
    expect(store.notice.value).toBe("Not connected: the reaction was not sent.");
  });
});

describe("room store: presence and members", () => {
  it("merges presence into the member list and expires typing after its ttl", () => {
    connect([], 0);
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

  it("a message from someone typing, or our socket closing, ends their typing", () => {
    connect([], 0);
    last().receive({ type: "typing", user: bob, on: true, ttl: 6000 });
    last().receive({ type: "msgs", messages: [m(1)] });
    expect(store.typingText.value).toBe("");
    last().receive({ type: "typing", user: bob, on: true, ttl: 6000 });
    last().drop();
    expect(store.typingText.value).toBe("");
  });

  it("refetches the member list on a `members` frame: a removed member leaves the list", async () => {
    vi.mocked(fetch).mockResolvedValue(json({ room: { ...room, name: "renamed" }, members: members.filter((x) => x.id !== bob.id) }));
    connect([], 0);
    expect(store.members.value.map((x) => x.name)).toEqual(["Alice", "Bob"]);
    last().receive({ type: "members" });
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledWith(`/api/rooms/${room.id}`, expect.objectContaining({ method: "GET" }));
    expect(store.members.value.map((x) => x.name)).toEqual(["Alice"]);
    expect(store.room.value.name).toBe("renamed");
  });

  it("fetches the room's details when someone it doesn't know comes online (a new member)", async () => {
    vi.mocked(fetch).mockResolvedValue(json({ room, members: [...members, { ...carol, username: null, role: "member" }] }));
    connect([], 0);
    last().receive({ type: "presence", joined: [carol], left: [] });
    expect(store.members.value.find((x) => x.id === carol.id)).toMatchObject({ online: true, role: "member" });
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledWith(`/api/rooms/${room.id}`, expect.objectContaining({ method: "GET" }));
    expect(store.members.value.map((x) => x.name)).toEqual(["Alice", "Carol", "Bob"]);
  });
});

describe("room store: when the room ends", () => {
  it("does not reconnect after a NO_RECONNECT close and says why", () => {
    connect([], 0);
    last().drop(Close.FORBIDDEN);
    vi.advanceTimersByTime(BACKOFF_CAP_MS * 2);
    expect(FakeSocket.all).toHaveLength(1);
    expect(store.connection.value).toBe("closed");
    expect(store.problem.value).toEqual({ kind: "removed", message: "You were removed from this room" });
  });

  it("a socket replaced by the person's newer one (4005) stays closed, so two tabs do not take turns closing each other", () => {
    connect([], 0);
    last().drop(Close.TOO_MANY_CONNECTIONS);
    vi.advanceTimersByTime(BACKOFF_CAP_MS * 2);
    expect(FakeSocket.all).toHaveLength(1);
    expect(store.connection.value).toBe("closed");
    expect(store.problem.value).toMatchObject({ kind: "closed", message: expect.stringMatching(/too many other tabs or windows.*Reload/) });
  });

  it("says the room was deleted on 4004 and signs out on 4001", () => {
    connect([], 0);
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

  it("asks the HTTP API why after sockets keep failing to open, and stops on 404", async () => {
    vi.mocked(fetch).mockResolvedValue(json({ error: { code: "not_found", message: "room not found" } }, 404));
    last().drop(); // never opened: the browser hides the upgrade's HTTP status
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    last().drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).toHaveBeenCalledWith(`/api/rooms/${room.id}`, expect.objectContaining({ method: "GET" }));
    expect(store.problem.value).toEqual({ kind: "deleted", message: "This room was deleted" });
    expect(store.connection.value).toBe("closed");
  });

  it("keeps retrying the socket when the HTTP API says the room is there", async () => {
    last().drop();
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    last().drop();
    await vi.advanceTimersByTimeAsync(BACKOFF_CAP_MS);
    expect(store.problem.value).toBeNull();
    expect(FakeSocket.all).toHaveLength(3);
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

  it("owner actions go over HTTP (a reset invite replaces the code; a refusal is returned, not a problem)", async () => {
    vi.mocked(fetch).mockResolvedValueOnce(json({ invite: "invite-2" }));
    expect(await store.resetInvite()).toBeNull();
    expect(store.room.value.invite).toBe("invite-2");
    vi.mocked(fetch).mockResolvedValueOnce(new Response(null, { status: 204 }));
    expect(await store.removeMember(bob.id)).toBeNull();
    expect(store.members.value.map((x) => x.name)).toEqual(["Alice"]);
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "forbidden", message: "only the owner can do that" } }, 403));
    expect(await store.resetInvite()).toMatchObject({ status: 403, message: "only the owner can do that" });
    expect(store.problem.value).toBeNull();
  });

  it("leaving on purpose is not news: the room's 4003 for our own leave shows no problem", async () => {
    connect([], 0);
    let answer!: (r: Response) => void;
    vi.mocked(fetch).mockReturnValueOnce(new Promise((r) => (answer = r)));
    const leaving = store.leave();
    last().drop(Close.FORBIDDEN); // the room kicks us before the HTTP answer
    answer(new Response(null, { status: 204 }));
    expect(await leaving).toBeNull();
    expect(store.problem.value).toBeNull();
    expect(store.connection.value).toBe("closed");
  });

  it("a delete that fails leaves the room open and a later 4004 is news again", async () => {
    connect([], 0);
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "forbidden", message: "only the owner can do that" } }, 403));
    expect(await store.remove()).toMatchObject({ status: 403 });
    expect(store.connection.value).toBe("online");
    last().drop(Close.ROOM_GONE);
    expect(store.problem.value?.kind).toBe("deleted");
  });
});

describe("room store: with the sidebar and the app", () => {
  function fakeHost() {
    const roomsChanged = new Emitter();
    const sessionChanged = new Emitter();
    const calls: string[] = [];
    const host: Required<RoomHost> = {
      app: { onSessionChanged: sessionChanged.on, sessionLost: async () => void calls.push("sessionLost") },
      sidebar: {
        setActive: (id) => void calls.push(`active:${id}`),
        markRead: (id, seq) => void calls.push(`read:${id === room.id ? "room" : id}:${seq}`),
        markUnread: (id, seq) => void calls.push(`unread:${id === room.id ? "room" : id}:${seq}`),
        onRoomsChanged: roomsChanged.on,
        forget: (id) => void calls.push(`forget:${id === room.id ? "room" : id}`),
        rooms: signal([]),
      },
    };
    return { host, calls, roomsChanged, sessionChanged };
  }
  const setVisible = (visible: boolean) => {
    (document as unknown as { visibilityState: string }).visibilityState = visible ? "visible" : "hidden";
    document.dispatchEvent(new Event("visibilitychange"));
  };

  let h: ReturnType<typeof fakeHost>;
  beforeEach(() => {
    store.dispose();
    FakeSocket.all = [];
    h = fakeHost();
    store = createRoomStore(roomResponse, alice, h.host);
  });

  it("shown in a visible tab, it is the active room and marks its newest message read", () => {
    connect([m(1), m(2)], 2);
    expect(h.calls).toEqual([]); // not shown yet (e.g. kept off screen for its call)
    const hide = store.show();
    expect(h.calls).toEqual([`active:${room.id}`, "read:room:2"]);
    last().receive({ type: "msgs", messages: [m(3)] });
    expect(h.calls.at(-1)).toBe("read:room:3");
    hide();
    expect(h.calls.at(-1)).toBe("active:null");
    last().receive({ type: "msgs", messages: [m(4)] });
    expect(h.calls.at(-1)).toBe("active:null");
  });

  it("a hidden tab counts unread: nothing is marked read until it is visible again", () => {
    connect([m(1)], 1);
    store.show();
    setVisible(false);
    h.calls.length = 0;
    last().receive({ type: "msgs", messages: [m(2)] });
    expect(h.calls).toEqual([]);
    setVisible(true);
    expect(h.calls).toEqual([`active:${room.id}`, "read:room:2"]);
  });

  it("refreshes its details when the user's room list changes", async () => {
    vi.mocked(fetch).mockResolvedValue(json({ room: { ...room, name: "Renamed" }, members }));
    h.roomsChanged.emit();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.room.value.name).toBe("Renamed");
  });

  it("redials at once on a new session", () => {
    connect([], 0);
    last().drop();
    expect(FakeSocket.all).toHaveLength(1);
    h.sessionChanged.emit();
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("signed out: tells the app; a new session for the same person starts the room again", async () => {
    connect([m(1)], 1);
    last().drop(Close.UNAUTHORIZED);
    expect(h.calls).toEqual(["sessionLost"]);
    expect(store.connection.value).toBe("closed");
    h.sessionChanged.emit();
    expect(store.problem.value).toBeNull();
    expect(FakeSocket.all).toHaveLength(2);
    expect(last().since).toBe("1");
    connect([], 1);
    expect(store.connection.value).toBe("online");
  });

  it("removed or deleted: the sidebar forgets the room", () => {
    connect([], 0);
    last().drop(Close.FORBIDDEN);
    expect(h.calls).toEqual(["forget:room"]);
  });

  it("stops listening when disposed", async () => {
    store.dispose();
    h.roomsChanged.emit();
    h.sessionChanged.emit();
    await vi.advanceTimersByTimeAsync(0);
    expect(fetch).not.toHaveBeenCalled();
    expect(FakeSocket.all).toHaveLength(1);
  });
});

describe("room store: what the call model gets (through web/state/call/room-adapter.ts)", () => {
  const call: CallState = {
    id: "call-1",
    media: "audio",
    caller: bob,
    startedAt: 1,
    answeredAt: null,
    participants: [{ ...bob, audio: true, video: false, screen: false, joinedAt: 1, goneSince: null }],
    ringing: [me.id],
  };

  it("the room's call signal is set before the call model hears the frame", () => {
    const room = callRoom(store);
    const heard: (string | null)[] = [];
    room.on("call", (f) => heard.push(`${f.type}:${store.call.value?.id ?? null}`));
    room.on("rtc", (f) => heard.push(`${f.type}:${store.call.value?.id ?? null}`));
    room.on("call.ended", (f) => heard.push(`${f.type}:${store.call.value?.id ?? null}`));
    connect([], 0);
    last().receive({ type: "call", call });
    last().receive({ type: "rtc", callId: "call-1", from: bob.id, candidate: null });
    last().receive({ type: "call.ended", callId: "call-1", outcome: "completed" });
    last().receive({ type: "call", call: null });
    expect(heard).toEqual(["call:call-1", "rtc:call-1", "call.ended:call-1", "call:null"]);
  });

  it("call errors go to the call model, not to the room's notice; other errors are the room's", () => {
    const heard: string[] = [];
    const off = callRoom(store).on("error", (f) => heard.push(f.code));
    connect([], 0);
    last().receive({ type: "error", code: ErrorCode.CALL_FULL, message: "call is full", req: "r1" });
    expect(store.notice.value).toBeNull();
    last().receive({ type: "error", code: ErrorCode.NO_SUCH_MESSAGE, message: "no such message" });
    expect(store.notice.value).toBe("no such message");
    off();
    last().receive({ type: "error", code: ErrorCode.CALL_FULL, message: "call is full" });
    expect(heard).toEqual([ErrorCode.CALL_FULL, ErrorCode.NO_SUCH_MESSAGE]);
  });

  it("a welcome says the room's call as it is now: one that ended while we were away is gone", () => {
    connect([], 0);
    last().receive({ type: "call", call });
    expect(store.call.value?.id).toBe("call-1");
    reconnect();
    connect([], 0, false, { call: null });
    expect(store.call.value).toBeNull();
    vi.advanceTimersByTime(BACKOFF_BASE_MS * 16); // stays up: the next drop redials after the base backoff
    reconnect();
    connect([], 0, false, { call });
    expect(store.call.value?.id).toBe("call-1");
  });

  it("hears every welcome (a new one means our socket came back), and sends call frames only when connected", () => {
    const room = callRoom(store);
    let welcomes = 0;
    room.on("welcome", () => welcomes++);
    expect(room.send({ type: "call.start", media: "audio" })).toBe(false);
    connect([], 0);
    expect(welcomes).toBe(1);
    expect(room.send({ type: "call.start", media: "audio" })).toBe(true);
    expect(last().frames().at(-1)).toEqual({ type: "call.start", media: "audio" });
    reconnect();
    connect([], 0);
    expect(welcomes).toBe(2);
  });

  it("offers the channel's typed on(type, fn) and send(frame) as they are", () => {
    const seen: number[] = [];
    store.on("welcome", (w) => seen.push(w.lastSeq));
    connect([], 9);
    expect(store.send({ type: "typing", on: true })).toBe(true);
    expect(seen).toEqual([9]);
  });
});

describe("room store: storage", () => {
  it("keeps each user's outbox apart (a shared browser never sends one person's messages as another)", () => {
    connect([], 0);
    last().drop();
    store.sendMessage("from alice");
    store.dispose();
    const bobMe: Me = { ...bob, username: "bob", kind: "account" };
    store = createRoomStore(roomResponse, bobMe);
    expect(store.pending.value).toEqual([]);
    store.dispose();
    store = createRoomStore(roomResponse, alice);
    expect(store.pending.value.map((p) => p.text)).toEqual(["from alice"]);
  });
});
