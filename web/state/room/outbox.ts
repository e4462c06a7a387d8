/**
 * The outbox: our messages the room has not acked yet (README, "Architecture": the message path).
 *
 * - Every message gets a cid and stays here, persisted per user and room (a reload or a
 *   crash re-sends it), until its `ack`, or until a message carrying its cid arrives (a
 *   replay after a lost ack, another tab).
 * - After every welcome the whole outbox is re-sent with the same cids; the room dedupes
 *   and re-acks.
 * - Sends are paced by a token bucket sized from the room's advertised budget
 *   (`welcome.budget`), so a long outbox or a paste-and-Enter spree goes out in order at
 *   a rate the room takes.
 * - `rate_limited` with `retryMs` means "early", not "wrong": the message stays sending,
 *   the whole outbox holds for that long (later messages wait, so the order is kept), and
 *   it goes again. Any other refusal marks that message failed (Retry / Discard).
 */
import { effect, signal, type ReadonlySignal, type Signal } from "@preact/signals";
import { mentionIdsOf, type Attachment, type ClientFrame, type ReplyQuote } from "../../../worker/protocol";
import { loadOutbox, saveOutbox } from "../storage";
import type { Pending } from "./list";

/** Past this many unsent messages, sending is refused (the draft stays). */
export const MAX_PENDING = 100;

/** A token bucket's size: `perSec` refill, `burst` capacity. */
export interface Budget {
  perSec: number;
  burst: number;
}

/** When the welcome advertises no budget (an older room): below the room's long-standing default (10/s, burst 20). */
export const DEFAULT_BUDGET: Budget = { perSec: 8, burst: 10 };

/**
 * Frames that left on schedule can arrive bunched (network jitter) and find the room's
 * bucket a fraction of a token short. Refilling at 90% of the advertised rate keeps its
 * bucket from running dry while we send steadily.
 */
export const PACE = 0.9;

/** How long a refused message waits at most / at least, whatever `retryMs` says. */
const MAX_HOLD_MS = 60_000;
const MIN_HOLD_MS = 50;

/** The pace for an advertised budget (the default one is already below the room's default). */
export function paceFor(budget: Budget | undefined): Budget {
  if (!budget || !(budget.perSec > 0) || !(budget.burst >= 1)) return DEFAULT_BUDGET;
  return { perSec: budget.perSec * PACE, burst: Math.floor(budget.burst) };
}

/** A token bucket on the local clock, like the room's (worker/room/rate-limit.ts). */
export class TokenBucket {
  #budget: Budget;
  #tokens: number;
  #at: number;

  constructor(budget: Budget, now = Date.now()) {
    this.#budget = budget;
    this.#tokens = budget.burst;
    this.#at = now;
  }

  /** A new size; the tokens we have are kept (capped by the new burst). */
  resize(budget: Budget, now = Date.now()): void {
    this.#refill(now);
    this.#budget = budget;
    this.#tokens = Math.min(this.#tokens, budget.burst);
  }

  /** Takes a token if there is one. */
  take(now = Date.now()): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0: now). */
  wait(now = Date.now()): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#budget.perSec) * 1000);
  }

  /** Spends everything: the room told us its bucket is empty. */
  empty(now = Date.now()): void {
    this.#refill(now);
    this.#tokens = 0;
  }

  #refill(now: number) {
    this.#tokens = Math.min(this.#budget.burst, this.#tokens + (Math.max(0, now - this.#at) / 1000) * this.#budget.perSec);
    this.#at = now;
  }
}

function frameOf(p: Pending): ClientFrame {
  // The ids of the text's mention tokens (web/state/mentions.ts wrote them).
  const mentions = mentionIdsOf(p.text);
  return {
    type: "send",
    cid: p.cid,
    text: p.text,
    ...(p.attachments?.length ? { attachments: p.attachments.map((a) => a.id) } : {}),
    ...(p.replyTo ? { replyTo: p.replyTo.seq } : {}),
    ...(mentions.length > 0 ? { mentions } : {}),
  };
}

export class Outbox {
  readonly #pending: Signal<readonly Pending[]>;
  readonly #transmit: (f: ClientFrame) => boolean;
  readonly #bucket = new TokenBucket(DEFAULT_BUDGET);
  /** cids to send on the current connection; they go in outbox order. */
  readonly #queued = new Set<string>();
  readonly #stopPersist: () => void;
  /** Between a welcome and the next close: sends may go out. */
  #live = false;
  /** Nothing goes out before this time (the room said we were early). */
  #heldUntil = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Ours, not acked yet, oldest first. */
  readonly pending: ReadonlySignal<readonly Pending[]>;

  /** `transmit` sends a frame now, false when not connected. */
  constructor(uid: string, roomId: string, transmit: (f: ClientFrame) => boolean) {
    this.#pending = signal<readonly Pending[]>(loadOutbox(uid, roomId));
    this.pending = this.#pending;
    this.#transmit = transmit;
    // The outbox outlives the page: what was sent but not acked is re-sent after a reload.
    this.#stopPersist = effect(() => saveOutbox(uid, roomId, this.#pending.value));
  }

