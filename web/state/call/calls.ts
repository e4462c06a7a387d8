/**
 * What every call model on one signed-in page shares; one per shell:
 * - the one-call lock: a person is in one call at a time, so while one room's call runs (or
 *   starts) the others answer `call.busy` by themselves and their call buttons are off;
 * - the rings (rings.ts) from the hub and the shell's banner;
 * - the held call (holder.ts): a room's stores kept alive while its call runs off screen;
 * - the record of every peer connection open on the page and every track a call held or
 *   received, which the browser tests read as `window.__call` (all tracks must be `ended`
 *   after a call).
 */
import { signal, type ReadonlySignal } from "@preact/signals";
import { CallHolder } from "./holder";
import type { Recorder } from "./peer";
import { createRings } from "./rings";

/** Which call models on the page are in a call (or starting one). */
export class CallLock {
  readonly #holders = signal<ReadonlySet<object>>(new Set());

  enter(holder: object): void {
    if (!this.#holders.peek().has(holder)) this.#holders.value = new Set([...this.#holders.peek(), holder]);
  }

  leave(holder: object): void {
    if (this.#holders.peek().has(holder)) this.#holders.value = new Set([...this.#holders.peek()].filter((x) => x !== holder));
  }

  /** Someone other than `holder` is in a call (read in a computed, it follows changes). */
  busyBesides(holder: object): boolean {
    return [...this.#holders.value].some((x) => x !== holder);
  }

  /** The same, without subscribing. */
  peekBusyBesides(holder: object): boolean {
    return [...this.#holders.peek()].some((x) => x !== holder);
  }

  get holders(): ReadonlySignal<ReadonlySet<object>> {
    return this.#holders;
  }
}

/** The page's record of connections and tracks, for `window.__call`. */
export class CallRecord implements Recorder {
  readonly #connections = new Set<RTCPeerConnection>();
  readonly #tracks = new Set<MediaStreamTrack>();

  connection(pc: RTCPeerConnection, open: boolean): void {
    if (open) this.#connections.add(pc);
    else this.#connections.delete(pc);
  }

  track(t: MediaStreamTrack): void {
    this.#tracks.add(t);
  }

  connections(): RTCPeerConnection[] {
    return [...this.#connections];
  }

  tracks(): MediaStreamTrack[] {
    return [...this.#tracks];
  }
}

export type Calls = ReturnType<typeof createCalls>;

export function createCalls() {
  const record = new CallRecord();
  if (typeof window !== "undefined") {
    (window as unknown as { __call?: unknown }).__call = { connections: () => record.connections(), tracks: () => record.tracks() };
  }
  const holder = new CallHolder();
  return {
    lock: new CallLock(),
    record,
    rings: createRings(),
    holder,
    dispose: () => holder.dispose(),
  };
}
