/**
 * Token buckets, kept in the room object's memory. That is safe under hibernation:
 * the object only hibernates after a quiet spell, by which time every bucket would
 * have refilled anyway, so forgetting them loses nothing.
 */
export class TokenBuckets {
  #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
  ) {}

  /** Takes one token for `key` if it has one. */
  take(key: string, now = Date.now()): boolean {
    const b = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSec);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.#buckets.set(key, b);
    if (this.#buckets.size > 10_000) this.#prune(now);
    return ok;
  }

  /** Milliseconds until `key` has a token again (0: it has one now). */
  wait(key: string, now = Date.now()): number {
    const b = this.#buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSec);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.ratePerSec) * 1000);
  }

  /** Drops buckets that are full again (they carry no information). */
  #prune(now: number) {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.ratePerSec >= this.burst) this.#buckets.delete(k);
    }
  }
}
