/**
 * Fan-out to every socket of stored messages and of presence changes, batched adaptively
 * (README, "Architecture"): a room that keeps up sends each at once, as its own frame;
 * what arrives while the previous fan-out is still going out waits and leaves together,
 * one frame per socket, so under load throughput grows instead of latency. (A join storm
 * of n people then costs far fewer than n² presence frames.)
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
import type { Message, Peer } from "../protocol";

/** A presence change: who came online and who left (user ids). */
export interface PresenceDelta {
  joined: Peer[];
  left: string[];
}

export interface FanoutDeps {
  /** Sends one `msgs` frame with these messages (oldest first) to every socket. */
  deliver(messages: Message[]): void;
  /** Sends one `presence` frame to every socket (but connection `except`). */
  deliverPresence(delta: PresenceDelta, except?: string): void;
  /** Runs `fn` after `ms` (setTimeout in the room; a fake in tests). */
  later(fn: () => void, ms: number): void;
  now(): number;
}

/** The longest a message may wait for others to share its frame. */
export const MAX_WINDOW_MS = 10;

export class Fanout {
  readonly #deps: FanoutDeps;
  readonly #maxWindowMs: number;
  #waiting: Message[] = [];
  /** Presence changes waiting, per user: the last one wins (online with a name, or gone: null). */
  #presence = new Map<string, Peer | null>();
  /** A check is scheduled: a fan-out went out and what arrives now waits for it. */
  #busy = false;
  /** When the oldest of what waits arrived. */
  #since = 0;
  /** Which scheduled check is the current one (an overdue batch may go before its check runs). */
  #gen = 0;
  /** The delay of the next check: 0 while the room keeps up, longer under load. */
  #window = 0;

  constructor(deps: FanoutDeps, maxWindowMs = MAX_WINDOW_MS) {
    this.#deps = deps;
    this.#maxWindowMs = maxWindowMs;
  }

  publish(m: Message): void {
    if (this.#busy) {
      this.#hold();
      this.#waiting.push(m);
      return;
    }
    this.#deps.deliver([m]);
    this.#schedule();
  }

  /**
   * A presence change. `except`: the connection it is about, which knows already (its
   * welcome said so); in a batch it hears it too, which changes nothing for it.
   */
  presence(delta: PresenceDelta, except?: string): void {
    if (this.#busy) {
      this.#hold();
      for (const p of delta.joined) this.#presence.set(p.id, p);
      for (const id of delta.left) this.#presence.set(id, null);
      return;
    }
    this.#deps.deliverPresence(delta, except);
    this.#schedule();
  }

  /**
   * Something is about to wait. A runtime busy with a stream of events may run the check
   * late; what waits never waits longer than the window for it: past that, it goes now.
   */
  #hold(): void {
    const now = this.#deps.now();
    if (this.#waiting.length > 0 || this.#presence.size > 0) {
      if (now - this.#since < this.#maxWindowMs) return;
      this.#check();
    }
    this.#since = now;
  }

  #schedule(): void {
    this.#busy = true;
    const gen = ++this.#gen;
    this.#deps.later(() => {
      if (gen === this.#gen) this.#check(); // else a newer check replaced it
    }, this.#window);
  }

  #check(): void {
    const list = this.#waiting;
    const presence = this.#presence;
    if (list.length === 0 && presence.size === 0) {
      // Nothing came in behind the last fan-out: the room keeps up.
      this.#busy = false;
      this.#window = 0;
      return;
    }
    this.#waiting = [];
    this.#presence = new Map();
    // Things piled up behind that fan-out: give the next batch longer to gather.
    this.#window = Math.min(this.#maxWindowMs, Math.max(1, this.#window * 2));
    if (presence.size > 0) {
      const delta: PresenceDelta = { joined: [], left: [] };
      for (const [id, p] of presence) {
        if (p) delta.joined.push(p);
        else delta.left.push(id);
      }
      this.#deps.deliverPresence(delta);
    }
    if (list.length > 0) this.#deps.deliver(list);
    this.#schedule();
  }

  /** Forgets what is waiting (the room was deleted). */
  drop(): void {
    this.#waiting = [];
    this.#presence.clear();
  }
}
