/**
 * Rate limits and abuse strikes, kept in the room object's memory. That is safe under
 * hibernation: the object only hibernates after a quiet spell, by which time every bucket
 * would have refilled and every strike window passed, so forgetting them loses nothing.
 * Time is passed in.
 */

/** Token buckets by key: `ratePerSec` refill, `burst` capacity. */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
  ) {}

  #level(key: string, now: number): number {
    const b = this.#buckets.get(key);
    return b ? Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSec) : this.burst;
  }

  /** Takes one token for `key` if it has one. */
  take(key: string, now: number): boolean {
    const tokens = this.#level(key, now);
    const ok = tokens >= 1;
    this.#buckets.set(key, { tokens: ok ? tokens - 1 : tokens, at: now });
    if (this.#buckets.size > 10_000) this.#prune(now);
    return ok;
  }

  /** Milliseconds until `key` has a token again (0: it has one now). */
  wait(key: string, now: number): number {
    const tokens = this.#level(key, now);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.ratePerSec) * 1000);
  }

  /** Drops buckets that are full again (they carry no information). */
  #prune(now: number) {
    for (const k of [...this.#buckets.keys()]) if (this.#level(k, now) >= this.burst) this.#buckets.delete(k);
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
