/**
 * The room's one alarm serves everything that must happen later: the flush to D1 (and
 * its retries), the ghost sweep, the call's deadlines and a deferred sidebar
 * announcement. This is the one place that says when it must next fire.
 */

export interface AlarmInputs {
  now: number;
  /**
   * Work waiting for the flush: none; some since `since` (due a flush delay later);
   * or more than the last run could take (due at once).
   */
  flush: { pending: false } | { pending: true; since: number; more?: boolean };
  /** While D1 keeps failing: no flush before this, whatever new work arrives. */
  retryAt: number | null;
  /** A deferred announcement to the members' hubs is due then. */
  announceAt: number | null;
  /** Open sockets: the ghost sweep must come round. */
  sockets: boolean;
  /** The call's next deadline (ring timeout, a participant's grace period). */
  call: number | null;
}

export interface AlarmConfig {
  flushDelayMs: number;
  ghostAfterMs: number;
}

/** When unflushed work may go to D1. */
export function flushAt(i: Pick<AlarmInputs, "now" | "flush" | "retryAt">, flushDelayMs: number): number | null {
  if (!i.flush.pending) return null;
  const due = i.flush.more ? i.now : i.flush.since + flushDelayMs;
  return i.retryAt === null ? due : Math.max(due, i.retryAt);
}

/** The time the alarm must fire next (null: nothing to do). */
export function nextAlarm(i: AlarmInputs, cfg: AlarmConfig): number | null {
  let at = Infinity;
  for (const t of [flushAt(i, cfg.flushDelayMs), i.announceAt, i.sockets ? i.now + cfg.ghostAfterMs : null, i.call]) {
    if (t !== null) at = Math.min(at, t);
  }
  return at === Infinity ? null : at;
}
