/**
 * The room channel against a scripted fake socket: typed dispatch of parsed frames,
 * reconnecting with full-jitter backoff, heartbeats, the browser's offline/online events,
 * close codes that stop it for good, and the hint that an HTTP probe is due.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Close, HEARTBEAT_MS } from "../../../worker/protocol";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, MIN_UPTIME_MS, backoffDelay } from "../connection";
import { FakeSocket, stubBrowser } from "../fakes";
import { Channel } from "./channel";
import { bob, m, welcome } from "./fixtures";

let channel: Channel;
let since: number | null;
const last = () => FakeSocket.all[FakeSocket.all.length - 1]!;

beforeEach(() => {
  stubBrowser();
  since = null;
  channel = new Channel(() => `ws://chat.test/api/rooms/r/ws?v=1${since === null ? "" : `&since=${since}`}`);
  channel.connect();
});

afterEach(() => {
  channel.stop();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("room channel", () => {
  it("hands each parsed frame to the listeners of its type only, in the order they subscribed", () => {
    const seen: string[] = [];
    channel.on("msgs", (f) => seen.push(`a:${f.messages.map((x) => x.seq).join()}`));
    const off = channel.on("msgs", (f) => seen.push(`b:${f.messages.length}`));
    channel.on("typing", (f) => seen.push(`typing:${f.user.name}`));
    last().open();
    last().receive({ type: "msgs", messages: [m(1), m(2)] });
    last().receive({ type: "typing", user: bob, on: true, ttl: 1000 });
    off();
    last().receive({ type: "msgs", messages: [m(3)] });
    expect(seen).toEqual(["a:1,2", "b:2", "typing:Bob", "a:3"]);
  });

  it("drops what does not parse (a frame of the wrong shape, the heartbeat's pong)", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const seen = vi.fn();
    channel.on("msgs", seen);
    last().open();
    last().onmessage?.({ data: JSON.stringify({ type: "msgs", messages: [{ seq: "one" }] }) });
    last().onmessage?.({ data: "pong" });
    expect(seen).not.toHaveBeenCalled();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it("route() needs a handler (or null) for every frame type, and subscribes them all", () => {
    const got: string[] = [];
    const off = channel.route({
      welcome: (w) => got.push(`welcome:${w.lastSeq}`),
      ack: null,
      msgs: null,
      edited: null,
      presence: null,
      typing: null,
      receipts: null,
      members: () => got.push("members"),
      call: null,
      "call.ended": null,
      rtc: null,
      reaction: null,
      deleted: null,
      error: null,
    });
    last().open();
    last().receive(welcome([], 7));
    last().receive({ type: "members" });
    off();
    last().receive({ type: "members" });
    expect(got).toEqual(["welcome:7", "members"]);
  });

  it("a listener that throws does not keep the frame from the others", async () => {
    const seen = vi.fn();
    channel.on("members", () => {
      throw new Error("broken listener");
    });
    channel.on("members", seen);
    const thrown = new Promise<unknown>((resolve) => vi.stubGlobal("queueMicrotask", (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        resolve(e);
      }
    }));
    last().open();
    last().receive({ type: "members" });
    expect(seen).toHaveBeenCalledTimes(1);
    expect(await thrown).toMatchObject({ message: "broken listener" });
  });

  it("sends typed frames when open and refuses (false) when not", () => {
    expect(channel.send({ type: "typing", on: true })).toBe(false);
    last().open();
    expect(channel.send({ type: "typing", on: true })).toBe(true);
    expect(last().frames()).toEqual([{ type: "typing", on: true }]);
  });

  it("says connecting, online, reconnecting, offline, closed", () => {
    expect(channel.state.value).toBe("connecting");
    last().open();
    expect(channel.state.value).toBe("online");
    last().drop();
    expect(channel.state.value).toBe("reconnecting");
    channel.stop();
    expect(channel.state.value).toBe("closed");
  });

  it("dials with a fresh URL each time (the latest `since`)", () => {
    last().open();
    since = 42;
    last().drop();
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    expect(FakeSocket.all).toHaveLength(2);
    expect(last().since).toBe("42");
  });

  it("does not reconnect after a NO_RECONNECT close, and tells the close code", () => {
    const closes: [number, boolean][] = [];
    channel.onClose((code, opened) => closes.push([code, opened]));
    last().open();
    last().drop(Close.FORBIDDEN);
    vi.advanceTimersByTime(BACKOFF_CAP_MS * 2);
    expect(FakeSocket.all).toHaveLength(1);
    expect(channel.state.value).toBe("closed");
    expect(closes).toEqual([[Close.FORBIDDEN, true]]);
  });

  it("connects again after a stop (a new session): a fresh socket, the same listeners", () => {
    const seen = vi.fn();
    channel.on("members", seen);
    last().open();
    last().drop(Close.UNAUTHORIZED);
    expect(channel.state.value).toBe("closed");
    channel.connect();
    expect(FakeSocket.all).toHaveLength(2);
    last().open();
    last().receive({ type: "members" });
    expect(seen).toHaveBeenCalledTimes(1);
    expect(channel.state.value).toBe("online");
  });

  it("says when an HTTP probe is due: after the 2nd, 4th, 8th attempt in a row that never opened", () => {
    const probes: number[] = [];
    channel.onUnreachable(() => probes.push(FakeSocket.all.length));
    for (let i = 0; i < 8; i++) {
      last().drop(); // never opened: the browser hides the upgrade's HTTP status
      vi.advanceTimersByTime(BACKOFF_CAP_MS);
    }
    expect(probes).toEqual([2, 4, 8]);
    last().open(); // one that opens starts the count over
    last().drop();
    vi.advanceTimersByTime(BACKOFF_CAP_MS);
    last().drop();
    expect(probes).toEqual([2, 4, 8]);
    vi.advanceTimersByTime(BACKOFF_CAP_MS);
    last().drop();
    expect(probes).toEqual([2, 4, 8, 11]);
  });

  it("goes offline with the browser and back online at once", () => {
    last().open();
    (navigator as { onLine: boolean }).onLine = false;
    window.dispatchEvent(new Event("offline"));
    expect(channel.state.value).toBe("offline");
    vi.advanceTimersByTime(BACKOFF_CAP_MS * 2);
    expect(FakeSocket.all).toHaveLength(1);
    (navigator as { onLine: boolean }).onLine = true;
    window.dispatchEvent(new Event("online"));
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("pings every HEARTBEAT_MS and reconnects when a ping goes unanswered", () => {
    last().open();
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(last().sent.at(-1)).toBe("ping");
    last().onmessage?.({ data: "pong" });
    vi.advanceTimersByTime(HEARTBEAT_MS);
    expect(FakeSocket.all).toHaveLength(1); // answered: still the same socket
    vi.advanceTimersByTime(HEARTBEAT_MS); // the second ping got nothing back
    expect(channel.state.value).toBe("reconnecting");
    vi.advanceTimersByTime(BACKOFF_BASE_MS);
    expect(FakeSocket.all).toHaveLength(2);
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
