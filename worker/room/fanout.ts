/**
 * Fan-out of stored messages to every socket, coalesced under load (README,
 * "Architecture"): a message arriving when nothing went out for `windowMs` goes
 * out at once, as one frame; denser ones wait at most `windowMs` and leave together,
 * one frame per socket, so throughput grows instead of latency.
 *
 * The short timer exists only while messages are flowing, when the object is awake
 * anyway; it is the room's one timer (everything else waits for the alarm). The
 * messages are already durable and acked, so a lost timer (the object evicted within
 * those milliseconds) would only delay them to the next reconnect's replay.
 */
import type { Message } from "../protocol";

export interface FanoutDeps {
  /** Sends one `msgs` frame with these messages (oldest first) to every socket. */
  deliver(messages: Message[]): void;
  /** Runs `fn` after `ms` (setTimeout in the room; a fake in tests). */
  later(fn: () => void, ms: number): void;
  now(): number;
}

/** How long a message may wait for others to share its frame. */
export const COALESCE_MS = 10;

export class Fanout {
  readonly #deps: FanoutDeps;
  readonly #windowMs: number;
  #waiting: Message[] = [];
  #last = -Infinity;

  constructor(deps: FanoutDeps, windowMs = COALESCE_MS) {
    this.#deps = deps;
    this.#windowMs = windowMs;
  }

  publish(m: Message): void {
    const now = this.#deps.now();
    if (this.#waiting.length === 0 && now - this.#last >= this.#windowMs) {
      this.#last = now;
      return this.#deps.deliver([m]);
    }
    this.#waiting.push(m);
    if (this.#waiting.length > 1) return; // the window is already open
    this.#deps.later(() => this.#flush(), Math.max(0, this.#last + this.#windowMs - now));
  }

  #flush(): void {
    const messages = this.#waiting;
    if (messages.length === 0) return;
    this.#waiting = [];
    this.#last = this.#deps.now();
    this.#deps.deliver(messages);
  }

  /** Forgets what is waiting (the room was deleted). */
  drop(): void {
    this.#waiting = [];
  }
}
