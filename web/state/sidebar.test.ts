/**
 * The sidebar store against a scripted user socket and a fake /api: live previews,
 * unread counts, ordering, read positions, refetches.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Close, type HubFrame, type Me, type RoomSummary } from "../../worker/protocol";
import { BACKOFF_BASE_MS } from "./connection";
import { FakeSocket, json, lastSocket, roomSummary, stubBrowser } from "./fakes";
import { READ_DEBOUNCE_MS, createSidebarStore, type SidebarStore } from "./sidebar";
import { createRings } from "./call/rings";

const me: Me = { id: "u-me", name: "Me", username: "me", kind: "account" };
const summary = roomSummary;
const activity = (roomId: string, seq: number, uid = "u-bob", ts = 10_000 + seq): Extract<HubFrame, { type: "activity" }> => ({
  type: "activity",
  roomId,
  lastSeq: seq,
  lastMessage: { seq, uid, name: uid === me.id ? "Me" : "Bob", text: `hello ${seq}`, ts },
});

let server: RoomSummary[];
let store: SidebarStore;
let sessionLost: ReturnType<typeof vi.fn<() => void>>;
const calls = () => vi.mocked(fetch).mock.calls.map(([url, init]) => `${init?.method} ${String(url)}${init?.body ? " " + String(init.body) : ""}`);
const ids = () => store.rooms.value.map((r) => r.id);

beforeEach(async () => {
  stubBrowser();
  server = [summary("a", 300), summary("b", 200, { unread: 2, lastSeq: 5, lastRead: 3 }), summary("c", 100)];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => {
      if (url === "/api/rooms" && init?.method === "GET") return json({ rooms: server });
      if (/\/read$/.test(url)) return new Response(null, { status: 204 });
      return json({ error: { code: "not_found", message: "no" } }, 404);
    }),
  );
  sessionLost = vi.fn<() => void>();
  store = createSidebarStore(me, { onSessionLost: sessionLost });
  await vi.advanceTimersByTimeAsync(0);
  vi.mocked(fetch).mockClear();
});

afterEach(() => {
  store.dispose();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("sidebar store", () => {
  it("loads the list, most recent activity first, and opens the user's socket", () => {
    expect(ids()).toEqual(["a", "b", "c"]);
    expect(store.loaded.value).toBe(true);
    expect(store.totalUnread.value).toBe(2);
    expect(lastSocket().url).toBe("ws://chat.test/api/me/ws");
  });

  it("a room read here before its last messages were announced counts only what came after the read position", () => {
    lastSocket().open();
    store.markRead("c", 5); // read up to 5 while looking at it; no activity frame had come yet
    lastSocket().receive(activity("c", 65));
    expect(store.rooms.value.find((r) => r.id === "c")!.unread).toBe(60);
  });

  it("reading on another device lowers the badge here, live, without telling the server again", async () => {
    lastSocket().open();
    const b = () => store.rooms.value.find((r) => r.id === "b")!;
    lastSocket().receive({ type: "read", roomId: "b", seq: 4 });
    expect(b()).toMatchObject({ unread: 1, lastRead: 4 });
    lastSocket().receive({ type: "read", roomId: "b", seq: 3 }); // late, older: nothing
    expect(b()).toMatchObject({ unread: 1, lastRead: 4 });
    lastSocket().receive({ type: "read", roomId: "b", seq: 5 });
    expect(b()).toMatchObject({ unread: 0, lastRead: 5 });
    expect(store.totalUnread.value).toBe(0);
    // New messages after it count again.
    lastSocket().receive(activity("b", 7));
    expect(b().unread).toBe(2);
    await vi.advanceTimersByTimeAsync(READ_DEBOUNCE_MS * 2);
    expect(calls().filter((c) => c.includes("/read"))).toEqual([]);
  });

  it("mark as unread sets the read position back here and on the server; another device's follows live", async () => {
    lastSocket().open();
    const b = () => store.rooms.value.find((r) => r.id === "b")!;
    store.markRead("b", 5);
    store.markUnread("b", 2);
    expect(b()).toMatchObject({ unread: 3, lastRead: 2 });
    await vi.advanceTimersByTimeAsync(READ_DEBOUNCE_MS * 2);
    // The pending read (5) was dropped: only the exact position went out.
    expect(calls().filter((c) => c.includes("/read"))).toEqual([`POST /api/rooms/b/read {"seq":2,"unread":true}`]);
    lastSocket().receive({ type: "read", roomId: "b", seq: 5 });
    expect(b()).toMatchObject({ unread: 0, lastRead: 5 });
    lastSocket().receive({ type: "read", roomId: "b", seq: 4, unread: true });
    expect(b()).toMatchObject({ unread: 1, lastRead: 4 });
    // Reading here again goes to the server (the position is below what we had sent).
    store.markRead("b", 5);
    await vi.advanceTimersByTimeAsync(READ_DEBOUNCE_MS * 2);
    expect(calls().filter((c) => c.includes("/read")).at(-1)).toBe(`POST /api/rooms/b/read {"seq":5}`);
  });

  it("an edit of a room's newest message (its activity again, new text) changes the preview, not the count", () => {
    lastSocket().open();
    lastSocket().receive(activity("c", 3));
    const before = store.rooms.value.find((r) => r.id === "c")!;
    const again = activity("c", 3);
    if (again.type === "activity") again.lastMessage.text = "hello 3, edited";
    lastSocket().receive(again);
    expect(store.rooms.value.find((r) => r.id === "c")).toMatchObject({ unread: before.unread, lastMessage: { seq: 3, text: "hello 3, edited" } });
  });

  it("a message in a background room updates its preview and unread count and moves it to the top", () => {
    lastSocket().open();
    lastSocket().receive(activity("c", 1));
    expect(ids()).toEqual(["c", "a", "b"]);
    expect(store.rooms.value[0]).toMatchObject({ unread: 1, lastSeq: 1, lastMessage: { text: "hello 1", name: "Bob" } });
    // Coalesced: one frame for several messages counts them all.
    lastSocket().receive(activity("c", 4));
    expect(store.rooms.value[0]!.unread).toBe(4);
    // A late duplicate changes nothing.
    lastSocket().receive(activity("c", 3));
    expect(store.rooms.value[0]!.unread).toBe(4);
    expect(store.totalUnread.value).toBe(6);
  });

  it("counts mentions of us from activity frames apart (the @ badge), once each; reading clears them", () => {
    lastSocket().open();
    lastSocket().receive({ ...activity("c", 3), mentions: [1, 3] });
    expect(store.rooms.value[0]).toMatchObject({ id: "c", unread: 3, mentions: 2 });
    // A late frame for seqs already counted adds nothing; a new one adds its own.
    lastSocket().receive({ ...activity("c", 2), mentions: [1] });
    lastSocket().receive({ ...activity("c", 5), mentions: [3, 5] });
    expect(store.rooms.value[0]).toMatchObject({ unread: 5, mentions: 3 });
    // Read on another device, up to the end: gone.
    lastSocket().receive({ type: "read", roomId: "c", seq: 5 });
    expect(store.rooms.value[0]).toMatchObject({ unread: 0, mentions: 0 });
    // The room on screen gains none; marking it read clears any.
    lastSocket().receive({ ...activity("a", 1), mentions: [1] });
    expect(store.rooms.value.find((r) => r.id === "a")!.mentions).toBe(1);
    store.markRead("a", 1);
    expect(store.rooms.value.find((r) => r.id === "a")!.mentions).toBe(0);
    store.setActive("b");
    lastSocket().receive({ ...activity("b", 6), mentions: [6] });
    expect(store.rooms.value.find((r) => r.id === "b")!.mentions).toBe(0);
  });

  it("never counts the room on screen, nor our own messages, as unread", () => {
    lastSocket().open();
    store.setActive("b");
    expect(store.rooms.value.find((r) => r.id === "b")!.unread).toBe(0);
    lastSocket().receive(activity("b", 6));
    lastSocket().receive(activity("c", 1, me.id));
    expect(store.rooms.value.map((r) => [r.id, r.unread])).toEqual([
      ["b", 0],
      ["c", 0],
      ["a", 0],
    ]);
  });

  it("marks read: clears the badge at once and posts the newest seq once, debounced", async () => {
    store.markRead("b", 6);
    store.markRead("b", 7);
    expect(store.rooms.value.find((r) => r.id === "b")).toMatchObject({ unread: 0, lastRead: 7 });
    expect(calls()).toEqual([]);
    await vi.advanceTimersByTimeAsync(READ_DEBOUNCE_MS);
    expect(calls()).toEqual(['POST /api/rooms/b/read {"seq":7}']);
    // Nothing new: nothing posted.
    store.markRead("b", 7);
    await vi.advanceTimersByTimeAsync(READ_DEBOUNCE_MS);
    expect(calls()).toHaveLength(1);
  });

  it("does not post a read position the server already has", async () => {
    store.markRead("b", 3);
    await vi.advanceTimersByTimeAsync(READ_DEBOUNCE_MS);
    expect(calls()).toEqual([]);
  });

  it("a refetch does not bring back a badge we cleared but the server hasn't heard of yet", async () => {
    store.markRead("b", 5);
    void store.load(); // e.g. a `rooms` frame, before the debounced read went out
    await vi.advanceTimersByTimeAsync(0);
    expect(store.rooms.value.find((r) => r.id === "b")!.unread).toBe(0);
  });

  it("refetches on a `rooms` frame (and says so), and on activity in a room it doesn't know", async () => {
    const changed = vi.fn();
    store.onRoomsChanged(changed);
    lastSocket().open();
    server = [summary("d", 400), ...server];
    lastSocket().receive({ type: "rooms" });
    await vi.advanceTimersByTimeAsync(0);
    expect(changed).toHaveBeenCalledTimes(1);
    expect(ids()).toEqual(["d", "a", "b", "c"]);
    server = [summary("e", 500, { kind: "dm", unread: 1, lastSeq: 1 }), ...server];
    lastSocket().receive(activity("e", 1));
    await vi.advanceTimersByTimeAsync(0);
    expect(ids()[0]).toBe("e");
    expect(calls()).toEqual(["GET /api/rooms", "GET /api/rooms"]);
  });

  it("tells notifications of news: activity (and whether its room is on screen), and a room new to the list with a message", async () => {
    const news: Array<[string, number, boolean, boolean]> = [];
    store.onNews((r, viewing, mentioned) => news.push([r.id, r.lastMessage?.seq ?? 0, viewing, mentioned]));
    lastSocket().open();
    store.setActive("a");
    lastSocket().receive(activity("a", 1));
    lastSocket().receive(activity("c", 2));
    // The hub's seqs that mention us make the news a mention (for rooms on Mentions only).
    lastSocket().receive({ ...activity("c", 3), mentions: [3] });
    // A DM's first message: the room arrives with the refetch, not as activity.
    const first = { seq: 1, uid: "u-bob", name: "Bob", text: "hi", ts: 1 };
    server = [summary("d", 400, { kind: "dm", unread: 1, lastSeq: 1, lastMessage: first }), summary("e", 50), ...server];
    lastSocket().receive({ type: "rooms" });
    await vi.advanceTimersByTimeAsync(0);
    expect(news).toEqual([
      ["a", 1, true, false],
      ["c", 2, false, false],
      ["c", 3, false, true],
      ["d", 1, false, false],
    ]);
  });

  it("a muted room's unread count stays out of the total", () => {
    lastSocket().open();
    store.setNotify("c", "all", Date.now() + 3600_000);
    lastSocket().receive(activity("c", 3));
    expect(store.rooms.value.find((r) => r.id === "c")!.unread).toBe(3);
    expect(store.totalUnread.value).toBe(2);
    store.setNotify("c", "all", 0);
    expect(store.totalUnread.value).toBe(5);
  });

  it("refetches after a reconnect (activity sent while away never arrived)", async () => {
    lastSocket().open();
    lastSocket().drop();
    await vi.advanceTimersByTimeAsync(BACKOFF_BASE_MS);
    expect(FakeSocket.all).toHaveLength(2);
    expect(calls()).toEqual([]);
    lastSocket().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls()).toEqual(["GET /api/rooms"]);
  });

  it("forget() drops a room at once", () => {
    store.forget("a");
    expect(ids()).toEqual(["b", "c"]);
  });

  it("reports a lost session when the socket closes with 4001, and can dial anew after it", async () => {
    lastSocket().open();
    lastSocket().drop(Close.UNAUTHORIZED);
    expect(sessionLost).toHaveBeenCalledOnce();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1); // stopped for good…
    store.reconnect(); // …until the app finds a newer session for the same person
    expect(FakeSocket.all).toHaveLength(2);
    lastSocket().open();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls()).toEqual(["GET /api/rooms"]);
  });

  it("hands call.ring / call.ring_ended to the shell's rings, and clears them after a reconnect", async () => {
    store.dispose();
    const rings = createRings();
    store = createSidebarStore(me, { onSessionLost: sessionLost, onRing: rings.receive, onReconnect: rings.reset });
    lastSocket().open();
    const caller = { id: "u-alice", name: "Alice" };
    lastSocket().receive({ type: "call.ring", roomId: "b", callId: "k1", media: "video", caller });
    lastSocket().receive({ type: "call.ring", roomId: "c", callId: "k2", media: "audio", caller });
    expect(rings.hub.value.map((r) => r.callId)).toEqual(["k1", "k2"]);
    lastSocket().receive({ type: "call.ring_ended", roomId: "c", callId: "k2" });
    expect(rings.hub.value).toEqual([{ roomId: "b", callId: "k1", media: "video", caller }]);
    rings.accept(rings.hub.value[0]!);
    expect(rings.hub.value).toEqual([]);
    expect(rings.answering.value).toEqual({ roomId: "b", callId: "k1" });
    lastSocket().receive({ type: "call.ring", roomId: "a", callId: "k3", media: "audio", caller });
    const sent: string[] = [];
    rings.decline(rings.hub.value[0]!, (room, call) => sent.push(`${room}/${call}`));
    expect(sent).toEqual(["a/k3"]);
    expect(rings.hub.value).toEqual([]);
    // After a reconnect a ring that ended meanwhile must not linger.
    lastSocket().receive({ type: "call.ring", roomId: "a", callId: "k4", media: "audio", caller });
    const sockets = FakeSocket.all.length;
    lastSocket().drop();
    await vi.advanceTimersByTimeAsync(BACKOFF_BASE_MS);
    expect(FakeSocket.all).toHaveLength(sockets + 1);
    expect(rings.hub.value).toHaveLength(1);
    lastSocket().open();
    expect(rings.hub.value).toEqual([]);
  });

  it("says hello with the tab's away state on every open, keeps presence from the hub's list and changes, and reports away", async () => {
    const sock = lastSocket();
    sock.open();
    expect(sock.frames()).toEqual([{ type: "presence", away: false }]);
    sock.receive({ type: "presence", all: true, users: [{ id: "bob", status: "online", lastSeen: 0 }, { id: "cat", status: "offline", lastSeen: 5 }] });
    sock.receive({ type: "presence", users: [{ id: "bob", status: "away", lastSeen: 0 }] });
    expect([...store.presence.value.values()]).toEqual([
      { id: "bob", status: "away", lastSeen: 0 },
      { id: "cat", status: "offline", lastSeen: 5 },
    ]);
    // A whole list replaces what was known (Cat is no longer in a room with us).
    sock.receive({ type: "presence", all: true, users: [{ id: "bob", status: "offline", lastSeen: 9 }] });
    expect([...store.presence.value.keys()]).toEqual(["bob"]);

    (document as unknown as { visibilityState: string }).visibilityState = "hidden";
    document.dispatchEvent(new Event("visibilitychange"));
    expect(sock.frames().at(-1)).toEqual({ type: "presence", away: true });
    // Reconnected while hidden: the hello says away.
    sock.drop();
    await vi.advanceTimersByTimeAsync(BACKOFF_BASE_MS * 2);
    lastSocket().open();
    expect(lastSocket().frames()[0]).toEqual({ type: "presence", away: true });
  });
});
