/**
 * The alarm's flush: the room's log to D1 (the system of record), in batches, then
 * reaction changes in their order, then edits in their order, then deletions (D1 rows, then R2 bytes); flushed
 * rows beyond the recent window are trimmed. Written against `History`, a small
 * interface to D1 and R2, so that failures, refusals and retries are tested without a
 * real outage (history-d1.ts is the real one).
 *
 * Rules (README, "Architecture", the message path):
 * - Inserts are idempotent (`ON CONFLICT DO NOTHING`), so a flush that reached D1 but was
 *   not recorded here repeats harmlessly.
 * - A row is marked flushed only when D1 is seen to hold that very message at its seq. A
 *   row D1 refused because it already has the same (sender, cid) at another seq is a late
 *   resend stored twice: it becomes a tombstone under its own cid (so D1 takes it and
 *   history has no hole) and every client is told it is deleted.
 * - While D1 keeps failing, retries back off (jittered, doubling, capped), and nothing
 *   else — new messages included — brings the next attempt forward.
 */
import { lastMessageOf, type Message } from "../protocol";
import { frameTo, type Effect } from "./effects";
import type { Doomed, EditChange, FlushBackoff, MentionRow, ReactionChange, RoomStore } from "./store/room-store";

/** D1 (history, members) and R2 (the bytes of deleted messages' files), as the flush needs them. */
export interface History {
  /**
   * Inserts messages idempotently and returns, for every seq of the batch that D1 holds
   * afterwards, the sender and cid of the message it holds there.
   */
  insert(roomId: string, list: readonly Message[]): Promise<Map<number, { uid: string; cid: string }>>;
  /** The seq at which D1 holds `uid`'s message `cid`, if any. */
  seqOf(roomId: string, uid: string, cid: string): Promise<number | null>;
  /** Applies reaction changes in order (idempotent). */
  reactions(roomId: string, changes: readonly ReactionChange[]): Promise<void>;
  /**
   * Applies edits in order (idempotent: a replayed batch ends in the same state; an edit never
   * overwrites a newer one, nor a deleted message).
   */
  edits(roomId: string, changes: readonly EditChange[]): Promise<void>;
  /** Message `seq` as D1 holds it, with its reactions (null: none); for frames on messages older than the log. */
  older(roomId: string, seq: number): Promise<Message | null>;
  /** Tombstones deleted messages, drops their reactions and attachment rows, and their files' bytes (idempotent). */
  deletions(roomId: string, list: readonly Doomed[]): Promise<void>;
}

/** Flushed rows kept in the room's log after they reach D1, for replay on reconnect. */
export const KEEP_FLUSHED = 1000;
/**
 * How long the (sender, cid) index remembers a message after the log let it go. A client
 * keeps an unacknowledged message and resends it on every reconnect; past this, a resend
 * is caught by D1 instead (the duplicate is turned into a tombstone at the next flush).
 */
export const DEDUPE_KEEP_MS = 30 * 24 * 3600_000;
/** Rows per flush round trip; one alarm run does at most FLUSH_ROUNDS of them. */
export const FLUSH_BATCH = 500;
export const FLUSH_ROUNDS = 10;
const DOOMED_BATCH = 50;
/** Flush retry backoff: 1 s, 2 s, 4 s … capped at 5 min, each jittered to 50–100 %. */
export const RETRY_BASE_MS = 1000;
export const RETRY_CAP_MS = 5 * 60_000;
/** Messages one Web Push round looks at (each person gets the newest that notifies them). */
export const PUSH_WINDOW = 50;
/** Older messages are not pushed (e.g. after a long D1 outage, or the first round of a room). */
export const PUSH_MAX_AGE_MS = 10 * 60_000;
/** Least time between two announcements of a room's newest message to its members' hubs. */
export const ANNOUNCE_GAP_MS = 3000;

export type FlushResult =
  /** D1 has everything this run took (`more`: the run stopped at its limit). */
  | { status: "done"; more: boolean; newest: Message | null; effects: Effect[] }
  /** Backing off: no attempt before `retryAt`. */
  | { status: "waiting"; retryAt: number; effects: Effect[] }
  | { status: "failed"; retryAt: number; failures: number; error: unknown; effects: Effect[] }
  /** The room was deleted meanwhile: nothing more may reach D1. */
  | { status: "gone"; effects: Effect[] };

export interface FlushOptions {
  roomId: string;
  now: number;
  /** Jitter source, in [0, 1). */
  random: () => number;
  /** True once the room is deleted (checked after every round trip). */
  gone: () => boolean;
  log?: (message: string) => void;
}

export function backoffAfter(prev: FlushBackoff | null, now: number, random: () => number): FlushBackoff {
  const failures = (prev?.failures ?? 0) + 1;
  const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (failures - 1));
  return { failures, retryAt: now + delay / 2 + random() * (delay / 2) };
}

export async function flush(store: RoomStore, history: History, o: FlushOptions): Promise<FlushResult> {
  const backoff = store.flushBackoff();
  if (backoff && o.now < backoff.retryAt) return { status: "waiting", retryAt: backoff.retryAt, effects: [] };
  const effects: Effect[] = [];
  try {
    const r = await flushAll(store, history, o, effects);
    if (r !== "gone") store.setFlushBackoff(null);
    return r === "gone" ? { status: "gone", effects } : { status: "done", ...r, effects };
  } catch (error) {
    if (o.gone()) return { status: "gone", effects };
    const next = backoffAfter(backoff, o.now, o.random);
    store.setFlushBackoff(next);
    return { status: "failed", ...next, error, effects };
  }
}

