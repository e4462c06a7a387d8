/**
 * What the device keeps for opening offline (offline.ts), as the app, the sidebar and a room
 * write and read it: shown only when the server gave no answer, never another person's,
 * gone on sign-out and on a 401, and replaced by the server's answer once it comes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Close, MAX_BODY, type Me, type RoomSummary } from "../../worker/protocol";
import { createAppModel, type AppModel } from "./app";
import { FakeSocket, json, roomSummary, stubBrowser } from "./fakes";
import { KEEP_MESSAGES, KEEP_ROOMS, KEEP_ROOM_CHARS, forgetDevice, loadRoom, loadRooms, rememberUser, rememberedUser, saveRoom, saveRooms } from "./offline";
import { createRoomStore, type RoomStore } from "./room";
import { alice, m, members, room, roomResponse, welcome } from "./room/fixtures";
import { createSidebarStore, type SidebarStore } from "./sidebar";

const ann: Me = { id: "u-ann", name: "Ann", username: "ann", kind: "account" };
const bea: Me = { id: "u-bea", name: "Bea", username: "bea", kind: "account" };
const unauthorized = () => json({ error: { code: "unauthorized", message: "no session" } }, 401);
const noAnswer = () => Promise.reject(new TypeError("Failed to fetch"));

let storage: Map<string, string>;
/** What /api answers: a Response, or a rejection (no answer at all). */
let answer: (url: string, init?: RequestInit) => Promise<Response> | Response;
const offlineKeys = () => [...storage.keys()].filter((k) => k.startsWith("chat:offline:")).sort();

