/**
 * Read receipts, the room's pure part: each member's read and delivered positions, kept in
 * the room's storage (table `receipts`), and what each viewer may see of them.
 *
 * - Positions only move forward, and never past the room's last seq: a read from the past
 *   (another tab, "mark as unread", a forged body) changes nothing, one from the future is
 *   clamped. Read implies delivered.
 * - Delivered: a message reached one of the member's devices — a socket of theirs in the
 *   room received it (the fan-out says so), their hub heard of it (the sidebar), or they read it.
 *   Tracked in DMs only (room-io.ts `reached`): ticks show it there, and nowhere else.
 * - Privacy (the WhatsApp rule): `hidden` members ("Send read receipts" off) share no read
 *   position, and are shown no one else's; delivered positions stay visible.
 *
 * Changes travel coalesced: Fanout's receipts gate sends at most one `receipts` frame per
 * RECEIPTS_GAP_MS with every position that changed meanwhile (fanout.ts).
 */
import type { Receipt } from "../protocol";

export interface Position {
  read: number;
  delivered: number;
  /** The member turned "Send read receipts" off. */
  hidden: boolean;
}

export const NO_POSITION: Position = { read: 0, delivered: 0, hidden: false };

/**
 * `p` moved forward to `to` (each part only raised, clamped to `last`; read raises delivered
 * too), or null when nothing changed.
 */
export function advance(p: Position | undefined, to: { read?: number; delivered?: number }, last: number): Position | null {
  const was = p ?? NO_POSITION;
  const read = Math.max(was.read, Math.min(to.read ?? 0, last));
  const delivered = Math.max(was.delivered, read, Math.min(to.delivered ?? 0, last));
  if (read === was.read && delivered === was.delivered) return null;
  return { ...was, read, delivered };
}

/** One member's entry as a viewer sees it: no read position when either of them hides reads. */
export function receiptOf(id: string, p: Position, viewerHidden: boolean): Receipt {
  return p.hidden || viewerHidden || p.read === 0 ? { id, delivered: p.delivered } : { id, delivered: p.delivered, read: p.read };
}

/** The entries of `positions` as a viewer sees them (the `receipts` frame and the welcome). */
export function view(positions: ReadonlyMap<string, Position>, viewerHidden: boolean): Receipt[] {
  return [...positions].map(([id, p]) => receiptOf(id, p, viewerHidden));
}
