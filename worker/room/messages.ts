/**
 * The message path inside the room (README, "Architecture"), and what else
 * happens to messages: reactions, deletion, the room's own messages (a call's history
 * entry), replay on (re)connect and history pages.
 *
 *   send: dedupe by (sender, cid) → the sender's and the room's budget → its files → seq assigned
 *         and stored (one transaction) → ack the sender → publish to everyone → flush due.
 *
 * Replies, edits, reactions and deletions name a message by seq. The room's log answers for
 * the recent ones (no I/O); a message older than the log is read from D1 by the adapter first
 * (`needsOlder`, rare and off the send path's common case) and passed in as `older`.
 *
 * The ack effect comes before the publish effect, and both are carried out only after
 * the write: the Durable Object's output gate holds them until it is durable, so an
 * acked message is never lost.
 */
import {
  DEFAULT_PAGE,
  ErrorCode,
  MAX_PAGE,
  REPLAY_LIMIT,
  attachReactions,
  quoteOf,
  type Attachment as FileMeta,
  type ClientFrame,
  type Message,
  type ServerFrameOf,
} from "../protocol";
import { frameTo, reject, type Conn, type Effect } from "./effects";
import { mentionProblem } from "./mentions";
import { isNewcomer, type MessageBudget } from "./rate-limit";
import type { NewMessage, RoomStore, SentRecord } from "./store/room-store";

type SendFrame = Extract<ClientFrame, { type: "send" }>;
type ReactFrame = Extract<ClientFrame, { type: "react" }>;
type DeleteFrame = Extract<ClientFrame, { type: "delete" }>;
type EditFrame = Extract<ClientFrame, { type: "edit" }>;
type Welcome = Pick<ServerFrameOf<"welcome">, "messages" | "lastSeq" | "gap" | "sync">;

/** Most distinct reactions one person may leave on one message. */
export const MAX_REACTIONS_PER_USER = 20;

function ack(conn: string, cid: string, m: SentRecord): Effect {
  return frameTo({ conn }, { type: "ack", cid, seq: m.seq, ts: m.ts, ...(m.attachments ? { attachments: m.attachments } : {}) });
}

/**
 * Whether message `seq` must be read from D1 before a frame naming it is handled: the room
 * gave it out, but its log no longer holds it.
 */
export function needsOlder(store: RoomStore, seq: number): boolean {
  return seq >= 1 && seq <= store.bounds().last && store.message(seq) === null;
}

/**
 * Message `seq` as it stands now: the log's row, else `older` (D1's copy) with what the
 * room has not flushed yet on top (its deletion, its newest edit). Null: no such message.
 */
function target(store: RoomStore, seq: number, older: Message | null): Message | null {
  const m = store.message(seq);
  if (m) return m;
  if (!older || older.seq !== seq) return null;
  if (older.deleted || store.isDoomed(seq)) return { ...older, text: "", deleted: true };
  const e = store.pendingEdit(seq);
  if (!e) return older;
  const { mentions: _, ...rest } = older;
  return { ...rest, text: e.text, edited: e.ts, ...(e.mentions ? { mentions: e.mentions } : {}) };
}

/**
 * A message from `me`, within `budget` (theirs and the room's). A reply carries the quote of
 * its original (`older`: the original when the log does not hold it).
 */
