/**
 * Rate limits and abuse strikes, kept in the room object's memory. That is safe under
 * hibernation: the object only hibernates after a quiet spell, by which time every bucket
 * would have refilled and every strike window passed, so forgetting them loses nothing.
 * Time is passed in.
 */

/** How a token is drawn: what a new bucket starts with, and how many tokens the drawer must leave. */
export interface Draw {
  start?: number;
  keep?: number;
}

/** Token buckets by key: `ratePerSec` refill, `burst` capacity. */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
  ) {}

  /** `start`: what a bucket not seen yet holds (the full burst unless said otherwise). */
  #level(key: string, now: number, start: number): number {
    const b = this.#buckets.get(key);
    return b ? Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSec) : Math.min(this.burst, start);
  }

  /**
   * Takes one token for `key` if it has one beyond the `keep` it must leave (a reserve
   * for others). `start`: what the bucket holds if `key` has none yet.
   */
  take(key: string, now: number, { start = this.burst, keep = 0 }: Draw = {}): boolean {
    const tokens = this.#level(key, now, start);
    const ok = tokens >= keep + 1;
    this.#buckets.set(key, { tokens: ok ? tokens - 1 : tokens, at: now });
    if (this.#buckets.size > 10_000) this.#prune(now);
    return ok;
  }

  /** Milliseconds until `key` has a token again beyond `keep` (0: it has one now). */
  wait(key: string, now: number, { start = this.burst, keep = 0 }: Draw = {}): number {
    const tokens = this.#level(key, now, start);
    return tokens >= keep + 1 ? 0 : Math.ceil(((keep + 1 - tokens) / this.ratePerSec) * 1000);
  }

  /** Drops buckets that are full again (they carry no information). */
  #prune(now: number) {
    for (const k of [...this.#buckets.keys()]) if (this.#level(k, now, this.burst) >= this.burst) this.#buckets.delete(k);
  }
}

/**
 * Strikes against a connection: invalid frames and floods. `max` of them within
 * `windowMs` and the connection is closed as abusive (1008).
 */
export class Strikes {
  readonly #by = new Map<string, { n: number; since: number }>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Counts one strike; true when `key` has now reached the limit. */
  add(key: string, now: number): boolean {
    let s = this.#by.get(key);
    if (!s || now - s.since > this.windowMs) s = { n: 0, since: now };
    s.n += 1;
    this.#by.set(key, s);
    return s.n >= this.max;
  }

  forget(key: string): void {
    this.#by.delete(key);
  }
}

/** A token bucket's size: `perSec` refill, `burst` capacity. */
export interface Rate {
  perSec: number;
  burst: number;
}

/**
 * A membership younger than this is a newcomer's. Anyone with an invite link can make
 * fresh identities and join with them; a newcomer's messages are held to less (below).
 */
export const NEWCOMER_MS = 10 * 60_000;
/**
 * A newcomer's own bucket starts with this share of the burst (5 of the default 20), not all
 * of it (it refills as anyone's). A share, so that raising MSG_BURST raises it too.
 */
export const NEWCOMER_SHARE = 0.25;

/** What a newcomer's own bucket starts with, for a sender burst of `burst`. */
export const newcomerBurst = (burst: number) => Math.max(1, Math.floor(burst * NEWCOMER_SHARE));

/**
 * The share of the room's burst that newcomers cannot draw on: however many fresh
 * identities flood a room, its members keep this much to post with, and take it first
 * (newcomers get only what refills above it).
 */
export const ROOM_RESERVE = 0.5;

/** Whether a membership that began at `memberSince` is a newcomer's (unknown: a socket from before the room recorded it, not one). */
export const isNewcomer = (memberSince: number | undefined, now: number) => memberSince !== undefined && now - memberSince < NEWCOMER_MS;

const ROOM = "room";

/**
 * What a message is drawn from: its sender's bucket (the budget `welcome` advertises) and
 * the room's, which every message draws on, the room's own (a call's history line)
 * included. So a crowd of identities posts no more than one room's worth, whatever the
 * per-sender limit lets each of them do.
 */
export class MessageBudget {
  readonly #senders: TokenBuckets;
  readonly #room: TokenBuckets;
  readonly #reserve: number;
  readonly #newcomerBurst: number;

  constructor(sender: Rate, room: Rate) {
    this.#senders = new TokenBuckets(sender.perSec, sender.burst);
    this.#newcomerBurst = newcomerBurst(sender.burst);
    this.#room = new TokenBuckets(room.perSec, room.burst);
    this.#reserve = Math.floor(room.burst * ROOM_RESERVE);
  }

  /**
   * One message from `uid` (a newcomer or not): null when taken, else in how many ms it
   * would be, and whether the room's budget (not only the sender's) is what holds it.
   */
  take(uid: string, newcomer: boolean, now: number): { retryMs: number; room: boolean } | null {
    const mine: Draw = newcomer ? { start: this.#newcomerBurst } : {};
    const room: Draw = newcomer ? { keep: this.#reserve } : {};
    const senderWait = this.#senders.wait(uid, now, mine);
    const roomWait = this.#room.wait(ROOM, now, room);
    if (senderWait > 0 || roomWait > 0) return { retryMs: Math.max(senderWait, roomWait), room: roomWait > senderWait };
    this.#senders.take(uid, now, mine);
    this.#room.take(ROOM, now, room);
    return null;
  }

  /** A message the room writes itself (a call's history line): from the room's bucket alone. False: none left. */
  takeRoom(now: number): boolean {
    return this.#room.take(ROOM, now);
  }
}

/**
 * After one of a person's sockets is closed for abuse (1008), they cannot open another
 * in that room for COOLDOWN_BASE_MS; each further abuse close within COOLDOWN_MEMORY_MS
 * of the last cool-down's end doubles it, up to COOLDOWN_MAX_MS.
 */
export const COOLDOWN_BASE_MS = 10_000;
export const COOLDOWN_MAX_MS = 10 * 60_000;
export const COOLDOWN_MEMORY_MS = 60 * 60_000;

/** A person's cool-down in a room: how many abuse closes it counts, and when it ends. Kept in the room's storage. */
export interface Cooldown {
  closes: number;
  until: number;
}

/** The cool-down after another abuse close at `now`, following `prev` (if any). */
export function coolDown(prev: Cooldown | undefined, now: number): Cooldown {
  const closes = prev && now - prev.until < COOLDOWN_MEMORY_MS ? prev.closes + 1 : 1;
  return { closes, until: now + Math.min(COOLDOWN_MAX_MS, COOLDOWN_BASE_MS * 2 ** (closes - 1)) };
}
