/**
 * The room's channel: its reconnecting WebSocket (../connection.ts: full-jitter backoff,
 * heartbeats, online/offline, NO_RECONNECT close codes) with the wire typed on both sides.
 * Every incoming frame is parsed with the shared schema and handed to the listeners of its
 * type, in the order they subscribed; `send` takes a ClientFrame. Nothing is queued here:
 * the outbox owns what must survive a disconnect, and anything else sent while down is
 * dropped (`send` returns false).
 */
import { computed, signal, type ReadonlySignal } from "@preact/signals";
import { parseServerFrame, type ClientFrame, type ServerFrame, type ServerFrameOf } from "../../../worker/protocol";
import { createConnection, type Connection, type SocketStatus } from "../connection";
import { Emitter } from "../emitter";

/** The connection as the person is told about it. */
export type ConnectionState = "connecting" | "online" | "reconnecting" | "offline" | "closed";

type Listener = (f: ServerFrame) => void;

/**
 * A handler for every server frame type, or null for a type that is someone else's (the
 * call store's): a frame type added to the protocol does not compile until it is routed.
 */
export type Routes = { [T in ServerFrame["type"]]: ((f: ServerFrameOf<T>) => void) | null };

export class Channel {
  readonly #url: () => string;
  /** The current socket lifecycle; a new one only after a stop (restart). */
  readonly #conn = signal<Connection | null>(null);
  readonly #everOpened = signal(false);
  readonly #listeners = new Map<ServerFrame["type"], Set<Listener>>();
  readonly #opened = new Emitter();
  readonly #closed = new Emitter<[code: number, opened: boolean]>();
  readonly #unreachable = new Emitter();
  /** Attempts in a row that never got to open. */
  #failedOpens = 0;

  readonly status: ReadonlySignal<SocketStatus> = computed(() => this.#conn.value?.status.value ?? "connecting");

  readonly state: ReadonlySignal<ConnectionState> = computed(() => {
    switch (this.status.value) {
      case "open":
        return "online";
      case "offline":
        return "offline";
      case "closed":
        return "closed";
      case "connecting":
      case "waiting":
        return this.#everOpened.value ? "reconnecting" : "connecting";
    }
  });

  /** `url` is called before every attempt, so it can carry the latest `since`. */
  constructor(url: () => string) {
    this.#url = url;
  }

  /** Listens to frames of one type; returns the unsubscribe. */
  readonly on = <T extends ServerFrame["type"]>(type: T, fn: (f: ServerFrameOf<T>) => void): (() => void) => {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    // Sound: #dispatch hands a listener only frames whose type it subscribed to.
    const l = fn as Listener;
    set.add(l);
    return () => void set.delete(l);
  };

  /** Subscribes every handler of `routes`; returns one unsubscribe for all. */
  route(routes: Routes): () => void {
    const offs = (Object.keys(routes) as ServerFrame["type"][]).flatMap((type) => {
      const fn = routes[type] as Listener | null;
      return fn ? [this.on(type, fn)] : [];
    });
    return () => offs.forEach((off) => off());
  }

  /** After every open (nothing is sent before the room's welcome, which follows). */
  readonly onOpen = this.#opened.on;
  /** After every close; `opened` is false when the attempt never got to open. */
  readonly onClose = this.#closed.on;
  /**
   * Attempts keep failing before they open (the 2nd, 4th, 8th… in a row). The browser
   * hides the upgrade's HTTP status, so only an HTTP request can tell why.
   */
  readonly onUnreachable = this.#unreachable.on;

  /** Sends now; false (and nothing is sent) when not connected. */
  readonly send = (frame: ClientFrame): boolean => this.#conn.peek()?.send(JSON.stringify(frame)) ?? false;

  /** Dials: the first time, or again after a stop (a new session replaced the one that ended us). */
  connect(): void {
    const old = this.#conn.peek();
    if (old && old.status.peek() !== "closed") return;
    this.#failedOpens = 0;
    this.#conn.value = createConnection({
      url: this.#url,
      onOpen: () => {
        this.#failedOpens = 0;
        this.#everOpened.value = true;
        this.#opened.emit();
      },
      onMessage: (data) => {
        const frame = parseServerFrame(data);
        if (frame) this.#dispatch(frame);
        else if (data !== "pong") console.warn("room: ignored an unexpected frame", data.slice(0, 200));
      },
      onClose: (code, _reason, opened) => {
        this.#closed.emit(code, opened);
        if (!opened && ++this.#failedOpens >= 2 && (this.#failedOpens & (this.#failedOpens - 1)) === 0) this.#unreachable.emit();
      },
    });
  }

  /** Skips the backoff wait and dials now (a "Retry now" click, a new session). */
  readonly reconnectNow = (): void => this.#conn.peek()?.reconnectNow();

  /** Stops for good (until connect() again). */
  stop(): void {
    this.#conn.peek()?.stop();
  }

  #dispatch(frame: ServerFrame) {
    const set = this.#listeners.get(frame.type);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(frame);
      } catch (e) {
        // One broken listener (the call store, say) must not starve the others of the frame;
        // the error still surfaces as an uncaught one.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}