export function send(store: RoomStore, budget: MessageBudget, me: Conn, f: SendFrame, now: number, older: Message | null = null): Effect[] {
  // A resend after a lost ack: confirm it again; store and broadcast nothing.
  const sent = store.sent(me.uid, f.cid);
  if (sent) return [ack(me.conn, f.cid, sent)];
  const badMention = mentionProblem(store, me, f, { cid: f.cid });
  if (badMention) return [badMention];
  const early = budget.take(me.uid, isNewcomer(me.since, now), now);
  if (early) {
    // Only early, not abuse: the sender is told when to try again, and no strike is counted.
    const why = early.room ? "too many messages in this room right now" : "you are sending messages too fast";
    return [reject(me.conn, ErrorCode.RATE_LIMITED, why, { cid: f.cid, retryMs: early.retryMs }, false)];
  }
  let files: FileMeta[] | undefined;
  for (const id of f.attachments ?? []) {
    const file = store.file(id);
    if (!file || file.uid !== me.uid || file.seq !== null) {
      const why = `attachment ${id.slice(0, 64)} is not a finished upload of yours in this room, or is already sent`;
      return [reject(me.conn, ErrorCode.BAD_ATTACHMENT, why, { cid: f.cid })];
    }
    (files ??= []).push(file.meta);
  }
  let replyTo;
  if (f.replyTo !== undefined) {
    const o = target(store, f.replyTo, older);
    if (!o) return [reject(me.conn, ErrorCode.NO_SUCH_MESSAGE, `no message ${f.replyTo} in this room to reply to`, { cid: f.cid })];
    if (o.deleted) return [reject(me.conn, ErrorCode.MESSAGE_DELETED, "the message you reply to was deleted", { cid: f.cid }, false)];
    replyTo = quoteOf(o);
  }
  const m = store.append(
    {
      cid: f.cid,
      uid: me.uid,
      name: me.name,
      text: f.text,
      ...(files ? { attachments: files } : {}),
      ...(replyTo ? { replyTo } : {}),
      ...(f.mentions?.length ? { mentions: f.mentions } : {}),
    },
    now,
  );
  return [ack(me.conn, m.cid, m), { type: "publish", message: m }, { type: "flush" }];
}

/**
 * A message the room writes itself (a call's history entry), on the same path; its cid
 * makes a repeat a no-op. It counts against the room's budget like any message, and is
 * not written when that is spent (so a loop of calls cannot flood the history).
 */
export function record(store: RoomStore, budget: MessageBudget, m: NewMessage, now: number): Effect[] {
  if (store.sent(m.uid, m.cid) || !budget.takeRoom(now)) return [];
  return [{ type: "publish", message: store.append(m, now) }, { type: "flush" }];
}

/**
 * The author replaces the text of their message (any of theirs: `older` is D1's copy of one
 * the log no longer holds). Rate-limited like a send; everyone hears `edited`, and replies
 * quoting it show its new first line.
 */
export function edit(store: RoomStore, budget: MessageBudget, me: Conn, f: EditFrame, now: number, older: Message | null = null): Effect[] {
  const m = target(store, f.seq, older);
  if (!m) return [reject(me.conn, ErrorCode.NO_SUCH_MESSAGE, `no message ${f.seq} to edit`, { req: f.req })];
  if (m.uid !== me.uid) return [reject(me.conn, ErrorCode.NOT_YOUR_MESSAGE, "you can only edit your own messages", { req: f.req })];
  if (m.deleted) return [reject(me.conn, ErrorCode.MESSAGE_DELETED, "that message was deleted", { req: f.req }, false)];
  if (m.call || m.cid.includes(":")) return [reject(me.conn, ErrorCode.NOT_EDITABLE, "a call's entry cannot be edited", { req: f.req })];
  if (m.text === f.text) return [];
  const badMention = mentionProblem(store, me, f, { req: f.req });
  if (badMention) return [badMention];
  const early = budget.take(me.uid, isNewcomer(me.since, now), now);
  if (early) {
    const why = early.room ? "too many messages in this room right now" : "you are editing too fast";
    return [reject(me.conn, ErrorCode.RATE_LIMITED, why, { req: f.req, retryMs: early.retryMs }, false)];
  }
  const mentions = f.mentions?.length ? f.mentions : undefined;
  store.edit(f.seq, f.text, quoteOf({ ...m, text: f.text }).text, now, mentions);
  return [frameTo({ all: true }, { type: "edited", seq: f.seq, text: f.text, edited: now, ...(mentions ? { mentions } : {}) }), { type: "flush" }];
}

/**
 * Adds or removes the sender's reaction and tells everyone. No change: nothing. On a
 * message older than the log (`older`: D1's copy with its reactions), the change goes to the
 * flush as it is (D1 applies it idempotently) and to everyone.
 */
export function react(store: RoomStore, me: Conn, f: ReactFrame, now: number, older: Message | null = null): Effect[] {
  if (!store.message(f.seq)) return reactOlder(store, me, f, now, older);
  if (!store.live(f.seq)) return [reject(me.conn, ErrorCode.NO_SUCH_MESSAGE, `no message ${f.seq} to react to`, { req: f.req })];
  if (f.on && store.reactionCount(f.seq, me.uid) >= MAX_REACTIONS_PER_USER) {
    return [reject(me.conn, ErrorCode.INVALID_FRAME, `at most ${MAX_REACTIONS_PER_USER} reactions per message`, { req: f.req })];
  }
  if (!store.react(f.seq, f.emoji, me.uid, f.on, now)) return [];
  return [frameTo({ all: true }, { type: "reaction", seq: f.seq, emoji: f.emoji, user: me.uid, on: f.on }), { type: "flush" }];
}

