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
 *
 * The room's channel (room/channel.ts) types what goes over it; the sidebar's user channel
 * uses it as is.
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

/** Opens the socket at once and keeps it open until stop(). */
export function createConnection(opts: ConnectionOptions): Connection {
  return new ReconnectingSocket(opts);
}

class ReconnectingSocket implements Connection {
  readonly #opts: ConnectionOptions;
  readonly #status = signal<SocketStatus>("connecting");
  readonly #everOpened = signal(false);
  readonly #stopCode = signal<number | null>(null);
  #ws: WebSocket | null = null;
  /** Attempts since a socket last stayed up MIN_UPTIME_MS: the backoff's exponent. */
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #uptimeTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** A ping went out and nothing has come back since. */
  #awaitingPong = false;
  #stopped = false;

  readonly status: ReadonlySignal<SocketStatus> = this.#status;
  readonly everOpened: ReadonlySignal<boolean> = this.#everOpened;
  readonly stopCode: ReadonlySignal<number | null> = this.#stopCode;

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    window.addEventListener("online", this.#onOnline);
    window.addEventListener("offline", this.#onOffline);
    document.addEventListener("visibilitychange", this.#onVisible);
    this.#connect();
  }

  send(data: string): boolean {
    if (!this.#ws || this.#ws.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(data);
    return true;
  }

  reconnectNow(): void {
    if (!this.#stopped) this.#connect();
  }

  stop(code?: number): void {
    this.#stopped = true;
    this.#drop(1000, "bye");
    window.removeEventListener("online", this.#onOnline);
    window.removeEventListener("offline", this.#onOffline);
    document.removeEventListener("visibilitychange", this.#onVisible);
    batch(() => {
      this.#status.value = "closed";
      if (code !== undefined) this.#stopCode.value = code;
    });
  }

  #isOnline() {
    return typeof navigator === "undefined" || navigator.onLine !== false;
  }

  #clearTimers() {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#uptimeTimer);
    clearInterval(this.#heartbeat);
    this.#retryTimer = this.#uptimeTimer = this.#heartbeat = undefined;
  }

  /** Detaches and closes the current socket without triggering our close handling. */
  #drop(code = 1000, reason = "") {
    const s = this.#ws;
    this.#ws = null;
    this.#clearTimers();
    if (!s) return;
    s.onopen = s.onmessage = s.onclose = s.onerror = null;
    try {
      s.close(code, reason);
    } catch {
      // Already closing or closed.
    }
  }

  #connect() {
    if (this.#stopped) return;
    this.#drop();
    if (!this.#isOnline()) {
      this.#status.value = "offline";
      return;
    }
    this.#status.value = "connecting";
    let opened = false;
    const s = new WebSocket(this.#opts.url());
    this.#ws = s;
    s.onopen = () => {
      opened = true;
      this.#awaitingPong = false;
      batch(() => {
        this.#status.value = "open";
        this.#everOpened.value = true;
      });
      this.#uptimeTimer = setTimeout(() => (this.#attempt = 0), MIN_UPTIME_MS);
      this.#heartbeat = setInterval(() => {
        if (this.#awaitingPong) {
          // Nothing came back since the last ping: the link is dead even if TCP hasn't noticed.
          onClosed(4000, "heartbeat timeout");
          return;
        }
        this.#awaitingPong = true;
        s.send(HEARTBEAT_PING);
      }, HEARTBEAT_MS);
      this.#opts.onOpen?.();
    };
    s.onmessage = (e) => {
      this.#awaitingPong = false;
      if (typeof e.data === "string") this.#opts.onMessage(e.data);
    };
    // onerror is always followed by onclose; all the handling happens there.
    s.onclose = (e) => onClosed(e.code, e.reason);

    const onClosed = (code: number, reason: string) => {
      if (this.#ws !== s) return;
      this.#drop();
      this.#opts.onClose?.(code, reason, opened);
      if (this.#stopped) return;
      if (NO_RECONNECT.includes(code)) {
        this.stop(code);
        return;
      }
      this.#schedule();
    };
  }

  #schedule() {
    clearTimeout(this.#retryTimer);
    if (!this.#isOnline()) {
      this.#status.value = "offline";
      return;
    }
    this.#status.value = "waiting";
    this.#retryTimer = setTimeout(() => this.#connect(), backoffDelay(this.#attempt++));
  }

  readonly #onOnline = () => {
    const st = this.#status.peek();
    if (!this.#stopped && st !== "open" && st !== "connecting") this.#connect();
  };

  readonly #onOffline = () => {
    // The socket may linger half-open for a long time; give it up now so the UI is
    // honest and what the person sends goes to the outbox, not into a dead pipe.
    if (this.#stopped) return;
    this.#drop(1000, "offline");
    this.#status.value = "offline";
  };

  readonly #onVisible = () => {
    // A tab coming back to the foreground should not sit out a long backoff.
    if (document.visibilityState === "visible" && this.#status.peek() === "waiting") this.#connect();
  };
}
