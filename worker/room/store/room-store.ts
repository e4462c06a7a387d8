/**
 * Everything a room keeps in its own storage, and every SQL statement it runs: the
 * message log (the write-ahead log in front of D1), the (sender, cid) index that dedupes
 * resends, reactions and their change log, finished uploads, deleted messages still to
 * clean up, and the small KV state (the room's id, the call, flush and announce state,
 * ended memberships, cool-downs after abuse). The row ↔ message mapping is written once, here.
 *
 * Synchronous, like the Durable Object storage it runs on; the room logic calls it
 * directly and the adapter never touches SQL.
 */
import { attachReactions, type Attachment as FileMeta, type CallSummary, type Message, type ReplyQuote } from "../../protocol";
import type { StoredCall } from "../call";
import type { Cooldown } from "../rate-limit";
import type { Position } from "../receipts";
import type { SqlValue, Storage } from "./ports";
import { migrate } from "./schema";

/** A message as the room is about to store it (the store assigns seq; the caller gives ts). */
export interface NewMessage {
  cid: string;
  uid: string;
  name: string;
  text: string;
  call?: CallSummary;
  attachments?: FileMeta[];
  /** The quote of the message it answers, stamped by the room. */
  replyTo?: ReplyQuote;
  /** The ids it mentions (checked by the caller). */
  mentions?: string[];
}

/** What a resend of an already stored message is answered with. */
export interface SentRecord {
  seq: number;
  ts: number;
  attachments?: FileMeta[];
}

export interface ReactionChange {
  id: number;
  seq: number;
  emoji: string;
  uid: string;
  on: boolean;
  ts: number;
}

/** An edit still to flush to D1 (the log row, if any, has it already). */
export interface EditChange {
  id: number;
  seq: number;
  text: string;
  ts: number;
  /** What the new text mentions (null: no one). */
  mentions: string[] | null;
}

/** An edit's mentions as stored (JSON or null), as a list (absent: none). */
function mentionsOf(json: string | null): { mentions?: string[] } {
  return json === null ? {} : { mentions: JSON.parse(json) as string[] };
}

export interface Doomed {
  seq: number;
  files: string[];
}

/** Flush state while D1 is failing: no flush before `retryAt`. */
export interface FlushBackoff {
  failures: number;
  retryAt: number;
}

export interface AnnounceState {
  /** When the members' hubs were last told (0: never). */
  at: number;
  /** A flush since then that they have not been told about. */
  pending: boolean;
}

type Row = {
  seq: number;
  cid: string;
  uid: string;
  name: string;
  text: string;
  ts: number;
  call: string | null;
  attachments: string | null;
  deleted: number;
  reply_to: string | null;
  edited: number | null;
  mentions: string | null;
};
const COLUMNS = "seq, cid, uid, name, text, ts, call, attachments, deleted, reply_to, edited, mentions";

function toMessage(r: Row): Message {
  const m: Message = { seq: r.seq, cid: r.cid, uid: r.uid, name: r.name, text: r.text, ts: r.ts };
  if (r.call !== null) m.call = JSON.parse(r.call) as CallSummary;
  if (r.attachments !== null) m.attachments = JSON.parse(r.attachments) as FileMeta[];
  if (r.deleted === 1) m.deleted = true;
  if (r.reply_to !== null) m.replyTo = JSON.parse(r.reply_to) as ReplyQuote;
  if (r.edited !== null) m.edited = r.edited;
  if (r.mentions !== null) m.mentions = JSON.parse(r.mentions) as string[];
  return m;
}

/** A member as the room knows them (for mentions). */
export interface MemberEntry {
  uid: string;
  role: "owner" | "member";
}

/** A message's mentions, for the hub notices of a flush (MentionedIn in effects.ts). */
export interface MentionRow {
  seq: number;
  uid: string;
  ids: string[];
}