function reactOlder(store: RoomStore, me: Conn, f: ReactFrame, now: number, older: Message | null): Effect[] {
  const m = target(store, f.seq, older);
  if (!m || m.deleted) return [reject(me.conn, ErrorCode.NO_SUCH_MESSAGE, `no message ${f.seq} to react to`, { req: f.req })];
  const mine = (m.reactions ?? []).filter((r) => r.users.includes(me.uid));
  if (f.on && mine.length >= MAX_REACTIONS_PER_USER && !mine.some((r) => r.emoji === f.emoji)) {
    return [reject(me.conn, ErrorCode.INVALID_FRAME, `at most ${MAX_REACTIONS_PER_USER} reactions per message`, { req: f.req })];
  }
  store.logReaction(f.seq, f.emoji, me.uid, f.on, now);
  return [frameTo({ all: true }, { type: "reaction", seq: f.seq, emoji: f.emoji, user: me.uid, on: f.on }), { type: "flush" }];
}

/**
 * The author deletes a message: it becomes a tombstone here at once (text, files,
 * reactions gone) and for everyone (`deleted`); D1 and R2 are cleaned by the flush.
 */
export function remove(store: RoomStore, me: Conn, f: DeleteFrame, older: Message | null = null): Effect[] {
  const m = target(store, f.seq, older);
  if (!m || m.deleted) return [reject(me.conn, ErrorCode.NO_SUCH_MESSAGE, `no message ${f.seq} to delete`, { req: f.req })];
  if (m.uid !== me.uid) return [reject(me.conn, ErrorCode.NOT_YOUR_MESSAGE, "you can only delete your own messages", { req: f.req })];
  store.tombstone(f.seq, m.attachments?.map((a) => a.id));
  return [frameTo({ all: true }, { type: "deleted", seq: f.seq }), { type: "flush" }];
}

/** Messages with seq < before (the newest when null), newest first, from the room's log. */
export function page(store: RoomStore, before: number | null, limit: number): Message[] {
  return store.page(before, Math.max(1, Math.min(MAX_PAGE, Math.floor(limit) || 1)));
}

/**
 * What a (re)connecting client is missing, bounded: the latest page on a first
 * connect; after `since`, at most REPLAY_LIMIT messages, beyond which (or before what the
 * log still holds) `gap` sends it to HTTP paging. A reconnect also gets `sync`: the
 * current reactions and deletions of the messages it already holds, which may have
 * changed while it was away.
 */
export function welcome(store: RoomStore, since: number | null): Welcome {
  const { first, last } = store.bounds();
  const latest = () => store.page(null, DEFAULT_PAGE).reverse();
  if (since === null) return { messages: latest(), lastSeq: last, gap: false };
  let w: Welcome;
  if (since >= last) w = { messages: [], lastSeq: last, gap: false };
  else if (last - since <= REPLAY_LIMIT && first !== null && since + 1 >= first) w = { messages: store.after(since), lastSeq: last, gap: false };
  else w = { messages: latest(), lastSeq: last, gap: true };
  const sync = since >= 1 && first !== null ? syncOf(store, first, Math.min(since, last)) : null;
  return sync ? { ...w, sync } : w;
}

/** The reactions and deletions of seqs `to - REPLAY_LIMIT + 1`…`to` that the log holds. */
function syncOf(store: RoomStore, first: number, to: number): Welcome["sync"] | null {
  const from = Math.max(first, to - REPLAY_LIMIT + 1);
  if (to < from) return null;
  const rows = store.reactionsBetween(from, to);
  const stubs = [...new Set(rows.map((r) => r.seq))].sort((a, b) => a - b).map((seq) => ({ seq }));
  const reactions = attachReactions(stubs, rows).map((m) => ({ seq: m.seq, reactions: m.reactions ?? [] }));
  const edited = store.editedBetween(from, to);
  return { from, to, reactions, deleted: store.deletedBetween(from, to), ...(edited.length > 0 ? { edited } : {}) };
}
