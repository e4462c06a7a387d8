/**
 * The room store's delivery contract against a scripted fake socket: pending → ack,
 * the outbox re-sent with the same cids after a reconnect, `since`, replays, gaps,
 * errors, close codes and the reconnect backoff. Node environment with small stand-ins
 * for the few browser globals the store touches.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Close, HEARTBEAT_MS, type Message, type Peer, type Room, type ServerFrame } from "../../worker/protocol";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay, MIN_UPTIME_MS } from "./connection";
import { createRoomStore, SEND_BURST, SEND_RATE_PER_SEC, type RoomStore } from "./room";

class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = FakeSocket.CLOSED;
  }
  // ── driven by the test ──
  open() {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  receive(f: ServerFrame) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(code = 1006) {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason: "" });
  }
  frames() {
    return this.sent.filter((s) => s !== "ping").map((s) => JSON.parse(s) as { type: string; cid?: string; text?: string });
  }
  get since() {
    return new URL(this.url).searchParams.get("since");
  }
}

const me: Peer = { id: "u-alice", name: "Alice" };
const bob: Peer = { id: "u-bob", name: "Bob" };
const room: Room = { id: "AAAAAAAAAAAAAAAAAAAAAA", name: "Test room", createdBy: me.id, createdAt: 0 };
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
  vi.useFakeTimers();
  FakeSocket.all = [];
  const storage = new Map<string, string>();
  vi.stubGlobal("WebSocket", FakeSocket);
  vi.stubGlobal("window", new EventTarget());
  vi.stubGlobal("document", Object.assign(new EventTarget(), { visibilityState: "visible" }));
  vi.stubGlobal("navigator", { onLine: true });
  vi.stubGlobal("location", { protocol: "http:", host: "chat.test" });
  vi.stubGlobal("localStorage", {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => void storage.set(k, v),
    removeItem: (k: string) => void storage.delete(k),
  });
  vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ room, members: [me, bob] }), { status: 200 })));
  store = createRoomStore(room, [me, bob], me);
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
    expect(store.problem.value?.kind).toBe("forbidden");
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
    expect(store.problem.value?.kind).toBe("not_found");
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

describe("backoffDelay", () => {
  it("is full jitter: anywhere from the floor up to the capped exponential", () => {
    expect(backoffDelay(0, () => 0)).toBe(100);
    expect(backoffDelay(3, () => 0.5)).toBe(2000);
    expect(backoffDelay(50, () => 0.999999)).toBeLessThanOrEqual(BACKOFF_CAP_MS);
    expect(backoffDelay(50, () => 0.999999)).toBeGreaterThan(BACKOFF_CAP_MS - 100);
  });
});
