/**
 * A WebSocket that reconnects by itself (after partysocket's ws.ts, minus its flaws):
 *
 * - capped exponential backoff with *full jitter* (delay = random(0, min(cap, base·2^n))),
 *   so a room full of clients dropped by the same blip does not come back in lockstep;
 * - the attempt counter is reset only after a socket has stayed up for MIN_UPTIME_MS,
 *   so a server that accepts and immediately drops us still backs off;
 * - heartbeats: HEARTBEAT_PING every HEARTBEAT_MS (the room auto-answers without waking);
 *   a ping that got no frame at all back by the next tick means a dead link, and we
 *   reconnect rather than wait for TCP to notice. Checking "was the last ping answered"
 *   instead of "time since last frame" survives background-tab timer throttling;
 * - the browser's offline/online events pause and resume it, and a close code in
 *   NO_RECONNECT stops it for good (the caller shows why);
 * - nothing is queued here: the room store owns the outbox (pending messages keyed by
 *   cid) and re-sends it after each welcome, so typing frames are simply dropped while down.
 */
import { signal, batch, type ReadonlySignal } from "@preact/signals";
import { HEARTBEAT_MS, HEARTBEAT_PING, NO_RECONNECT } from "../../worker/protocol";

export type SocketStatus =
  /** Dialling (first time or again). */
  | "connecting"
  | "open"
  /** Waiting for the next attempt. */
  | "waiting"
  /** The browser says there is no network; we wait for its online event. */
  | "offline"
  /** Stopped for good: a NO_RECONNECT close code or stop() by the owner. */
  | "closed";

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30_000;
export const MIN_UPTIME_MS = 5_000;

/** Full-jitter backoff: uniform in [0, min(cap, base·2^attempt)], at least 100 ms. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.max(100, Math.floor(random() * ceiling));
}

export interface ConnectionOptions {
  /** Called before every attempt, so the URL can carry the latest `since`. */
  url: () => string;
  onOpen?: () => void;
  onMessage: (data: string) => void;
  /** After every close; `opened` is false when the attempt never got to open. */
  onClose?: (code: number, reason: string, opened: boolean) => void;
}

export interface Connection {
  readonly status: ReadonlySignal<SocketStatus>;
  /** True once any attempt has opened: tells "Connecting…" from "Reconnecting…". */
  readonly everOpened: ReadonlySignal<boolean>;
  /** The close code that stopped the connection for good, if any. */
  readonly stopCode: ReadonlySignal<number | null>;
  /** Sends when open; returns false (and drops the frame) otherwise. */
  send(data: string): boolean;
  /** Skip the wait and dial now (e.g. the user clicked "Retry now"). */
  reconnectNow(): void;
  /** Stops for good; `code` is remembered in stopCode. */
  stop(code?: number): void;
}

export function createConnection(opts: ConnectionOptions): Connection {
  const status = signal<SocketStatus>("connecting");
  const everOpened = signal(false);
  const stopCode = signal<number | null>(null);

  let ws: WebSocket | null = null;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let uptimeTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let awaitingPong = false;
  let stopped = false;

  const online = () => typeof navigator === "undefined" || navigator.onLine !== false;

  function clearTimers() {
    clearTimeout(retryTimer);
    clearTimeout(uptimeTimer);
    clearInterval(heartbeat);
    retryTimer = uptimeTimer = heartbeat = undefined;
  }

  /** Detaches and closes the current socket without triggering our close handling. */
  function drop(code = 1000, reason = "") {
    const s = ws;
    ws = null;
    clearTimers();
    if (!s) return;
    s.onopen = s.onmessage = s.onclose = s.onerror = null;
    try {
      s.close(code, reason);
    } catch {
      // Already closing or closed.
    }
  }

  function connect() {
    if (stopped) return;
    drop();
    if (!online()) {
      status.value = "offline";
      return;
    }
    status.value = "connecting";
    let opened = false;
    const s = new WebSocket(opts.url());
    ws = s;
    s.onopen = () => {
      opened = true;
      awaitingPong = false;
      batch(() => {
        status.value = "open";
        everOpened.value = true;
      });
      uptimeTimer = setTimeout(() => (attempt = 0), MIN_UPTIME_MS);
      heartbeat = setInterval(() => {
        if (awaitingPong) {
          // Nothing came back since the last ping: the link is dead even if TCP hasn't noticed.
          onClosed(4000, "heartbeat timeout");
          return;
        }
        awaitingPong = true;
        s.send(HEARTBEAT_PING);
      }, HEARTBEAT_MS);
      opts.onOpen?.();
    };
    s.onmessage = (e) => {
      awaitingPong = false;
      if (typeof e.data === "string") opts.onMessage(e.data);
    };
    // onerror is always followed by onclose; all the handling happens there.
    s.onclose = (e) => onClosed(e.code, e.reason);

    function onClosed(code: number, reason: string) {
      if (ws !== s) return;
      drop();
      opts.onClose?.(code, reason, opened);
      if (stopped) return;
      if (NO_RECONNECT.includes(code)) {
        stop(code);
        return;
      }
      schedule();
    }
  }

  function schedule() {
    clearTimeout(retryTimer);
    if (!online()) {
      status.value = "offline";
      return;
    }
    status.value = "waiting";
    retryTimer = setTimeout(connect, backoffDelay(attempt++));
  }

  function stop(code?: number) {
    stopped = true;
    drop(1000, "bye");
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
    document.removeEventListener("visibilitychange", onVisible);
    batch(() => {
      status.value = "closed";
      if (code !== undefined) stopCode.value = code;
    });
  }

  function onOnline() {
    if (!stopped && status.value !== "open" && status.value !== "connecting") connect();
  }
  function onOffline() {
    // The socket may linger half-open for a long time; give it up now so the UI is
    // honest and what the person sends goes to the outbox, not into a dead pipe.
    if (stopped) return;
    drop(1000, "offline");
    status.value = "offline";
  }
  function onVisible() {
    // A tab coming back to the foreground should not sit out a long backoff.
    if (document.visibilityState === "visible" && status.value === "waiting") connect();
  }

  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);
  document.addEventListener("visibilitychange", onVisible);
  connect();

  return {
    status,
    everOpened,
    stopCode,
    send(data) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(data);
      return true;
    },
    reconnectNow() {
      if (!stopped) connect();
    },
    stop,
  };
}