beforeEach(() => {
  storage = stubBrowser();
  vi.stubGlobal("history", { pushState: vi.fn(), replaceState: vi.fn() });
  answer = () => json({ user: ann });
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init?: RequestInit) => answer(url, init)),
  );
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("the session kept on the device", () => {
  let app: AppModel;
  beforeEach(() => (app = createAppModel()));

  it("remembers who the server says is signed in, and opens as them when the server gives no answer", async () => {
    await app.checkSession();
    expect(rememberedUser()).toEqual(ann);
    expect(app.offline.value).toBe(false);

    answer = noAnswer;
    const offlineApp = createAppModel();
    await offlineApp.checkSession();
    expect(offlineApp.session.value).toEqual(ann);
    expect(offlineApp.offline.value).toBe(true);
    expect(offlineApp.sessionError.value).toBeNull();

    // Back online: the server confirms, and the app is no longer offline.
    answer = () => json({ user: { ...ann, name: "Ann B." } });
    window.dispatchEvent(new Event("online"));
    await vi.advanceTimersByTimeAsync(0);
    expect(offlineApp.session.value?.name).toBe("Ann B.");
    expect(offlineApp.offline.value).toBe(false);
    expect(rememberedUser()?.name).toBe("Ann B.");
  });

  it("never used when the server answers: a 401 signs out, a 500 is an error, and both keep nothing for the next person", async () => {
    await app.checkSession();
    saveRooms(ann.id, [roomSummary("a", 1)]);

    answer = () => json({ error: { code: "internal", message: "boom" } }, 500);
    const failing = createAppModel();
    await failing.checkSession();
    expect(failing.session.value).toBeUndefined();
    expect(failing.sessionError.value).toBe("boom");
    expect(failing.offline.value).toBe(false);

    answer = unauthorized;
    const signedOut = createAppModel();
    await signedOut.checkSession();
    expect(signedOut.session.value).toBeNull();
    expect(offlineKeys()).toEqual([]);

    // Offline afterwards: nothing to open with, so the "You're offline" card (no session).
    answer = noAnswer;
    const offlineApp = createAppModel();
    await offlineApp.checkSession();
    expect(offlineApp.session.value).toBeUndefined();
    expect(offlineApp.offline.value).toBe(false);
    expect(offlineApp.sessionError.value).toMatch(/Can't reach the server/);
  });

  it("signing out clears it all: the person, their rooms and their rooms' messages", async () => {
    await app.checkSession();
    saveRooms(ann.id, [roomSummary("a", 1)]);
    saveRoom(ann.id, { room, members }, [m(1)]);
    expect(offlineKeys()).toHaveLength(4);
    answer = () => new Response(null, { status: 204 });
    expect(await app.logout()).toBeNull();
    expect(offlineKeys()).toEqual([]);
    expect(rememberedUser()).toBeNull();
  });

  it("a lost session (a 401 found by sessionLost) clears it too", async () => {
    await app.checkSession();
    saveRooms(ann.id, [roomSummary("a", 1)]);
    answer = unauthorized;
    await app.sessionLost();
    expect(app.session.value).toBeNull();
    expect(offlineKeys()).toEqual([]);
  });

  it("another person signing in on this browser never sees the previous person's data", async () => {
    await app.checkSession();
    saveRooms(ann.id, [roomSummary("a", 1)]);
    saveRoom(ann.id, { room, members }, [m(1)]);

    // Bea's session (another tab logged in as her): Ann's data goes before Bea's is kept.
    answer = () => json({ user: bea });
    await createAppModel().checkSession();
    expect(rememberedUser()).toEqual(bea);
    expect(loadRooms(ann.id)).toBeNull();
    expect(loadRoom(ann.id, room.id)).toBeNull();
    expect(offlineKeys()).toEqual(["chat:offline:me"]);
    // A late write for Ann (a store of hers still open) keeps nothing.
    saveRooms(ann.id, [roomSummary("a", 1)]);
    saveRoom(ann.id, { room, members }, [m(1)]);
    expect(offlineKeys()).toEqual(["chat:offline:me"]);
  });
});

describe("the room list kept on the device", () => {
  let sidebar: SidebarStore | null = null;
  const server = [roomSummary("a", 300), roomSummary("b", 200, { lastSeq: 3, lastMessage: { seq: 3, uid: "u-x", name: "X", text: "hi", ts: 200 } })];
  const sidebarFor = async (user: Me) => {
    sidebar = createSidebarStore(user);
    await vi.advanceTimersByTimeAsync(0);
    return sidebar;
  };
  const roomsAnswer = (rooms: RoomSummary[]) => (url: string) => (url === "/api/rooms" ? json({ rooms }) : json({ error: { code: "not_found", message: "no" } }, 404));

  beforeEach(() => rememberUser(ann));
  afterEach(() => sidebar?.dispose());

  it("keeps the list the server gave, and shows it only when the fetch gets no answer, until the hub opens", async () => {
    answer = roomsAnswer(server);
    const online = await sidebarFor(ann);
    await vi.advanceTimersByTimeAsync(1000);
    expect(loadRooms(ann.id)?.map((r) => r.id)).toEqual(["a", "b"]);
    online.dispose();

    answer = noAnswer;
    const offline = await sidebarFor(ann);
    expect(offline.rooms.value.map((r) => r.id)).toEqual(["a", "b"]);
    expect(offline.kept.value).toBe(true);
    expect(offline.error.value).toBeNull();

    // Back: the hub's socket opens and the server's list replaces the kept one.
    answer = roomsAnswer([roomSummary("c", 400)]);
    FakeSocket.all.at(-1)!.open();
    await vi.advanceTimersByTimeAsync(0);
    expect(offline.rooms.value.map((r) => r.id)).toEqual(["c"]);
    expect(offline.kept.value).toBe(false);
  });

  it("never shows the kept list when the server answers (even with an error)", async () => {
    saveRooms(ann.id, server);
    answer = roomsAnswer([roomSummary("c", 400)]);
    expect((await sidebarFor(ann)).rooms.value.map((r) => r.id)).toEqual(["c"]);
    sidebar!.dispose();

    answer = () => json({ error: { code: "internal", message: "boom" } }, 500);
    const failing = await sidebarFor(ann);
    expect(failing.rooms.value).toEqual([]);
    expect(failing.error.value).toMatch(/boom/);
  });

  it("another user id never sees it", async () => {
    saveRooms(ann.id, server);
    answer = noAnswer;
    const hers = await sidebarFor(bea);
    expect(hers.rooms.value).toEqual([]);
    expect(hers.loaded.value).toBe(false);
    expect(hers.error.value).toBe("Can't reach the server.");
  });

  it("a list change after sign-out keeps nothing", async () => {
    answer = roomsAnswer(server);
    await sidebarFor(ann);
    forgetDevice();
    await vi.advanceTimersByTimeAsync(1000);
    expect(offlineKeys()).toEqual([]);
  });
});

describe("a room's messages kept on the device", () => {
  let store: RoomStore | null = null;
  beforeEach(() => {
    rememberUser(alice);
    answer = () => json(roomResponse);
  });
  afterEach(() => store?.dispose());

  it("keeps the newest messages the room sent, not before its welcome", async () => {
    store = createRoomStore(roomResponse, alice);
    await vi.advanceTimersByTimeAsync(1000);
    expect(loadRoom(alice.id, room.id)).toBeNull();
    const many = Array.from({ length: KEEP_MESSAGES + 10 }, (_, i) => m(i + 1));
    FakeSocket.all.at(-1)!.open();
    FakeSocket.all.at(-1)!.receive(welcome(many, many.length));
    await vi.advanceTimersByTimeAsync(1000);
    const kept = loadRoom(alice.id, room.id);
    expect(kept?.room).toEqual({ room, members });
    expect(kept?.messages.map((x) => x.seq)).toEqual(many.slice(-KEEP_MESSAGES).map((x) => x.seq));
  });

  it("opened from what was kept, it shows those messages until the welcome replaces them, and refetches the details", async () => {
    store = createRoomStore(roomResponse, alice, {}, [m(1), m(2)]);
    expect(store.ready.value).toBe(true);
    expect(store.messages.value.map((x) => x.text)).toEqual(["m1", "m2"]);
    // Sending offline queues in the outbox as always; nothing leaves before the welcome.
    expect(store.sendMessage("later")).toBe(true);
    expect(store.pending.value.map((p) => p.text)).toEqual(["later"]);

    const socket = FakeSocket.all.at(-1)!;
    expect(socket.since).toBeNull(); // the room's own page, not a replay after kept messages
    vi.mocked(fetch).mockClear();
    socket.open();
    socket.receive(welcome([m(3)], 3, true));
    expect(store.messages.value.map((x) => x.text)).toEqual(["m3"]);
    expect(socket.frames().filter((f) => f.type === "send").map((f) => f.text)).toEqual(["later"]);
    expect(vi.mocked(fetch).mock.calls.map(([url]) => String(url))).toContain(`/api/rooms/${room.id}`);
  });

  it("keeps fewer messages of a room whose newest ones are long (the outbox shares localStorage)", () => {
    const long = Array.from({ length: KEEP_MESSAGES }, (_, i) => ({ ...m(i + 1), text: "x".repeat(MAX_BODY) }));
    saveRoom(alice.id, { room, members }, long);
    const kept = loadRoom(alice.id, room.id)!;
    expect(kept.messages.length).toBeGreaterThan(0);
    expect(kept.messages.length).toBeLessThan(KEEP_MESSAGES);
    expect(kept.messages.at(-1)?.seq).toBe(KEEP_MESSAGES);
    expect(storage.get(`chat:offline:room:${alice.id}:${room.id}`)!.length).toBeLessThanOrEqual(KEEP_ROOM_CHARS);
  });

  it("keeps the last KEEP_ROOMS rooms opened, and forgets a room we were removed from", () => {
    const ids = Array.from({ length: KEEP_ROOMS + 1 }, (_, i) => `R${i}`.padEnd(22, "A"));
    for (const id of ids) saveRoom(alice.id, { room: { ...room, id }, members }, [m(1)]);
    expect(loadRoom(alice.id, ids[0]!)).toBeNull();
    expect(ids.slice(1).every((id) => loadRoom(alice.id, id) !== null)).toBe(true);

    store = createRoomStore({ room: { ...room, id: ids[1]! }, members }, alice);
    FakeSocket.all.at(-1)!.open();
    FakeSocket.all.at(-1)!.drop(Close.FORBIDDEN); // removed from the room
    expect(loadRoom(alice.id, ids[1]!)).toBeNull();
  });

  it("a room we leave is not kept, even by the write its closing flushes", async () => {
    store = createRoomStore(roomResponse, alice);
    FakeSocket.all.at(-1)!.open();
    FakeSocket.all.at(-1)!.receive(welcome([m(1)], 1));
    await vi.advanceTimersByTimeAsync(1000);
    expect(loadRoom(alice.id, room.id)?.messages).toHaveLength(1);
    FakeSocket.all.at(-1)!.receive({ type: "msgs", messages: [m(2)] }); // a write is pending
    answer = () => new Response(null, { status: 204 });
    expect(await store.leave()).toBeNull();
    store.dispose();
    store = null;
    expect(loadRoom(alice.id, room.id)).toBeNull();
  });
});