async function flushAll(store: RoomStore, history: History, o: FlushOptions, effects: Effect[]): Promise<{ more: boolean; newest: Message | null } | "gone"> {
  let newest: Message | null = null;
  let more = false;
  for (let round = 0; ; round++) {
    if (round === FLUSH_ROUNDS) {
      more = true;
      break;
    }
    const rows = store.unflushed(FLUSH_BATCH);
    if (rows.length === 0) break;
    const held = await history.insert(o.roomId, rows);
    if (o.gone()) return "gone";
    const taken: number[] = [];
    let redo = false;
    for (const m of rows) {
      const h = held.get(m.seq);
      if (h && h.uid === m.uid && h.cid === m.cid) {
        taken.push(m.seq);
        if (!newest || m.seq > newest.seq) newest = m;
      } else if (h) {
        store.markRefused(m.seq);
        o.log?.(`flush: D1 holds another message at seq ${m.seq}; the room's row stays unflushed for good`);
      } else {
        const original = await history.seqOf(o.roomId, m.uid, m.cid);
        if (o.gone()) return "gone";
        if (original === null) throw new Error(`D1 did not take message ${m.seq} and holds no copy of it`);
        store.markDuplicate(m.seq, original);
        effects.push(frameTo({ all: true }, { type: "deleted", seq: m.seq }));
        redo = true; // the tombstone goes out in the next round
      }
    }
    store.markFlushed(taken);
    if (rows.length < FLUSH_BATCH && !redo) break;
  }
  store.trim(KEEP_FLUSHED, o.now - DEDUPE_KEEP_MS);

  // Reactions after the messages they are on; in their order, so a replay ends in the same state.
  const reactions = await drain(
    (n) => store.reactionChanges(n),
    (c) => history.reactions(o.roomId, c),
    (id) => store.dropReactionChanges(id),
    o,
  );
  if (reactions === "gone") return "gone";
  // Edits after the messages they change (a row inserted above already carries its edited text).
  // An edit of the room's newest message is news for the sidebars' previews.
  const top = store.newestFlushed();
  let topEdited = false;
  const edits = await drain(
    (n) => store.editChanges(n),
    (c) => ((topEdited ||= c.some((e) => e.seq === top?.seq)), history.edits(o.roomId, c)),
    (id) => store.dropEditChanges(id),
    o,
  );
  if (edits === "gone") return "gone";
  if (topEdited && !newest) newest = store.newestFlushed();
  more ||= reactions === "more" || edits === "more";

  // Deleted messages last: tombstone in D1, their reactions and attachment rows gone, then the bytes.
  const doomed = store.doomed(DOOMED_BATCH);
  if (doomed.length > 0) {
    await history.deletions(o.roomId, doomed);
    if (o.gone()) return "gone";
    store.dropDoomed(doomed.at(-1)!.seq);
    if (doomed.length === DOOMED_BATCH) more = true;
  }
  return { more, newest };
}

/**
 * Applies an ordered change log (reactions, edits) to D1 in batches, oldest first, dropping
 * each batch once D1 has it: "more" when the run stopped at its limit with changes left.
 */
async function drain<C extends { id: number }>(
  take: (limit: number) => C[],
  apply: (changes: C[]) => Promise<void>,
  drop: (upToId: number) => void,
  o: FlushOptions,
): Promise<"done" | "more" | "gone"> {
  for (let round = 0; ; round++) {
    const changes = take(FLUSH_BATCH);
    if (changes.length === 0) return "done";
    if (round === FLUSH_ROUNDS) return "more";
    await apply(changes);
    if (o.gone()) return "gone";
    drop(changes.at(-1)!.id);
    if (changes.length < FLUSH_BATCH) return "done";
  }
}

/**
 * The members' sidebars hear about a busy room at most once per ANNOUNCE_GAP_MS: each
 * announcement wakes one hub per member, which must not grow with the message rate.
 * Returns the message to announce now (null: none) and when the alarm must come back
 * for a deferred one (null: no need).
 */
export function announcement(store: RoomStore, newest: Message | null, now: number): { announce: Message | null; at: number | null } {
  const s = store.announceState();
  if (!newest && !s.pending) return { announce: null, at: null };
  if (now - s.at >= ANNOUNCE_GAP_MS) {
    const m = newest ?? store.newestFlushed();
    store.setAnnounceState({ at: now, pending: false });
    return { announce: m, at: null };
  }
  store.setAnnounceState({ at: s.at, pending: true });
  return { announce: null, at: s.at + ANNOUNCE_GAP_MS };
}

/** The hub notice for a room's newest message (and, since mentions, the mentions since the last one: mentions.ts). */
export const activityOf = (m: Message, mentioned: MentionRow[] = []) => ({
  type: "activity" as const,
  lastSeq: m.seq,
  lastMessage: lastMessageOf(m),
  ...(mentioned.length > 0 ? { mentioned } : {}),
});
/**
 * Web Push goes at the announcements' pace (at most once per ANNOUNCE_GAP_MS per room, so a
 * busy room costs each person one push per gap, not one per flush): called when the room
 * announces, it returns what reached D1 since the last round (at most PUSH_WINDOW, oldest
 * first, none older than PUSH_MAX_AGE_MS) and remembers where this round ended.
 */
export function pushRound(store: RoomStore, now: number): Message[] {
  const newest = store.newestFlushed();
  const after = store.pushedSeq();
  if (!newest || newest.seq <= after) return [];
  store.setPushedSeq(newest.seq);
  return store
    .page(newest.seq + 1, PUSH_WINDOW)
    .filter((m) => m.seq > after && m.ts >= now - PUSH_MAX_AGE_MS)
    .reverse();
}

/** For the adapter's log line. */
export const describeFailure = (r: Extract<FlushResult, { status: "failed" }>, now: number) =>
  `flush failed (attempt ${r.failures}), retrying in ${Math.round(r.retryAt - now)} ms`;