/** The cid a duplicate's tombstone is stored under: clients cannot send one with a colon. */
interface ReceiptRow extends Record<string, SqlValue> {
  uid: string;
  read: number;
  delivered: number;
  hidden: number;
}

export const duplicateCid = (seq: number) => `dup:${seq}`;

export class RoomStore {
  readonly #s: Storage;
  /**
   * The newest seq the room ever assigned. The log's max is trimmed never, but it is
   * kept apart too (in memory; in KV at every trim), so that a seq is never given out
   * twice whatever becomes of the log's rows.
   */
  #lastSeq: number;

  constructor(storage: Storage) {
    this.#s = storage;
    migrate(storage);
    const logMax = storage.sql.exec<{ last: number | null }>("SELECT max(seq) AS last FROM log").one().last ?? 0;
    this.#lastSeq = Math.max(logMax, storage.kv.get<number>("last_seq") ?? 0);
  }

  #rows(query: string, ...bindings: (string | number | null)[]): Message[] {
    return this.#s.sql.exec<Row>(query, ...bindings).toArray().map(toMessage);
  }

  // ── the room's small state (KV) ─────────────────────────────────────────────

  /** The room's id (D1's key for it), learned from the first upgrade the Worker forwards. */
  roomId(): string | undefined {
    return this.#s.kv.get<string>("room");
  }

  rememberRoomId(id: string): void {
    if (this.roomId() === undefined) this.#s.kv.put("room", id);
  }

  /** The room is a DM (the Worker says so with every socket): only DMs track deliveries (receipts.ts). */
  isDm(): boolean {
    return this.#s.kv.get<boolean>("dm") === true;
  }

  rememberDm(): void {
    if (!this.isDm()) this.#s.kv.put("dm", true);
  }

  /** When `uid`'s membership last ended (removed or left), if it did. */
  membershipEnded(uid: string): number | undefined {
    return this.#s.kv.get<number>(`ended:${uid}`);
  }

  endMembership(uid: string, at: number): void {
    this.#s.kv.put(`ended:${uid}`, at);
  }

  /** `uid`'s cool-down after their sockets were closed for abuse, if they ever were. */
  cooldown(uid: string): Cooldown | undefined {
    return this.#s.kv.get<Cooldown>(`cooldown:${uid}`);
  }

  setCooldown(uid: string, c: Cooldown): void {
    this.#s.kv.put(`cooldown:${uid}`, c);
  }

  call(): StoredCall | null {
    return this.#s.kv.get<StoredCall>("call") ?? null;
  }

  setCall(c: StoredCall | null): void {
    if (c) this.#s.kv.put("call", c);
    else this.#s.kv.delete("call");
  }

  /** Set while D1 keeps failing (null: flushes run when due). */
  flushBackoff(): FlushBackoff | null {
    return this.#s.kv.get<FlushBackoff>("flush_backoff") ?? null;
  }

  setFlushBackoff(b: FlushBackoff | null): void {
    if (b) this.#s.kv.put("flush_backoff", b);
    else this.#s.kv.delete("flush_backoff");
  }

  announceState(): AnnounceState {
    return { at: this.#s.kv.get<number>("announced_at") ?? 0, pending: this.#s.kv.get<boolean>("announce_pending") === true };
  }

  setAnnounceState(a: AnnounceState): void {
    this.#s.kv.put("announced_at", a.at);
    if (a.pending) this.#s.kv.put("announce_pending", true);
    else this.#s.kv.delete("announce_pending");
  }

  /** The newest seq the last Web Push round covered (flush.ts pushRound). */
  pushedSeq(): number {
    return this.#s.kv.get<number>("pushed_seq") ?? 0;
  }

  setPushedSeq(seq: number): void {
    this.#s.kv.put("pushed_seq", seq);
  }

  // ── the log ─────────────────────────────────────────────────────────────────

  /**
   * Stores a message under the next seq, records its (sender, cid) for dedupe and ties
   * its files to it, in one transaction. The caller has checked `sent()` first.
   */
  append(m: NewMessage, ts: number): Message {
    const message = this.#s.transactionSync(() => {
      const { seq } = this.#s.sql
        .exec<{ seq: number }>(
          `INSERT INTO log (seq, cid, uid, name, text, ts, call, attachments, reply_to, mentions)
           VALUES ((SELECT max(coalesce(max(seq), 0), ?) + 1 FROM log), ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
          this.#lastSeq,
          m.cid,
          m.uid,
          m.name,
          m.text,
          ts,
          m.call ? JSON.stringify(m.call) : null,
          m.attachments ? JSON.stringify(m.attachments) : null,
          m.replyTo ? JSON.stringify(m.replyTo) : null,
          m.mentions?.length ? JSON.stringify(m.mentions) : null,
        )
        .one();
      this.#s.sql.exec("INSERT INTO sent (uid, cid, seq, ts) VALUES (?, ?, ?, ?)", m.uid, m.cid, seq, ts);
      for (const a of m.attachments ?? []) this.#s.sql.exec("UPDATE files SET seq = ? WHERE id = ?", seq, a.id);
      return { seq, ts, ...m };
    });
    this.#lastSeq = Math.max(this.#lastSeq, message.seq);
    return message;
  }

  /**
   * The message `uid` already sent with `cid`, if the room has ever stored one (the
   * index outlives the trimmed log for DEDUPE_KEEP_MS). Its files come from the log
   * while the log still holds it.
   */
  sent(uid: string, cid: string): SentRecord | null {
    const hit = this.#s.sql.exec<{ seq: number; ts: number }>("SELECT seq, ts FROM sent WHERE uid = ? AND cid = ?", uid, cid).toArray()[0];
    if (!hit) return null;
    const row = this.#s.sql.exec<{ attachments: string | null }>("SELECT attachments FROM log WHERE seq = ?", hit.seq).toArray()[0];
    return row?.attachments ? { ...hit, attachments: JSON.parse(row.attachments) as FileMeta[] } : hit;
  }

  /** Message `seq` if the log holds it and it is not deleted. */
  live(seq: number): Message | null {
    return this.#rows(`SELECT ${COLUMNS} FROM log WHERE seq = ? AND deleted = 0`, seq)[0] ?? null;
  }

  /** Message `seq` if the log holds it, deleted or not (null: not in the log: older, or never given out). */
  message(seq: number): Message | null {
    return this.#rows(`SELECT ${COLUMNS} FROM log WHERE seq = ?`, seq)[0] ?? null;
  }

  /** Up to `limit` messages with seq < before (the newest when null), newest first, with reactions. */
  page(before: number | null, limit: number): Message[] {
    const list =
      before === null
        ? this.#rows(`SELECT ${COLUMNS} FROM log ORDER BY seq DESC LIMIT ?`, limit)
        : this.#rows(`SELECT ${COLUMNS} FROM log WHERE seq < ? ORDER BY seq DESC LIMIT ?`, before, limit);
    return this.withReactions(list);
  }

  /** Every message after `seq`, oldest first, with reactions (the caller bounds the count by bounds()). */
  after(seq: number): Message[] {
    return this.withReactions(this.#rows(`SELECT ${COLUMNS} FROM log WHERE seq > ? ORDER BY seq`, seq));
  }

  /** The oldest seq the log still holds (null: empty) and the newest the room ever assigned (0: none). */
  bounds(): { first: number | null; last: number } {
    const r = this.#s.sql.exec<{ first: number | null; last: number | null }>("SELECT min(seq) AS first, max(seq) AS last FROM log").one();
    return { first: r.first, last: Math.max(r.last ?? 0, this.#lastSeq) };
  }

  /**
   * Deletes message `seq`: a tombstone at once (text, files, call, reactions, pending edits
   * gone; the quotes of replies to it say so), and a `doomed` row for the flush to clean D1
   * and R2 (the files it carried among them: from the log, or `olderFiles` for a message
   * older than the log, as D1 holds it).
   */
  tombstone(seq: number, olderFiles: readonly string[] = []): void {
    this.#s.transactionSync(() => {
      const row = this.#s.sql.exec<{ attachments: string | null }>("SELECT attachments FROM log WHERE seq = ?", seq).toArray()[0];
      const files = row ? (row.attachments ? (JSON.parse(row.attachments) as FileMeta[]).map((a) => a.id) : []) : olderFiles;
      this.#s.sql.exec("UPDATE log SET text = '', attachments = NULL, call = NULL, mentions = NULL, deleted = 1 WHERE seq = ?", seq);
      this.#s.sql.exec("DELETE FROM reactions WHERE seq = ?", seq);
      this.#s.sql.exec("DELETE FROM reaction_log WHERE seq = ?", seq);
      this.#s.sql.exec("DELETE FROM edit_log WHERE seq = ?", seq);
      this.#s.sql.exec("DELETE FROM files WHERE seq = ?", seq);
      this.#s.sql.exec("INSERT OR REPLACE INTO doomed (seq, files) VALUES (?, ?)", seq, JSON.stringify(files));
      this.#requote(seq, { text: "", deleted: true });
    });
  }

  /** Whether message `seq` is deleted but D1 may not know yet. */
  isDoomed(seq: number): boolean {
    return this.#s.sql.exec("SELECT 1 AS x FROM doomed WHERE seq = ?", seq).toArray().length > 0;
  }

  // ── edits ───────────────────────────────────────────────────────────────────

  /**
   * The author's new text for message `seq` (in the log or older), edited at `ts`: the log
   * row if there is one, the quotes of replies to it (`quote`: its new first line), and an
   * entry for the flush, in one transaction. `mentions`: what the new text mentions (checked).
   */
  edit(seq: number, text: string, quote: string, ts: number, mentions?: readonly string[]): void {
    const ids = mentions?.length ? JSON.stringify(mentions) : null;
    this.#s.transactionSync(() => {
      this.#s.sql.exec("UPDATE log SET text = ?, edited = ?, mentions = ? WHERE seq = ?", text, ts, ids, seq);
      this.#s.sql.exec("INSERT INTO edit_log (seq, text, ts, mentions) VALUES (?, ?, ?, ?)", seq, text, ts, ids);
      this.#requote(seq, { text: quote });
    });
  }

  /** Changes the quote of every reply to `seq` that the log holds (a bounded scan: edits and deletions are rare). */
  #requote(seq: number, q: { text: string; deleted?: true }): void {
    this.#s.sql.exec(
      `UPDATE log SET reply_to = ${q.deleted ? "json_set(reply_to, '$.text', ?, '$.deleted', json('true'))" : "json_set(reply_to, '$.text', ?)"}
        WHERE reply_to IS NOT NULL AND json_extract(reply_to, '$.seq') = ?`,
      q.text,
      seq,
    );
  }

  /** The newest edit of `seq` not in D1 yet (what a message older than the log says until the flush). */
  pendingEdit(seq: number): { text: string; ts: number; mentions?: string[] } | null {
    const row = this.#s.sql
      .exec<{ text: string; ts: number; mentions: string | null }>("SELECT text, ts, mentions FROM edit_log WHERE seq = ? ORDER BY id DESC LIMIT 1", seq)
      .toArray()[0];
    return row ? { text: row.text, ts: row.ts, ...mentionsOf(row.mentions) } : null;
  }

  /** Edited messages among seqs from..to, with their current text. */
  editedBetween(from: number, to: number): { seq: number; text: string; edited: number; mentions?: string[] }[] {
    return this.#s.sql
      .exec<{ seq: number; text: string; edited: number; mentions: string | null }>(
        "SELECT seq, text, edited, mentions FROM log WHERE edited IS NOT NULL AND deleted = 0 AND seq BETWEEN ? AND ? ORDER BY seq",
        from,
        to,
      )
      .toArray()
      .map((r) => ({ seq: r.seq, text: r.text, edited: r.edited, ...mentionsOf(r.mentions) }));
  }

  /** The oldest `limit` edits not in D1 yet, in the order they were made. */
  editChanges(limit: number): EditChange[] {
    return this.#s.sql
      .exec<{ id: number; seq: number; text: string; ts: number; mentions: string | null }>("SELECT id, seq, text, ts, mentions FROM edit_log ORDER BY id LIMIT ?", limit)
      .toArray()
      .map((r) => ({ ...r, mentions: r.mentions === null ? null : (JSON.parse(r.mentions) as string[]) }));
  }

  dropEditChanges(upToId: number): void {
    this.#s.sql.exec("DELETE FROM edit_log WHERE id <= ?", upToId);
  }

  /** Seqs from..to (inclusive) that are deleted. */
  deletedBetween(from: number, to: number): number[] {
    return this.#s.sql.exec<{ seq: number }>("SELECT seq FROM log WHERE deleted = 1 AND seq BETWEEN ? AND ? ORDER BY seq", from, to).toArray().map((r) => r.seq);
  }

  // ── flushing ────────────────────────────────────────────────────────────────

  /** The oldest `limit` messages D1 does not have yet. */
  unflushed(limit: number): Message[] {
    return this.#rows(`SELECT ${COLUMNS} FROM log WHERE flushed = 0 ORDER BY seq LIMIT ?`, limit);
  }

  /** D1 took these rows: they may be trimmed, and their files forgotten (D1 records which message carries them). */
  markFlushed(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const list = JSON.stringify(seqs);
    this.#s.transactionSync(() => {
      this.#s.sql.exec("UPDATE log SET flushed = 1 WHERE seq IN (SELECT value FROM json_each(?))", list);
      this.#s.sql.exec("DELETE FROM files WHERE seq IN (SELECT value FROM json_each(?))", list);
    });
  }

  /** D1 holds another message at this seq: never flushed, never retried, never trimmed (logged by the caller). */
  markRefused(seq: number): void {
    this.#s.sql.exec("UPDATE log SET flushed = 2 WHERE seq = ?", seq);
  }

  /**
   * Row `seq` turned out to repeat a message D1 already has at `original` (a resend whose
   * first copy left the dedupe index): it becomes a tombstone under a cid of its own, so
   * D1 takes it on the next round and history has no hole, and a further resend is acked
   * with the original's seq.
   */
  markDuplicate(seq: number, original: number): void {
    this.#s.transactionSync(() => {
      const row = this.#s.sql.exec<{ uid: string; cid: string }>("SELECT uid, cid FROM log WHERE seq = ?", seq).toArray()[0];
      if (!row) return;
      this.#s.sql.exec(
        "UPDATE log SET cid = ?, text = '', attachments = NULL, call = NULL, mentions = NULL, deleted = 1, flushed = 0 WHERE seq = ?",
        duplicateCid(seq),
        seq,
      );
      this.#s.sql.exec("UPDATE sent SET seq = ? WHERE uid = ? AND cid = ?", original, row.uid, row.cid);
      this.#s.sql.exec("DELETE FROM reactions WHERE seq = ?", seq);
      this.#s.sql.exec("DELETE FROM reaction_log WHERE seq = ?", seq);
      this.#s.sql.exec("UPDATE files SET seq = NULL WHERE seq = ?", seq);
    });
  }

  /** Anything left for the flush: messages, reaction changes or deletions. */
  hasUnflushedWork(): boolean {
    return (
      this.#s.sql
        .exec<{ n: number }>(
          `SELECT (SELECT count(*) FROM (SELECT 1 FROM log WHERE flushed = 0 LIMIT 1))
                + (SELECT count(*) FROM (SELECT 1 FROM reaction_log LIMIT 1))
                + (SELECT count(*) FROM (SELECT 1 FROM edit_log LIMIT 1))
                + (SELECT count(*) FROM (SELECT 1 FROM doomed LIMIT 1)) AS n`,
        )
        .one().n > 0
    );
  }

  /**
   * Drops flushed rows beyond the newest `keep` (the log stays bounded; D1 has them all),
   * and dedupe entries older than `sentBefore`.
   */
  trim(keep: number, sentBefore: number): void {
    this.#s.kv.put("last_seq", this.#lastSeq);
    this.#s.sql.exec("DELETE FROM log WHERE flushed = 1 AND seq <= (SELECT max(seq) FROM log) - ?", keep);
    this.#s.sql.exec("DELETE FROM sent WHERE ts < ?", sentBefore);
  }

  /** The newest message D1 already has (what a deferred announcement reports). */
  newestFlushed(): Message | null {
    return this.#rows(`SELECT ${COLUMNS} FROM log WHERE flushed = 1 ORDER BY seq DESC LIMIT 1`)[0] ?? null;
  }

  // ── mentions: who the room's members are, and what the flush announces ──────

  /** When the member list was last loaded from D1 (undefined: never; 0: it went stale, reload it before the next check). */
  memberListAt(): number | undefined {
    return this.#s.kv.get<number>("members_at");
  }

  /** Replaces the member list with D1's member list (read at `at`). */
  setMemberList(list: readonly MemberEntry[], at: number): void {
    this.#s.transactionSync(() => {
      this.#s.sql.exec("DELETE FROM members");
      this.#s.sql.exec("INSERT INTO members (uid, role) SELECT json_extract(value, '$.uid'), json_extract(value, '$.role') FROM json_each(?)", JSON.stringify(list));
      this.#s.kv.put("members_at", at);
    });
  }

  /** Someone joined (the Worker said so): its member list is reloaded before the next mention is checked. */
  memberListStale(): void {
    if (this.memberListAt() !== undefined) this.#s.kv.put("members_at", 0);
  }

  /** A member the Worker just let in (an upgrade): known from now on, if the list is loaded (a load brings everyone). */
  addMember(uid: string): void {
    if (this.memberListAt() !== undefined) this.#s.sql.exec("INSERT OR IGNORE INTO members (uid, role) VALUES (?, 'member')", uid);
  }

  removeMember(uid: string): void {
    this.#s.sql.exec("DELETE FROM members WHERE uid = ?", uid);
  }

  /** Of `ids`, those the member list does not hold. */
  nonMembers(ids: readonly string[]): string[] {
    if (ids.length === 0) return [];
    return this.#s.sql
      .exec<{ id: string }>("SELECT value AS id FROM json_each(?) WHERE value NOT IN (SELECT uid FROM members)", JSON.stringify(ids))
      .toArray()
      .map((r) => r.id);
  }

  /** How many members the list holds, and whether `uid` owns the room. */
  memberCount(uid: string): { members: number; owner: boolean } {
    const r = this.#s.sql
      .exec<{ n: number; owner: number }>("SELECT count(*) AS n, coalesce(sum(uid = ? AND role = 'owner'), 0) AS owner FROM members", uid)
      .one();
    return { members: r.n, owner: r.owner > 0 };
  }

  /** Messages with seq in (after, upTo] that mention anyone, oldest first (at most `limit`). */
  mentionsBetween(after: number, upTo: number, limit: number): MentionRow[] {
    return this.#s.sql
      .exec<{ seq: number; uid: string; mentions: string }>(
        "SELECT seq, uid, mentions FROM log WHERE seq > ? AND seq <= ? AND mentions IS NOT NULL ORDER BY seq LIMIT ?",
        after,
        upTo,
        limit,
      )
      .toArray()
      .map((r) => ({ seq: r.seq, uid: r.uid, ids: JSON.parse(r.mentions) as string[] }));
  }

  /** The newest seq the members' hubs were told about (undefined: none since mentions exist). */
  announcedSeq(): number | undefined {
    return this.#s.kv.get<number>("announced_seq");
  }

  setAnnouncedSeq(seq: number): void {
    this.#s.kv.put("announced_seq", seq);
  }

  // ── hubs watching the room ──────────────────────────────────────────────────

  /** `uid`'s hub watches the room until `until` (it renews the lease while its user has the app open). */
  watch(uid: string, until: number): void {
    this.#s.sql.exec("INSERT INTO watchers (uid, until) VALUES (?, ?) ON CONFLICT (uid) DO UPDATE SET until = max(until, excluded.until)", uid, until);
  }

  unwatch(uid: string): void {
    this.#s.sql.exec("DELETE FROM watchers WHERE uid = ?", uid);
  }

  /** The users whose hubs watch the room at `now`. */
  watching(now: number): string[] {
    return this.#s.sql.exec<{ uid: string }>("SELECT uid FROM watchers WHERE until >= ?", now).toArray().map((w) => w.uid);
  }

  /** Forgets leases that ran out before `now`. */
  dropLapsedWatchers(now: number): void {
    this.#s.sql.exec("DELETE FROM watchers WHERE until < ?", now);
  }

  // ── read receipts (receipts.ts) ─────────────────────────────────────────────

  /** Every member's position (those the room has heard of). */
  receipts(uids?: readonly string[]): Map<string, Position> {
    const rows = uids
      ? this.#s.sql.exec<ReceiptRow>("SELECT uid, read, delivered, hidden FROM receipts WHERE uid IN (SELECT value FROM json_each(?))", JSON.stringify(uids))
      : this.#s.sql.exec<ReceiptRow>("SELECT uid, read, delivered, hidden FROM receipts");
    return new Map(rows.toArray().map((r) => [r.uid, { read: r.read, delivered: r.delivered, hidden: r.hidden === 1 }]));
  }

  receipt(uid: string): Position | undefined {
    return this.receipts([uid]).get(uid);
  }

  /** A member left or was removed: their position goes with them. */
  dropReceipt(uid: string): void {
    this.#s.sql.exec("DELETE FROM receipts WHERE uid = ?", uid);
  }

  /** The members who do not share read receipts (they see no one else's either). */
  hiddenReaders(): Set<string> {
    return new Set(this.#s.sql.exec<{ uid: string }>("SELECT uid FROM receipts WHERE hidden = 1").toArray().map((r) => r.uid));
  }

  setReceipt(uid: string, p: Position): void {
    this.#s.sql.exec(
      `INSERT INTO receipts (uid, read, delivered, hidden) VALUES (?, ?, ?, ?)
       ON CONFLICT (uid) DO UPDATE SET read = excluded.read, delivered = excluded.delivered, hidden = excluded.hidden`,
      uid,
      p.read,
      p.delivered,
      p.hidden ? 1 : 0,
    );
  }

  // ── reactions ───────────────────────────────────────────────────────────────

  reactionCount(seq: number, uid: string): number {
    return this.#s.sql.exec<{ n: number }>("SELECT count(*) AS n FROM reactions WHERE seq = ? AND uid = ?", seq, uid).one().n;
  }

  /** Adds or removes one reaction and logs the change for the flush. False: nothing changed. */
  react(seq: number, emoji: string, uid: string, on: boolean, ts: number): boolean {
    return this.#s.transactionSync(() => {
      const changed = on
        ? this.#s.sql.exec("INSERT OR IGNORE INTO reactions (seq, emoji, uid, ts) VALUES (?, ?, ?, ?)", seq, emoji, uid, ts).rowsWritten
        : this.#s.sql.exec("DELETE FROM reactions WHERE seq = ? AND emoji = ? AND uid = ?", seq, emoji, uid).rowsWritten;
      if (changed === 0) return false;
      this.#s.sql.exec("INSERT INTO reaction_log (seq, emoji, uid, on_, ts) VALUES (?, ?, ?, ?, ?)", seq, emoji, uid, on ? 1 : 0, ts);
      return true;
    });
  }

  /**
   * Logs a reaction change on a message older than the log, for the flush only: D1 holds
   * that message's reactions (the room's table holds those of the log's messages), and
   * applying a change there is idempotent.
   */
  logReaction(seq: number, emoji: string, uid: string, on: boolean, ts: number): void {
    this.#s.sql.exec("INSERT INTO reaction_log (seq, emoji, uid, on_, ts) VALUES (?, ?, ?, ?, ?)", seq, emoji, uid, on ? 1 : 0, ts);
  }

  /** Reaction rows on seqs from..to, in the order they were made. */
  reactionsBetween(from: number, to: number): { seq: number; emoji: string; uid: string }[] {
    return this.#s.sql
      .exec<{ seq: number; emoji: string; uid: string }>("SELECT seq, emoji, uid FROM reactions WHERE seq BETWEEN ? AND ? ORDER BY ts, rowid", from, to)
      .toArray();
  }

  /** Adds the aggregated reactions to messages (one query for the list). */
  withReactions(list: Message[]): Message[] {
    if (list.length === 0) return list;
    const seqs = list.map((m) => m.seq);
    return attachReactions(list, this.reactionsBetween(Math.min(...seqs), Math.max(...seqs)));
  }

  /** The oldest `limit` reaction changes not in D1 yet. */
  reactionChanges(limit: number): ReactionChange[] {
    return this.#s.sql
      .exec<{ id: number; seq: number; emoji: string; uid: string; on_: number; ts: number }>(
        "SELECT id, seq, emoji, uid, on_, ts FROM reaction_log ORDER BY id LIMIT ?",
        limit,
      )
      .toArray()
      .map((e) => ({ id: e.id, seq: e.seq, emoji: e.emoji, uid: e.uid, on: e.on_ === 1, ts: e.ts }));
  }

  dropReactionChanges(upToId: number): void {
    this.#s.sql.exec("DELETE FROM reaction_log WHERE id <= ?", upToId);
  }

  // ── files (finished uploads) ────────────────────────────────────────────────

  fileReady(uid: string, meta: FileMeta): void {
    this.#s.sql.exec("INSERT OR IGNORE INTO files (id, uid, meta, seq) VALUES (?, ?, ?, NULL)", meta.id, uid, JSON.stringify(meta));
  }

  /** A finished upload: who made it, its metadata, and the message carrying it (null: none yet). */
  file(id: string): { uid: string; meta: FileMeta; seq: number | null } | null {
    const row = this.#s.sql.exec<{ uid: string; meta: string; seq: number | null }>("SELECT uid, meta, seq FROM files WHERE id = ?", id).toArray()[0];
    return row ? { uid: row.uid, meta: JSON.parse(row.meta) as FileMeta, seq: row.seq } : null;
  }

  /** Forgets an upload no message carries; false when one does (then it stays). */
  dropFile(id: string): boolean {
    const f = this.file(id);
    if (f && f.seq !== null) return false;
    this.#s.sql.exec("DELETE FROM files WHERE id = ?", id);
    return true;
  }

  // ── deleted messages still to clean up in D1 and R2 ─────────────────────────

  doomed(limit: number): Doomed[] {
    return this.#s.sql
      .exec<{ seq: number; files: string }>("SELECT seq, files FROM doomed ORDER BY seq LIMIT ?", limit)
      .toArray()
      .map((d) => ({ seq: d.seq, files: JSON.parse(d.files) as string[] }));
  }

  dropDoomed(upToSeq: number): void {
    this.#s.sql.exec("DELETE FROM doomed WHERE seq <= ?", upToSeq);
  }
}
