/**
 * Fan-out of stored messages to every socket, batched adaptively (README, "Architecture"):
 * a room that keeps up sends each message at once, as its own frame; messages that
 * arrive while the previous fan-out is still going out wait and leave together, one
 * frame per socket, so under load throughput grows instead of latency.
 *
 * "While the previous fan-out is going out" is what the runtime lets us see: after each
 * fan-out a check is scheduled (`later`), and messages handled before it runs arrived
 * behind that fan-out. The check's delay adapts: 0 while the room keeps up; when checks
 * keep finding messages waiting, it doubles (up to `maxWindowMs`) so that they batch into
 * fewer, larger frames; as soon as one finds none, the room is quiet again.
 *
 * The check is the room's one timer, and it only exists while messages are flowing, when
 * the object is awake anyway. The messages are already durable and acked, so a lost timer
 * (the object evicted within those milliseconds) would only delay them to the next
 * reconnect's replay.
 */
import type { Message } from "../protocol";

export interface FanoutDeps {
  /** Sends one `msgs` frame with these messages (oldest first) to every socket. */
  deliver(messages: Message[]): void;
  /** Runs `fn` after `ms` (setTimeout in the room; a fake in tests). */
  later(fn: () => void, ms: number): void;
}

/** The longest a message may wait for others to share its frame. */
export const MAX_WINDOW_MS = 10;

export class Fanout {
  readonly #deps: FanoutDeps;
  readonly #maxWindowMs: number;
  #waiting: Message[] = [];
  /** A check is scheduled: a fan-out went out and what arrives now waits for it. */
  #busy = false;
  /** The delay of the next check: 0 while the room keeps up, longer under load. */
  #window = 0;

  constructor(deps: FanoutDeps, maxWindowMs = MAX_WINDOW_MS) {
    this.#deps = deps;
    this.#maxWindowMs = maxWindowMs;
  }

  publish(m: Message): void {
    if (this.#busy) {
      this.#waiting.push(m);
      return;
    }
    this.#send([m]);
  }

  #send(list: Message[]): void {
    this.#deps.deliver(list);
    this.#busy = true;
    this.#deps.later(() => this.#check(), this.#window);
  }

  #check(): void {
    const list = this.#waiting;
    if (list.length === 0) {
      // Nothing came in behind the last fan-out: the room keeps up.
      this.#busy = false;
      this.#window = 0;
      return;
    }
    this.#waiting = [];
    // Messages piled up behind that fan-out: give the next batch longer to gather.
    this.#window = Math.min(this.#maxWindowMs, Math.max(1, this.#window * 2));
    this.#send(list);
  }

  /** Forgets what is waiting (the room was deleted). */
  drop(): void {
    this.#waiting = [];
  }
}
