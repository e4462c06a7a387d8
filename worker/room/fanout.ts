/**
 * Fan-out to every socket of stored messages and of presence changes, batched adaptively
 * (README, "Architecture"): a room that keeps up sends each at once, as its own frame;
 * what arrives while the previous fan-out is still going out waits and leaves together,
 * one frame per socket, so under load throughput grows instead of latency.
 *
 * Presence changes have a gate of their own: the first goes at once, then at most one frame
 * per `presenceGapMs` carries what changed meanwhile, the last change per person winning.
 * Nobody notices a quarter of a second on "online"; a join storm of n people, each change
 * to every socket, would otherwise cost n² frames (at 500, ~250,000 sends, and tens of MiB of
 * the runtime's memory in send buffers: bench, memory). A held change lost to an eviction
 * within that quarter second is corrected by the next welcome or presence frame.
 *
 * "While the previous fan-out is going out" is what the runtime lets us see: after each
 * fan-out a check is scheduled (`later`), and messages handled before it runs arrived
 * behind that fan-out. The check's delay adapts: 0 while the room keeps up; when checks
 * keep finding several messages waiting, it doubles (up to `maxWindowMs`) so that they
 * batch into fewer, larger frames; a check that finds just one halves it (that is only the
 * room's pace: at 100 msg/s a 10 ms window always catches one, and a window stuck at its
 * cap made a quiet 50-person room wait ~10 ms on every message); one that finds none
 * ends it: the room is quiet again.
 *
 * The check is the room's one timer, and it only exists while messages are flowing, when
 * the object is awake anyway. The messages are already durable and acked, so a lost timer
 * (the object evicted within those milliseconds) would only delay them to the next
 * reconnect's replay.
 *
 * Read receipts have a gate too, one that always waits: a change (a read, a message that
 * reached someone's device) is held for `receiptsGapMs`, and one frame then carries every
 * member whose position changed meanwhile. So a busy room costs at most a few receipts
 * frames a second, however many messages and readers it has (receipts.ts).
 *
 * There is deliberately no clock here. A check can run late when the runtime is busy with a
 * stream of events; sending what waits inline once it is "overdue" looks like a fix but, at
 * 500 members, turns into a cycle (every inline fan-out delays the next check further) that
 * halved deliveries per second and took p99 to seconds in the bench. A late check means the
 * room is saturated, and then a bigger batch is exactly what it needs.
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
  /** Sends the positions of these members (their receipts changed) to every socket. */
  deliverReceipts(uids: ReadonlySet<string>): void;
  /** Runs `fn` after `ms` (setTimeout in the room; a fake in tests). */
  later(fn: () => void, ms: number): void;
}

/** The longest a message may wait for others to share its frame. */
export const MAX_WINDOW_MS = 10;
/** At most one presence frame per this long (the first change of a quiet spell goes at once). */
export const PRESENCE_GAP_MS = 250;
/** Receipt changes wait this long and leave together, one frame per gap at most. */
export const RECEIPTS_GAP_MS = 400;

export class Fanout {
  readonly #deps: FanoutDeps;
  readonly #maxWindowMs: number;
  readonly #presenceGapMs: number;
  #waiting: Message[] = [];
  /** Presence changes waiting, per user: the last one wins (online with a name, or gone: null). */
  #presence = new Map<string, Peer | null>();
  /** A presence frame went out less than presenceGapMs ago: changes wait for the gate's check. */
  #presenceHeld = false;
  #presenceGen = 0;
  readonly #receiptsGapMs: number;
  /** Members whose receipts changed since the last receipts frame (a check is scheduled while not empty). */
  #receipts = new Set<string>();
  #receiptsGen = 0;
  /** A check is scheduled: a fan-out went out and what arrives now waits for it. */
  #busy = false;
  /** Which scheduled check is the current one (`drop` retires the pending one). */
  #gen = 0;
  /** The delay of the next check: 0 while the room keeps up, longer under load. */
  #window = 0;

  constructor(deps: FanoutDeps, maxWindowMs = MAX_WINDOW_MS, presenceGapMs = PRESENCE_GAP_MS, receiptsGapMs = RECEIPTS_GAP_MS) {
    this.#deps = deps;
    this.#receiptsGapMs = receiptsGapMs;
    this.#maxWindowMs = maxWindowMs;
    this.#presenceGapMs = presenceGapMs;
  }

  publish(m: Message): void {
    if (this.#busy) {
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
    if (this.#presenceHeld) {
      for (const p of delta.joined) this.#presence.set(p.id, p);
      for (const id of delta.left) this.#presence.set(id, null);
      return;
    }
    this.#deps.deliverPresence(delta, except);
    this.#holdPresence();
  }

  #holdPresence(): void {
    this.#presenceHeld = true;
    const gen = ++this.#presenceGen;
    this.#deps.later(() => {
      if (gen === this.#presenceGen) this.#presenceCheck();
    }, this.#presenceGapMs);
  }

  #presenceCheck(): void {
    if (this.#presence.size === 0) {
      this.#presenceHeld = false;
      return;
    }
    const delta: PresenceDelta = { joined: [], left: [] };
    for (const [id, p] of this.#presence) {
      if (p) delta.joined.push(p);
      else delta.left.push(id);
    }
    this.#presence = new Map();
    this.#deps.deliverPresence(delta);
    this.#holdPresence();
  }

  /** The receipts of `uid` changed: they go out with the others' at the end of the gap. */
  receipts(uid: string): void {
    const first = this.#receipts.size === 0;
    this.#receipts.add(uid);
    if (!first) return;
    const gen = ++this.#receiptsGen;
    this.#deps.later(() => {
      if (gen !== this.#receiptsGen) return;
      const uids = this.#receipts;
      this.#receipts = new Set();
      this.#deps.deliverReceipts(uids);
    }, this.#receiptsGapMs);
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
    if (list.length === 0) {
      // Nothing came in behind the last fan-out: the room keeps up.
      this.#busy = false;
      this.#window = 0;
      return;
    }
    this.#waiting = [];
    // Several piled up behind that fan-out: the room is busy, give the next batch longer
    // to gather. Only one: that is just the room's pace (at 100 msg/s a 10 ms window always
    // catches one), and waiting for it gained nothing: shorten the window.
    this.#window = list.length > 1 ? Math.min(this.#maxWindowMs, Math.max(1, this.#window * 2)) : Math.floor(this.#window / 2);
    this.#deps.deliver(list);
    this.#schedule();
  }

  /** Forgets what is waiting (the room was deleted). */
  drop(): void {
    this.#waiting = [];
    this.#presence.clear();
    this.#receipts.clear();
    this.#receiptsGen++;
    this.#busy = false;
    this.#presenceHeld = false;
    this.#window = 0;
    this.#gen++;
    this.#presenceGen++;
  }
}
