/**
 * Presence as a person's hub holds it (pure: no I/O, no clock). The hub sees its user's
 * sockets; each tab says whether it is away (hidden, or idle for AWAY_IDLE_MS). When the
 * user's status changes, the hub tells the live hubs of the people who share a room with
 * them — one call per hub, whatever the number of shared rooms — and never an idle hub:
 * a person who comes back reads everyone's presence from those answers and from D1
 * (`users.last_seen_at`).
 */
import type { Presence, PresenceStatus } from "../protocol";

/** At most this many hubs are called at once by one presence change (the rest follow in turn). */
export const PRESENCE_CALLS_AT_ONCE = 50;

/** The user's status from their live sockets: online if one is in use, away if all are away, offline with none. */
export function statusOf(sockets: readonly { away?: boolean }[]): PresenceStatus {
  if (sockets.length === 0) return "offline";
  return sockets.some((s) => !s.away) ? "online" : "away";
}

/** A co-member as D1 knows them (queries.ts, coMembers). */
export interface CoMember {
  id: string;
  live: boolean;
  lastSeen: number;
}

/**
 * Whom a change is told to (the live hubs only), and what is known without asking of the
 * others: offline, last seen when D1 says.
 */
export function presencePlan(rows: readonly CoMember[]): { tell: string[]; offline: Presence[] } {
  const tell: string[] = [];
  const offline: Presence[] = [];
  for (const r of rows) {
    if (r.live) tell.push(r.id);
    else offline.push({ id: r.id, status: "offline", lastSeen: r.lastSeen });
  }
  return { tell, offline };
}

/**
 * The whole list a user coming online sees: the live hubs' answers (a hub that did not
 * answer counts as offline, last seen as D1 says), then everyone else.
 */
export function presenceList(rows: readonly CoMember[], answers: ReadonlyMap<string, Presence>): Presence[] {
  return rows.map((r) => answers.get(r.id) ?? { id: r.id, status: "offline", lastSeen: r.lastSeen });
}

/** `list` in slices of at most `size`. */
export function slices<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