  /** Queues a message (sent as soon as the connection and the pace allow). False when the outbox is full. */
  add(text: string, attachments?: readonly Attachment[], replyTo?: ReplyQuote): boolean {
    if (this.#pending.peek().length >= MAX_PENDING) return false;
    const p: Pending = { cid: crypto.randomUUID(), text, createdAt: Date.now(), status: "sending" };
    if (attachments?.length) p.attachments = [...attachments];
    if (replyTo) p.replyTo = replyTo;
    this.#pending.value = [...this.#pending.peek(), p];
    this.#enqueue(p.cid);
    return true;
  }

  /** A welcome: the connection is ready. Re-sends every message still sending, with its cid, at the room's pace. */
  start(budget?: Budget): void {
    this.#live = true;
    this.#bucket.resize(paceFor(budget));
    for (const p of this.#pending.peek()) if (p.status === "sending") this.#queued.add(p.cid);
    this.#pump();
  }

  /** The connection is gone: nothing more goes out until the next welcome (which re-queues it all). */
  stop(): void {
    this.#live = false;
    this.#queued.clear();
    clearTimeout(this.#timer);
  }

  /** The room acked `cid`: the message leaves the outbox (returned, to be shown as confirmed). */
  ack(cid: string): Pending | undefined {
    const p = this.#pending.peek().find((x) => x.cid === cid);
    if (!p) return undefined; // A re-ack of something already settled (e.g. by a replay).
    this.#queued.delete(cid);
    this.#pending.value = this.#pending.peek().filter((x) => x !== p);
    return p;
  }

  /** Messages with these cids arrived as confirmed ones (a replay, another tab): they are settled. */
  settle(cids: ReadonlySet<string>): void {
    if (cids.size === 0 || !this.#pending.peek().some((p) => cids.has(p.cid))) return;
    for (const cid of cids) this.#queued.delete(cid);
    this.#pending.value = this.#pending.peek().filter((p) => !cids.has(p.cid));
  }

  /**
   * The room took nothing yet: `retryMs` from now it will (without it, an older room: one
   * token's time at our pace). The message stays sending and everything waits; our bucket
   * is spent too, so what follows is paced from there.
   */
  early(cid: string, retryMs?: number): boolean {
    if (!this.#pending.peek().some((p) => p.cid === cid && p.status === "sending")) return false;
    const now = Date.now();
    this.#bucket.empty(now);
    const hold = Math.min(MAX_HOLD_MS, Math.max(MIN_HOLD_MS, retryMs ?? this.#bucket.wait(now)));
    this.#heldUntil = Math.max(this.#heldUntil, now + hold);
    if (this.#live) this.#enqueue(cid);
    return true;
  }

  /** The room refused `cid` for good (too long, a bad attachment…): shown failed, with Retry/Discard. */
  fail(cid: string, error: string): boolean {
    if (!this.#pending.peek().some((p) => p.cid === cid)) return false;
    this.#queued.delete(cid);
    this.#pending.value = this.#pending.peek().map((p) => (p.cid === cid ? { ...p, status: "failed", error } : p));
    return true;
  }

  /** Sends a failed message again, same cid. */
  retry(cid: string): void {
    if (!this.#pending.peek().some((p) => p.cid === cid)) return;
    this.#pending.value = this.#pending.peek().map((p) => (p.cid === cid ? { ...p, status: "sending", error: undefined } : p));
    this.#enqueue(cid);
  }

  discard(cid: string): void {
    this.#queued.delete(cid);
    this.#pending.value = this.#pending.peek().filter((p) => p.cid !== cid);
  }

  dispose(): void {
    this.stop();
    this.#stopPersist();
  }

  #enqueue(cid: string) {
    if (!this.#live) return; // The next welcome sends it.
    this.#queued.add(cid);
    this.#pump();
  }

  /** Sends what is queued, in outbox order, as far as the hold and the bucket allow; then waits. */
  #pump() {
    clearTimeout(this.#timer);
    if (!this.#live || this.#queued.size === 0) return;
    const now = Date.now();
    if (now < this.#heldUntil) {
      this.#timer = setTimeout(() => this.#pump(), this.#heldUntil - now);
      return;
    }
    for (const p of this.#pending.peek()) {
      if (!this.#queued.has(p.cid)) continue;
      if (p.status !== "sending") {
        this.#queued.delete(p.cid);
        continue;
      }
      if (!this.#bucket.take(now)) {
        this.#timer = setTimeout(() => this.#pump(), this.#bucket.wait(now));
        return;
      }
      this.#queued.delete(p.cid);
      if (!this.#transmit(frameOf(p))) {
        // The socket went away under us: the next welcome re-queues the whole outbox.
        this.stop();
        return;
      }
    }
  }
}
