/**
 * Pure message-list logic: merging by seq, the contiguous prefix we tell the room as
 * `since`, reactions, tombstones and a reconnect's `welcome.sync`. No signals, no clock,
 * no DOM: unit-tested in list.test.ts. Every function returns its input itself when
 * nothing changed, so a signal set to the result does not notify for a no-op.
 */
import { quoteOf, type Attachment, type Message, type Reaction, type ReplyQuote, type ServerFrameOf } from "../../../worker/protocol";

/** A message of ours the room has not acked yet. Keyed by its cid, which the room dedupes on. */
export interface Pending {
  cid: string;
  text: string;
  /** Local time it was written, ms. */
  createdAt: number;
  status: "sending" | "failed";
  /** Why it failed, for the person (set when status is "failed"). */
  error?: string;
  /** Finished uploads sent with it (their ids go in `send.attachments`). */
  attachments?: Attachment[];
  /** The message it answers, as we quoted it (its seq goes in `send.replyTo`; the room stamps its own quote). */
  replyTo?: ReplyQuote;
}

/** What a reconnect's welcome says about the messages the client already held. */
export type WelcomeSync = NonNullable<ServerFrameOf<"welcome">["sync"]>;

/**
 * Merges `incoming` into `held` (both oldest first), returning a new array in one total
 * order by seq with no duplicate seq. Returns `held` itself when nothing is new.
 */
export function mergeBySeq(held: readonly Message[], incoming: readonly Message[]): readonly Message[] {
  if (incoming.length === 0) return held;
  const last = held[held.length - 1];
  // Fast path: the common case is strictly newer messages arriving in order.
  if (!last || isAscendingAfter(incoming, last.seq)) {
    return held.length === 0 && isAscendingAfter(incoming, -1) ? incoming : [...held, ...incoming];
  }
  const bySeq = new Map<number, Message>();
  for (const m of held) bySeq.set(m.seq, m);
  let changed = false;
  for (const m of incoming) {
    if (!bySeq.has(m.seq)) {
      bySeq.set(m.seq, m);
      changed = true;
    }
  }
  if (!changed) return held;
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function isAscendingAfter(ms: readonly Message[], after: number): boolean {
  let prev = after;
  for (const m of ms) {
    if (m.seq <= prev) return false;
    prev = m.seq;
  }
  return true;
}

/**
 * The highest seq `s >= from` such that every seq in (from, s] is held: what the client
 * tells the room as `since` on reconnect. `held` is sorted by seq.
 */
export function contiguousFrom(from: number, held: readonly Message[]): number {
  let s = from;
  for (const m of held) {
    if (m.seq <= s) continue;
    if (m.seq === s + 1) s = m.seq;
    else break;
  }
  return s;
}

/** Replaces message `seq` (if held) by `fn(message)`. */
export function updateBySeq(held: readonly Message[], seq: number, fn: (m: Message) => Message): readonly Message[] {
  const i = held.findIndex((m) => m.seq === seq);
  if (i < 0) return held;
  const next = fn(held[i]!);
  if (next === held[i]) return held;
  const copy = held.slice();
  copy[i] = next;
  return copy;
}

/** A message's reactions after `user` added (`on`) or removed `emoji`; users in the order they reacted. */
export function applyReaction(rs: readonly Reaction[] | undefined, emoji: string, user: string, on: boolean): Reaction[] {
  const list = rs ? [...rs] : [];
  const i = list.findIndex((r) => r.emoji === emoji);
  if (on) {
    if (i < 0) list.push({ emoji, users: [user] });
    else if (!list[i]!.users.includes(user)) list[i] = { emoji, users: [...list[i]!.users, user] };
    return list;
  }
  if (i < 0 || !list[i]!.users.includes(user)) return list;
  const users = list[i]!.users.filter((u) => u !== user);
  if (users.length) list[i] = { emoji, users };
  else list.splice(i, 1);
  return list;
}

/** A deleted message as everyone sees it from then on. */
export function tombstone(m: Message): Message {
  const { attachments: _a, reactions: _r, ...rest } = m;
  return { ...rest, text: "", deleted: true };
}

/** The replies to `seq` among `held`, their quote changed by `fn`. */
function requote(held: readonly Message[], seq: number, fn: (q: ReplyQuote) => ReplyQuote): readonly Message[] {
  let changed = false;
  const next = held.map((m) => {
    if (m.replyTo?.seq !== seq) return m;
    const q = fn(m.replyTo);
    if (q === m.replyTo) return m;
    changed = true;
    return { ...m, replyTo: q };
  });
  return changed ? next : held;
}

/**
 * Message `seq` was edited (an `edited` frame): its new text with what it mentions now, and
 * its first line in the quotes of replies to it.
 */
export function applyEdit(held: readonly Message[], e: { seq: number; text: string; edited: number; mentions?: string[] | undefined }): readonly Message[] {
  const next = updateBySeq(held, e.seq, (m) => {
    if (m.deleted || (m.text === e.text && m.edited === e.edited)) return m;
    const { mentions: _, ...rest } = m;
    return { ...rest, text: e.text, edited: e.edited, ...(e.mentions?.length ? { mentions: e.mentions } : {}) };
  });
  const line = quoteOf({ seq: e.seq, uid: "", name: "", text: e.text }).text;
  return requote(next, e.seq, (q) => (q.deleted || q.text === line ? q : { ...q, text: line }));
}

/** Message `seq` was deleted: a tombstone, and "deleted" in the quotes of replies to it. */
export function applyDelete(held: readonly Message[], seq: number): readonly Message[] {
  const next = updateBySeq(held, seq, (m) => (m.deleted ? m : tombstone(m)));
  return requote(next, seq, (q) => (q.deleted ? q : { ...q, text: "", deleted: true }));
}

/**
 * welcome.sync: the current reactions, deletions and edits of the messages we held in
 * `sync.from`…`sync.to`. A held message not listed in `sync.reactions` has none now.
 */
export function applySync(held: readonly Message[], sync: WelcomeSync): readonly Message[] {
  let list = applySyncReactions(held, sync);
  for (const seq of sync.deleted) list = applyDelete(list, seq);
  for (const e of sync.edited ?? []) list = applyEdit(list, e);
  return list;
}

function applySyncReactions(held: readonly Message[], sync: WelcomeSync): readonly Message[] {
  const reactions = new Map(sync.reactions.map((r) => [r.seq, r.reactions]));
  const deleted = new Set(sync.deleted);
  let changed = false;
  const next = held.map((m) => {
    if (m.seq < sync.from || m.seq > sync.to) return m;
    if (deleted.has(m.seq)) {
      if (m.deleted) return m;
      changed = true;
      return tombstone(m);
    }
    const rs = reactions.get(m.seq) ?? [];
    if (JSON.stringify(rs) === JSON.stringify(m.reactions ?? [])) return m;
    changed = true;
    const { reactions: _r, ...rest } = m;
    return rs.length ? { ...rest, reactions: rs } : rest;
  });
  return changed ? next : held;
}

/**
 * After a window of history ending at `windowEnd` was merged into `held` (sorted by seq): the
 * seq after which a gap follows (the next held message is not windowEnd + 1), or null when
 * the window runs into what was held, or nothing is held after it.
 */
export function gapAfterWindow(held: readonly Message[], windowEnd: number): number | null {
  const next = held.find((m) => m.seq > windowEnd);
  return next === undefined || next.seq === windowEnd + 1 ? null : windowEnd;
}
