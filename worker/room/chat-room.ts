/**
 * One Durable Object per room: the room's hibernatable WebSockets, presence,
 * typing, and its message log, the strongly consistent write-ahead log in front
 * of D1 (DESIGN.md, "The message path").
 *
 * Nothing about a connection lives only in memory: who a socket is travels in its
 * attachment, presence is derived from `getWebSockets()` on demand, and the log,
 * the room id, the flush state and the call are in storage. What is in memory (rate-limit
 * buckets, abuse strikes, last-activity times) may be forgotten at any wake.
 */
import { DurableObject } from "cloudflare:workers";
import {
  lastMessageOf,
  Close,
  DEFAULT_PAGE,
  ErrorCode,
  HEARTBEAT_PING,
  HEARTBEAT_PONG,
  MAX_PAGE,
  PROTOCOL,
  REPLAY_LIMIT,
  RING_TIMEOUT_MS,
  TYPING_TTL_MS,
  assertNever,
  randomId,
  parseClientFrame,
  type Attachment as FileMeta,
  type CallSummary,
  type ClientFrame,
  type Message,
  type Peer,
  type ServerFrame,
  type ServerFrameOf,
} from "../protocol";
import { db } from "../db/client";
import { applyDeletions, applyReactions, attachReactions, insertMessages, memberIds, type ReactionEvent } from "../db/queries";
import { mediaKey } from "../media/files";
import { connTag, identityFrom, sessionTag, userTag } from "./identity";
import * as calls from "./call";
import type { Sender, Step, StoredCall } from "./call";
import { TokenBuckets } from "./rate-limit";

/** Who a socket is. Serialized with the socket (≤ 2 KiB): ids and display name only. */
interface Attachment {
  uid: string;
  name: string;
  /** This connection's own id (also its tag `c:<conn>`): a call participant is a connection. */
  conn: string;
  /** When the socket was accepted (ms). */
  at: number;
  /** Set when the room closes the socket itself and has already told the others. */
  shut?: true;
}

/** Flushed rows kept in the room's log after they reach D1, for replay on reconnect and cid dedupe. */
const KEEP_FLUSHED = 1000;
/** Rows per flush round trip; one alarm run does at most FLUSH_ROUNDS of them. */
const FLUSH_BATCH = 500;
const FLUSH_ROUNDS = 10;
/** Any frame at all, per user: generous, only against floods. */
const FRAME_RATE_PER_SEC = 50;
const FRAME_BURST = 100;
/** A socket collecting this many errors within STRIKE_WINDOW_MS is closed with 1008. */
const MAX_STRIKES = 50;
const STRIKE_WINDOW_MS = 10_000;
/**
 * Fan-out coalescing window. A message arriving when nothing was fanned out for this
 * long goes out at once; denser ones wait at most this long and leave together, one
 * frame per socket, so under load throughput grows instead of latency.
 */
const COALESCE_MS = 10;
/** Least time between two announcements of a room's newest message to its members' hubs. */
const ANNOUNCE_GAP_MS = 3000;
/** Flush retry backoff: 1 s, 2 s, 4 s … capped at 5 min. */
const RETRY_BASE_MS = 1000;
const RETRY_CAP_MS = 5 * 60_000;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS log (
     seq INTEGER PRIMARY KEY,
     cid TEXT NOT NULL,
     uid TEXT NOT NULL,
     name TEXT NOT NULL,
     text TEXT NOT NULL,
     ts INTEGER NOT NULL,
     flushed INTEGER NOT NULL DEFAULT 0
   )`,
  `CREATE UNIQUE INDEX IF NOT EXISTS log_uid_cid ON log (uid, cid)`,
  `CREATE INDEX IF NOT EXISTS log_unflushed ON log (seq) WHERE flushed = 0`,
  // Finished uploads of this room, told by the Worker (attachmentReady); seq is set once a message carries one.
  `CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, uid TEXT NOT NULL, meta TEXT NOT NULL, seq INTEGER)`,
  // Current reactions (for welcome/page) and the ordered log of changes still to flush to D1.
  `CREATE TABLE IF NOT EXISTS reactions (seq INTEGER NOT NULL, emoji TEXT NOT NULL, uid TEXT NOT NULL, ts INTEGER NOT NULL,
     PRIMARY KEY (seq, emoji, uid))`,
  `CREATE TABLE IF NOT EXISTS reaction_log (id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, emoji TEXT NOT NULL,
     uid TEXT NOT NULL, on_ INTEGER NOT NULL, ts INTEGER NOT NULL)`,
  // Deleted messages whose D1 rows and R2 objects the alarm still has to clean up (files: JSON id list).
  `CREATE TABLE IF NOT EXISTS doomed (seq INTEGER PRIMARY KEY, files TEXT NOT NULL)`,
];

type Row = Omit<Message, "call" | "attachments" | "reactions" | "deleted"> & {
  call: string | null;
  attachments: string | null;
  deleted: number;
} & Record<string, SqlStorageValue>;
const COLUMNS = "seq, cid, uid, name, text, ts, call, attachments, deleted";
/** Most distinct reactions one person may leave on one message. */
const MAX_REACTIONS_PER_USER = 20;

const frame = (f: ServerFrame) => JSON.stringify(f);
type WelcomeSync = NonNullable<ServerFrameOf<"welcome">["sync"]>;

export class ChatRoom extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  readonly #messageBuckets: TokenBuckets;
  readonly #budget: { perSec: number; burst: number };
  readonly #frameBuckets = new TokenBuckets(FRAME_RATE_PER_SEC, FRAME_BURST);
  readonly #strikes = new WeakMap<WebSocket, { n: number; since: number }>();
  /** Last frame seen from each socket; heartbeats are tracked by the runtime instead. */
  readonly #activity = new WeakMap<WebSocket, number>();
  readonly #ghostAfterMs: number;
  readonly #flushDelayMs: number;
  /** How long an unanswered call rings (RING_TIMEOUT_MS). */
  readonly #ringMs: number;
  /** Ring notifications to hubs, chained so that each hub sees them in order. */
  #hubRings: Promise<void> = Promise.resolve();
  /** Messages acked but not yet fanned out (coalescing window open). */
  #outbox: Message[] = [];
  #lastFanout = 0;
  /** Mirror of the scheduled alarm (null: none), read once per wake. */
  #alarmAt: number | null = null;
  /** The flush in progress, if any: destroy() waits for it so nothing reaches D1 after. */
  #flushing: Promise<unknown> | null = null;
  /**
   * Set by destroy(). Only in memory: after an eviction the storage is empty anyway,
   * and the Worker no longer lets anyone reach a deleted room.
   */
  #gone = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    for (const s of SCHEMA) this.#sql.exec(s);
    // Added with calls: logs made before have no `call` column (a call's summary, JSON).
    const cols = this.#sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('log')").toArray();
    if (!cols.some((c) => c.name === "call")) this.#sql.exec("ALTER TABLE log ADD COLUMN call TEXT");
    // Added with media: the files a message carries (Attachment[] JSON) and the tombstone flag.
    if (!cols.some((c) => c.name === "attachments")) this.#sql.exec("ALTER TABLE log ADD COLUMN attachments TEXT");
    if (!cols.some((c) => c.name === "deleted")) this.#sql.exec("ALTER TABLE log ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0");
    this.#budget = { perSec: Number(env.MSG_RATE_PER_SEC) || 10, burst: Number(env.MSG_BURST) || 20 };
    this.#messageBuckets = new TokenBuckets(this.#budget.perSec, this.#budget.burst);
    this.#ghostAfterMs = Number(env.GHOST_AFTER_MS) || 60_000;
    this.#flushDelayMs = Number(env.FLUSH_DELAY_MS) || 1000;
    this.#ringMs = Number(env.RING_TIMEOUT_MS) || RING_TIMEOUT_MS;
    // Heartbeats are answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG));
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ── entry points ───────────────────────────────────────────────────────────

  /** Only WebSocket upgrades forwarded by the Worker, with the identity it verified. */
  override async fetch(req: Request): Promise<Response> {
    const who = identityFrom(req);
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket" || !who) {
      return new Response("expected an authenticated WebSocket upgrade", { status: 400 });
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    if (this.#gone) {
      this.ctx.acceptWebSocket(server);
      server.close(Close.ROOM_GONE, "the room was deleted");
      return new Response(null, { status: 101, webSocket: client });
    }
    // The Worker checked membership a moment ago; if that membership has ended since
    // (removed or left while this upgrade was on its way), refuse the socket.
    const ended = this.ctx.storage.kv.get<number>(`ended:${who.id}`);
    if (ended !== undefined && who.memberSince < ended) {
      this.ctx.acceptWebSocket(server);
      server.close(Close.FORBIDDEN, "you are no longer a member of this room");
      return new Response(null, { status: 101, webSocket: client });
    }
    if (this.ctx.storage.kv.get<string>("room") === undefined) this.ctx.storage.kv.put("room", who.room);
    const url = new URL(req.url);
    // Tags find a person's sockets (removal), a session's sockets (logout) and one connection (calls).
    const conn = randomId(9);
    this.ctx.acceptWebSocket(server, [userTag(who.id), sessionTag(who.sid), connTag(conn)]);

    const version = url.searchParams.get("v");
    if (version !== null && version !== String(PROTOCOL)) {
      server.close(Close.PROTOCOL_VERSION, `protocol ${PROTOCOL} required`);
      return new Response(null, { status: 101, webSocket: client });
    }

    const me: Peer = { id: who.id, name: who.name };
    const wasOnline = this.#online().some((p) => p.id === me.id);
    server.serializeAttachment({ uid: me.id, name: me.name, conn, at: Date.now() } satisfies Attachment);
    const online = this.#online();
    const since = url.searchParams.get("since");
    const replay = this.#replay(since !== null && /^\d{1,15}$/.test(since) ? Number(since) : null);
    server.send(frame({ type: "welcome", v: PROTOCOL, me, online, budget: this.#budget, ...replay }));
    const call = this.#call();
    if (call) server.send(frame({ type: "call", call: calls.view(call) }));
    if (!wasOnline) this.#broadcast(frame({ type: "presence", joined: [me], left: [] }), server);
    // While anyone is connected the alarm also sweeps out ghosts.
    this.#alarmBy(Date.now() + this.#ghostAfterMs);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    // Frames still in flight after we closed a socket (e.g. for abuse) are dropped.
    if (ws.readyState !== WebSocket.OPEN) return;
    const me = attachment(ws);
    if (!me) return ws.close(1011, "unknown socket");
    const now = Date.now();
    this.#activity.set(ws, now);
    if (!this.#frameBuckets.take(me.uid, now)) {
      return this.#reject(ws, ErrorCode.RATE_LIMITED, "too many frames; slow down");
    }
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return this.#reject(ws, parsed.code, parsed.message, { cid: parsed.cid, req: parsed.req });
    await this.#handle(ws, me, parsed.frame);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Finish the closing handshake; 1005/1006/1015 are never sent on the wire.
    if (code !== 1005 && code !== 1006 && code !== 1015) {
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
    }
    this.#left(ws);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    console.warn("ChatRoom:webSocketError", error);
    this.#left(ws);
  }

  /**
   * Flushes unflushed messages to D1, trims the log, and sweeps out ghost sockets.
   * A failed flush is retried with backoff; the INSERT is idempotent, so a flush
   * that reached D1 but was not recorded here only repeats harmlessly.
   */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    if (this.#gone) return;
    const now = Date.now();
    let next = Infinity;
    // Call deadlines first: a call that ends here leaves its history message for this flush.
    const call = this.#call();
    this.#callStep(call, calls.tick(call, now));
    try {
      const flushing = this.#flush();
      this.#flushing = flushing;
      const { more, newest } = await flushing.finally(() => (this.#flushing = null));
      if (this.#gone) return;
      this.ctx.storage.kv.delete("flush_failures");
      if (more) next = now;
      const due = this.#announceDue(newest !== null, now);
      if (due === true) await this.#announce(newest ?? this.#newestFlushed());
      else if (due !== false) next = Math.min(next, due);
    } catch (err) {
      if (this.#gone) return;
      const failures = (this.ctx.storage.kv.get<number>("flush_failures") ?? 0) + 1;
      this.ctx.storage.kv.put("flush_failures", failures);
      const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (failures - 1));
      next = now + delay / 2 + Math.random() * (delay / 2);
      console.error(`ChatRoom:alarm flush failed (attempt ${failures}), retrying in ${Math.round(next - now)} ms`, err);
    }
    this.#sweepGhosts(now);
    if (this.ctx.getWebSockets().length > 0) next = Math.min(next, now + this.#ghostAfterMs);
    next = Math.min(next, calls.deadline(this.#call()) ?? Infinity);
    if (next !== Infinity) this.#alarmBy(next);
  }

  // ── RPC for the Worker ─────────────────────────────────────────────────────

  /** Messages with seq < before (the newest when null), newest first, from the room's log. */
  page(before: number | null, limit: number): Message[] {
    const n = Math.max(1, Math.min(MAX_PAGE, Math.floor(limit)));
    const rows =
      before === null
        ? this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM log ORDER BY seq DESC LIMIT ?`, n)
        : this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM log WHERE seq < ? ORDER BY seq DESC LIMIT ?`, before, n);
    return this.#withReactions(rows.toArray().map(toMessage));
  }

  /**
   * An upload of `uploaderId` in this room is complete (called by the Worker): from now on
   * a `send` of that person may carry it, checked here without leaving the room.
   */
  attachmentReady(uploaderId: string, meta: FileMeta): void {
    this.#sql.exec("INSERT OR IGNORE INTO files (id, uid, meta, seq) VALUES (?, ?, ?, NULL)", meta.id, uploaderId, JSON.stringify(meta));
  }

  /** The uploader discards a finished upload: false when a message already carries it (then it stays). */
  dropAttachment(id: string): boolean {
    const row = this.#sql.exec<{ seq: number | null }>("SELECT seq FROM files WHERE id = ?", id).toArray()[0];
    if (row && row.seq !== null) return false;
    this.#sql.exec("DELETE FROM files WHERE id = ?", id);
    return true;
  }

  /** The newest seq the room has assigned (0 when none). */
  lastSeq(): number {
    return this.#sql.exec<{ last: number | null }>("SELECT max(seq) AS last FROM log").one().last ?? 0;
  }

  /**
   * Closes every socket of one person whose membership ended at `endedAt` (removed
   * from the room, or left it) and tells the others they are gone. The Worker has
   * already taken them off the member list; an upgrade it let through just before
   * that (racing this call) is refused too, since the membership it carries began
   * before `endedAt`. Joining again by link makes a newer membership.
   */
  kick(userId: string, code: number = Close.FORBIDDEN, endedAt = Date.now(), reason = "you are no longer a member of this room"): number {
    this.ctx.storage.kv.put(`ended:${userId}`, endedAt);
    const closed = this.#shut(this.ctx.getWebSockets(userTag(userId)), code, reason);
    const call = this.#call();
    this.#callStep(call, calls.removed(call, userId, endedAt));
    this.membersChanged();
    return closed;
  }

  /** The member list or the room's details changed: every open client refetches them. */
  membersChanged(): void {
    this.#broadcast(frame({ type: "members" }));
  }

  /** Closes the sockets opened with one session (logged out): 4001. */
  closeSession(sid: string): number {
    return this.#shut(this.ctx.getWebSockets(sessionTag(sid)), Close.UNAUTHORIZED, "signed out");
  }

  /**
   * The room was deleted: every socket is closed with 4004 and the storage wiped
   * (log, flush state, alarm). Waits for a flush in flight first, so that nothing
   * reaches D1 after this returns.
   */
  async destroy(): Promise<void> {
    this.#gone = true;
    await this.#flushing?.catch(() => undefined);
    for (const ws of this.ctx.getWebSockets()) close(ws, Close.ROOM_GONE, "the room was deleted");
    this.#outbox = [];
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#alarmAt = null;
  }

  // ── frames ─────────────────────────────────────────────────────────────────

  #handle(ws: WebSocket, me: Attachment, f: ClientFrame): void | Promise<void> {
    switch (f.type) {
      case "send":
        return this.#send(ws, me, f);
      case "typing":
        return this.#broadcast(
          frame({ type: "typing", user: { id: me.uid, name: me.name }, on: f.on, ttl: TYPING_TTL_MS }),
          ws,
        );
      case "call.start":
        return this.#startCall(ws, me, f);
      case "call.accept":
      case "call.join":
      case "call.decline":
      case "call.busy":
      case "call.hangup":
      case "call.media":
        return this.#callFrame(ws, me, f);
      case "rtc":
        return this.#rtc(ws, me, f);
      case "react":
        return this.#react(ws, me, f);
      case "delete":
        return this.#delete(ws, me, f);
      default:
        return assertNever(f);
    }
  }

  /**
   * The message path: dedupe by (sender, cid), assign the next seq and store in
   * one statement, then ack and broadcast. The output gate holds the ack until the
   * write is durable, so an acked message is never lost.
   */
  #send(ws: WebSocket, me: Attachment, f: Extract<ClientFrame, { type: "send" }>): void {
    const dup = this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM log WHERE uid = ? AND cid = ?`, me.uid, f.cid).toArray()[0];
    if (dup) {
      // A resend after a lost ack: confirm it again, store and broadcast nothing.
      const again = toMessage(dup);
      return send(ws, frame({ type: "ack", cid: dup.cid, seq: dup.seq, ts: dup.ts, ...(again.attachments ? { attachments: again.attachments } : {}) }));
    }
    if (!this.#messageBuckets.take(me.uid)) {
      return this.#reject(ws, ErrorCode.RATE_LIMITED, "you are sending messages too fast", { cid: f.cid, retryMs: this.#messageBuckets.wait(me.uid) }, false);
    }
    let files: FileMeta[] | undefined;
    if (f.attachments && f.attachments.length > 0) {
      files = [];
      for (const id of f.attachments) {
        const row = this.#sql.exec<{ uid: string; meta: string; seq: number | null }>("SELECT uid, meta, seq FROM files WHERE id = ?", id).toArray()[0];
        if (!row || row.uid !== me.uid || row.seq !== null) {
          return this.#reject(ws, ErrorCode.BAD_ATTACHMENT, `attachment ${id.slice(0, 64)} is not a finished upload of yours in this room, or is already sent`, { cid: f.cid });
        }
        files.push(JSON.parse(row.meta) as FileMeta);
      }
    }
    const m = this.#append({ cid: f.cid, uid: me.uid, name: me.name, text: f.text, ...(files ? { attachments: files } : {}) });
    if (files) for (const a of files) this.#sql.exec("UPDATE files SET seq = ? WHERE id = ?", m.seq, a.id);
    send(ws, frame({ type: "ack", cid: m.cid, seq: m.seq, ts: m.ts, ...(files ? { attachments: files } : {}) }));
    this.#publish(m);
  }

  /** The live row of message `seq` (not deleted), or null. */
  #live(seq: number): Row | null {
    return this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM log WHERE seq = ? AND deleted = 0`, seq).toArray()[0] ?? null;
  }

  /** Adds or removes the sender's reaction, logs the change for the flush and broadcasts it. No change: nothing. */
  #react(ws: WebSocket, me: Attachment, f: Extract<ClientFrame, { type: "react" }>): void {
    if (!this.#live(f.seq)) return this.#reject(ws, ErrorCode.NO_SUCH_MESSAGE, `no message ${f.seq} to react to`, { req: f.req });
    const ts = Date.now();
    if (f.on) {
      const mine = this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM reactions WHERE seq = ? AND uid = ?", f.seq, me.uid).one().n;
      if (mine >= MAX_REACTIONS_PER_USER) {
        return this.#reject(ws, ErrorCode.INVALID_FRAME, `at most ${MAX_REACTIONS_PER_USER} reactions per message`, { req: f.req });
      }
    }
    const changed = f.on
      ? this.#sql.exec("INSERT OR IGNORE INTO reactions (seq, emoji, uid, ts) VALUES (?, ?, ?, ?)", f.seq, f.emoji, me.uid, ts).rowsWritten
      : this.#sql.exec("DELETE FROM reactions WHERE seq = ? AND emoji = ? AND uid = ?", f.seq, f.emoji, me.uid).rowsWritten;
    if (changed === 0) return;
    this.#sql.exec("INSERT INTO reaction_log (seq, emoji, uid, on_, ts) VALUES (?, ?, ?, ?, ?)", f.seq, f.emoji, me.uid, f.on ? 1 : 0, ts);
    this.#alarmBy(ts + this.#flushDelayMs);
    this.#broadcast(frame({ type: "reaction", seq: f.seq, emoji: f.emoji, user: me.uid, on: f.on }));
  }

  /**
   * The author deletes a message: it becomes a tombstone here at once (text, files,
   * reactions gone) and for everyone (`deleted`); D1 and R2 are cleaned by the alarm.
   */
  #delete(ws: WebSocket, me: Attachment, f: Extract<ClientFrame, { type: "delete" }>): void {
    const row = this.#live(f.seq);
    if (!row) return this.#reject(ws, ErrorCode.NO_SUCH_MESSAGE, `no message ${f.seq} to delete`, { req: f.req });
    if (row.uid !== me.uid) return this.#reject(ws, ErrorCode.NOT_YOUR_MESSAGE, "you can only delete your own messages", { req: f.req });
    const files = (toMessage(row).attachments ?? []).map((a) => a.id);
    this.#sql.exec("UPDATE log SET text = '', attachments = NULL, call = NULL, deleted = 1 WHERE seq = ?", f.seq);
    this.#sql.exec("DELETE FROM reactions WHERE seq = ?", f.seq);
    this.#sql.exec("DELETE FROM reaction_log WHERE seq = ?", f.seq);
    this.#sql.exec("DELETE FROM files WHERE seq = ?", f.seq);
    this.#sql.exec("INSERT OR REPLACE INTO doomed (seq, files) VALUES (?, ?)", f.seq, JSON.stringify(files));
    this.#alarmBy(Date.now() + this.#flushDelayMs);
    this.#broadcast(frame({ type: "deleted", seq: f.seq }));
  }

  /** Adds the aggregated reactions to messages (one query for the page). */
  #withReactions(list: Message[]): Message[] {
    if (list.length === 0) return list;
    const seqs = list.map((m) => m.seq);
    const rows = this.#sql
      .exec<{ seq: number; emoji: string; uid: string }>(
        "SELECT seq, emoji, uid FROM reactions WHERE seq BETWEEN ? AND ? ORDER BY ts, rowid",
        Math.min(...seqs),
        Math.max(...seqs),
      )
      .toArray();
    return attachReactions(list, rows);
  }

  /**
   * Assigns the next seq and stores a message in one statement (the caller has
   * checked for a duplicate), and makes sure a flush will take it to D1.
   */
  #append(m: { cid: string; uid: string; name: string; text: string; call?: CallSummary; attachments?: FileMeta[] }): Message {
    const ts = Date.now();
    const { seq } = this.#sql
      .exec<{ seq: number }>(
        `INSERT INTO log (seq, cid, uid, name, text, ts, call, attachments)
         VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM log), ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
        m.cid,
        m.uid,
        m.name,
        m.text,
        ts,
        m.call ? JSON.stringify(m.call) : null,
        m.attachments ? JSON.stringify(m.attachments) : null,
      )
      .one();
    this.#alarmBy(ts + this.#flushDelayMs);
    return { seq, ts, ...m };
  }

  // ── calls ──────────────────────────────────────────────────────────────────

  #call(): StoredCall | null {
    return this.ctx.storage.kv.get<StoredCall>("call") ?? null;
  }

  /**
   * Starts a call: rings every other member of the room (from D1; a call start is
   * rare, so this read is off the message path), whether or not they have the room
   * open: their hubs show them the incoming call.
   */
  async #startCall(ws: WebSocket, me: Attachment, f: Extract<ClientFrame, { type: "call.start" }>): Promise<void> {
    const who: Sender = { id: me.uid, name: me.name, conn: me.conn };
    const running = this.#call();
    if (running) return this.#callStep(running, calls.start(running, who, f.media, [], "", Date.now(), this.#ringMs), ws, f.req);
    const roomId = this.ctx.storage.kv.get<string>("room");
    let others: string[];
    try {
      others = roomId === undefined ? [] : await memberIds(db(this.env.DB), roomId);
    } catch (err) {
      console.error("ChatRoom:call.start could not read the members", err);
      // Fall back to those who have the room open.
      others = this.#online().map((p) => p.id);
    }
    // The caller's socket closed while D1 answered: no call (it would hold a participant that is gone).
    if (this.#gone || ws.readyState !== WebSocket.OPEN) return;
    // Re-read: another frame may have started a call while D1 answered.
    const c = this.#call();
    const step = calls.start(c, who, f.media, others.filter((id) => id !== me.uid), randomId(12), Date.now(), this.#ringMs);
    this.#callStep(c, step, ws, f.req);
  }

  #callFrame(ws: WebSocket, me: Attachment, f: Exclude<Extract<ClientFrame, { type: `call.${string}` }>, { type: "call.start" }>): void {
    const c = this.#call();
    const who: Sender = { id: me.uid, name: me.name, conn: me.conn };
    const now = Date.now();
    let step: Step;
    switch (f.type) {
      case "call.accept":
        step = calls.accept(c, who, f.callId, now);
        break;
      case "call.join":
        step = calls.join(c, who, f.callId, now);
        break;
      case "call.decline":
        step = calls.refuse(c, who, f.callId, "declined", now);
        break;
      case "call.busy":
        step = calls.refuse(c, who, f.callId, "busy", now);
        break;
      case "call.hangup":
        step = calls.hangup(c, who, f.callId, now);
        break;
      case "call.media":
        step = calls.media(c, who, f.callId, { audio: f.audio, video: f.video, screen: f.screen });
        break;
      default:
        return assertNever(f);
    }
    this.#callStep(c, step, ws, f.req);
  }

  /**
   * Carries out one step of the call from `before` (the stored call the step was
   * computed from; an unchanged call is the very same object): the error for the sender, the new state
   * stored and broadcast (one serialized frame), `call.ended` to those it
   * concerned, the history message, and the alarm at the next deadline.
   */
  #callStep(before: StoredCall | null, step: Step, from?: WebSocket, req?: string): void {
    if (step.error && from) this.#reject(from, step.error.code, step.error.message, { req });
    if (step.call !== before) {
      if (step.call) this.ctx.storage.kv.put("call", step.call);
      else this.ctx.storage.kv.delete("call");
    }
    if (step.replaced && step.call) {
      // The person rejoined on a newer connection: for this one (if still open) the call is over.
      const over = frame({ type: "call.ended", callId: step.call.id, outcome: "completed" });
      for (const ws of this.ctx.getWebSockets(connTag(step.replaced))) send(ws, over);
    }
    const e = step.ended;
    if (e) {
      const ended = frame({ type: "call.ended", callId: e.call.id, outcome: e.outcome, ...(e.by ? { by: e.by } : {}) });
      const to = new Set<WebSocket>();
      for (const c of e.conns) for (const ws of this.ctx.getWebSockets(connTag(c))) to.add(ws);
      for (const u of e.users) for (const ws of this.ctx.getWebSockets(userTag(u))) to.add(ws);
      for (const ws of to) send(ws, ended);
    }
    if (step.call !== before && (step.call || before)) {
      this.#broadcast(frame({ type: "call", call: step.call ? calls.view(step.call) : null }));
    }
    if (e) {
      // One history message per call, on the normal message path (cid dedupes a repeat).
      const cid = `call:${e.call.id}`;
      const dup = this.#sql.exec("SELECT 1 FROM log WHERE uid = ? AND cid = ?", e.call.caller.id, cid).toArray().length > 0;
      if (!dup) this.#publish(this.#append({ cid, uid: e.call.caller.id, name: e.call.caller.name, text: e.text, call: e.summary }));
    }
    if (step.call !== before) this.#ringHubs(before, step.call);
    const at = calls.deadline(step.call);
    if (at !== null) this.#alarmBy(at);
  }

  /**
   * Tells the hubs of those a call started ringing (`call.ring`) and of those it
   * stopped ringing (`call.ring_ended`: answered, declined, missed, ended), so a
   * member without this room open sees the incoming call and sees it go. Only on a
   * call's changes (rare), in order per room, best effort.
   */
  #ringHubs(before: StoredCall | null, after: StoredCall | null): void {
    const roomId = this.ctx.storage.kv.get<string>("room");
    if (roomId === undefined) return;
    const was = new Set(before && (!after || before.id === after.id) ? before.ringing : []);
    const now = new Set(after ? after.ringing : []);
    const started = after ? [...now].filter((u) => !was.has(u)) : [];
    const stopped = before ? before.ringing.filter((u) => !(after && after.id === before.id && now.has(u))) : [];
    if (started.length === 0 && stopped.length === 0) return;
    const hubs = this.env.HUBS;
    const send = async () => {
      const results = await Promise.allSettled([
        ...stopped.map((u) => hubs.getByName(u).ringEnded({ roomId, callId: before!.id })),
        ...started.map((u) => hubs.getByName(u).ringing({ roomId, callId: after!.id, media: after!.media, caller: after!.caller })),
      ]);
      for (const r of results) if (r.status === "rejected") console.error("ChatRoom:ring a hub failed", r.reason);
    };
    const p = this.#hubRings.then(send);
    this.#hubRings = p;
    this.ctx.waitUntil(p);
  }

  /** Relays SDP or an ICE candidate to the one connection the addressed person is in the call with. */
  #rtc(ws: WebSocket, me: Attachment, f: Extract<ClientFrame, { type: "rtc" }>): void {
    const target = calls.rtcTarget(this.#call(), { id: me.uid, name: me.name, conn: me.conn }, f.callId, f.to);
    if ("code" in target) return this.#reject(ws, target.code, target.message);
    if (target.conn === null) return; // they dropped and may come back; they will negotiate anew
    const out = frame({
      type: "rtc",
      callId: f.callId,
      from: me.uid,
      ...(f.description !== undefined ? { description: f.description } : {}),
      ...(f.candidate !== undefined ? { candidate: f.candidate } : {}),
    });
    for (const peer of this.ctx.getWebSockets(connTag(target.conn))) send(peer, out);
  }

  /** A socket closed or was closed: if it was in the call, its participant is gone for now. */
  #callDisconnected(ws: WebSocket): void {
    const a = attachment(ws);
    if (!a?.conn) return;
    const c = this.#call();
    this.#callStep(c, calls.disconnected(c, a.conn, Date.now()));
  }

  /**
   * Fans a stored message out to every socket, the sender's included (its other
   * tabs need it; the sending tab matches it to its ack by cid). When messages come
   * faster than COALESCE_MS apart they are batched into one frame. The short timer
   * only exists while messages are flowing, when the object is awake anyway; the
   * messages are already durable and acked, so a lost timer would only delay them
   * to the next reconnect's replay.
   */
  #publish(m: Message): void {
    const now = Date.now();
    if (this.#outbox.length === 0 && now - this.#lastFanout >= COALESCE_MS) {
      this.#lastFanout = now;
      return this.#broadcast(frame({ type: "msgs", messages: [m] }));
    }
    this.#outbox.push(m);
    if (this.#outbox.length > 1) return; // the window is already open
    setTimeout(() => {
      const messages = this.#outbox;
      this.#outbox = [];
      this.#lastFanout = Date.now();
      this.#broadcast(frame({ type: "msgs", messages }));
    }, Math.max(0, this.#lastFanout + COALESCE_MS - now));
  }

  /** An `error` frame; a socket that keeps earning them is closed as abusive. */
  #reject(ws: WebSocket, code: ErrorCode, message: string, ids: { cid?: string; req?: string; retryMs?: number } = {}, strike = true): void {
    const { cid, req, retryMs } = ids;
    send(ws, frame({ type: "error", code, message, ...(cid === undefined ? {} : { cid }), ...(req === undefined ? {} : { req }), ...(retryMs === undefined ? {} : { retryMs }) }));
    if (!strike) return;
    const now = Date.now();
    let s = this.#strikes.get(ws);
    if (!s || now - s.since > STRIKE_WINDOW_MS) s = { n: 0, since: now };
    s.n += 1;
    this.#strikes.set(ws, s);
    if (s.n >= MAX_STRIKES) ws.close(Close.POLICY, "too many invalid or rate-limited frames");
  }

  // ── presence ───────────────────────────────────────────────────────────────

  #lastSeen(ws: WebSocket, a: Attachment): number {
    const pong = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
    return Math.max(a.at, pong, this.#activity.get(ws) ?? 0);
  }

  /** People with at least one live socket: open, and heard from within GHOST_AFTER_MS. */
  #online(except?: WebSocket): Peer[] {
    const now = Date.now();
    const seen = new Map<string, Peer>();
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === except || ws.readyState !== WebSocket.OPEN) continue;
      const a = attachment(ws);
      if (!a || now - this.#lastSeen(ws, a) > this.#ghostAfterMs) continue;
      seen.set(a.uid, { id: a.uid, name: a.name });
    }
    return [...seen.values()];
  }

  /** After a socket closed: tell the others if its person is now gone. */
  #left(ws: WebSocket): void {
    this.#callDisconnected(ws);
    const a = attachment(ws);
    if (a && !a.shut && !this.#online(ws).some((p) => p.id === a.uid)) {
      this.#broadcast(frame({ type: "presence", joined: [], left: [a.uid] }), ws);
    }
  }

  /** Closes sockets whose client vanished without a close (no heartbeat for GHOST_AFTER_MS). */
  #sweepGhosts(now: number): void {
    const ghosts = this.ctx.getWebSockets().filter((ws) => {
      const a = attachment(ws);
      return a && !a.shut && now - this.#lastSeen(ws, a) > this.#ghostAfterMs;
    });
    this.#shut(ghosts, Close.GHOST, "no heartbeat");
  }

  /**
   * Closes `sockets` with `code` and sends one presence frame naming those of
   * their people who now have no live socket left (a second tab keeps one online).
   * Each socket is marked so that its close event does not announce it again.
   */
  #shut(sockets: WebSocket[], code: number, reason: string): number {
    const gone = new Set<string>();
    for (const ws of sockets) {
      const a = attachment(ws);
      if (a) {
        gone.add(a.uid);
        try {
          ws.serializeAttachment({ ...a, shut: true } satisfies Attachment);
        } catch {
          // already closed
        }
      }
      close(ws, code, reason);
      this.#callDisconnected(ws);
    }
    for (const p of this.#online()) gone.delete(p.id);
    if (gone.size > 0) this.#broadcast(frame({ type: "presence", joined: [], left: [...gone] }));
    return sockets.length;
  }

  // ── log ────────────────────────────────────────────────────────────────────

  /**
   * What a (re)connecting client is missing. Bounded: at most REPLAY_LIMIT rows;
   * beyond that, or before what the log still holds, `gap` sends it to HTTP paging.
   */
  #replay(since: number | null): { messages: Message[]; lastSeq: number; gap: boolean; sync?: WelcomeSync } {
    const r = this.#replayMessages(since);
    if (since === null || since < 1) return r;
    const sync = this.#sync(since, r.lastSeq);
    return sync ? { ...r, sync } : r;
  }

  /**
   * Reactions and deletions on the messages a reconnecting client already has (the last
   * REPLAY_LIMIT up to `since` that the log still holds): they may have changed while it was away.
   */
  #sync(since: number, lastSeq: number): WelcomeSync | null {
    const first = this.#sql.exec<{ first: number | null }>("SELECT min(seq) AS first FROM log").one().first;
    if (first === null) return null;
    const to = Math.min(since, lastSeq);
    const from = Math.max(first, to - REPLAY_LIMIT + 1);
    if (to < from) return null;
    const rows = this.#sql
      .exec<{ seq: number; emoji: string; uid: string }>("SELECT seq, emoji, uid FROM reactions WHERE seq BETWEEN ? AND ? ORDER BY ts, rowid", from, to)
      .toArray();
    const stubs = [...new Set(rows.map((r) => r.seq))].sort((a, b) => a - b).map((seq) => ({ seq }) as Message);
    const reactions = attachReactions(stubs, rows).map((m) => ({ seq: m.seq, reactions: m.reactions ?? [] }));
    const deleted = this.#sql
      .exec<{ seq: number }>("SELECT seq FROM log WHERE deleted = 1 AND seq BETWEEN ? AND ? ORDER BY seq", from, to)
      .toArray()
      .map((r) => r.seq);
    return { from, to, reactions, deleted };
  }

  #replayMessages(since: number | null): { messages: Message[]; lastSeq: number; gap: boolean } {
    const { last, first } = this.#sql
      .exec<{ last: number | null; first: number | null }>("SELECT max(seq) AS last, min(seq) AS first FROM log")
      .one();
    const lastSeq = last ?? 0;
    if (since === null) return { messages: this.page(null, DEFAULT_PAGE).reverse(), lastSeq, gap: false };
    if (since >= lastSeq) return { messages: [], lastSeq, gap: false };
    if (lastSeq - since <= REPLAY_LIMIT && first !== null && since + 1 >= first) {
      const rows = this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM log WHERE seq > ? ORDER BY seq`, since).toArray();
      return { messages: this.#withReactions(rows.map(toMessage)), lastSeq, gap: false };
    }
    return { messages: this.page(null, DEFAULT_PAGE).reverse(), lastSeq, gap: true };
  }

  /**
   * Writes unflushed rows to D1 in batches. Returns whether some are left for
   * another run, and the newest message it wrote.
   */
  async #flush(): Promise<{ more: boolean; newest: Message | null }> {
    const room = this.ctx.storage.kv.get<string>("room");
    if (room === undefined) return { more: false, newest: null };
    let newest: Message | null = null;
    for (let round = 0; round < FLUSH_ROUNDS; round++) {
      const rows = this.#sql
        .exec<Row>(`SELECT ${COLUMNS} FROM log WHERE flushed = 0 ORDER BY seq LIMIT ?`, FLUSH_BATCH)
        .toArray()
        .map(toMessage);
      if (rows.length === 0) break;
      await insertMessages(db(this.env.DB), room, rows);
      if (this.#gone) return { more: false, newest: null };
      newest = rows.at(-1)!;
      // Rows inserted while D1 was answering have higher seqs and stay unflushed.
      this.#sql.exec("UPDATE log SET flushed = 1 WHERE flushed = 0 AND seq <= ?", newest.seq);
      // D1 now records which message carries these files (attachments.message_seq): the room can forget them.
      this.#sql.exec("DELETE FROM files WHERE seq IS NOT NULL AND seq <= ?", newest.seq);
      if (rows.length < FLUSH_BATCH) break;
    }
    this.#sql.exec("DELETE FROM log WHERE flushed = 1 AND seq <= (SELECT max(seq) FROM log) - ?", KEEP_FLUSHED);
    // Reactions after the messages they are on; in their order, so a replay ends in the same state.
    let moreReactions = false;
    for (let round = 0; round < FLUSH_ROUNDS; round++) {
      const events = this.#sql
        .exec<{ id: number; seq: number; emoji: string; uid: string; on_: number; ts: number }>(
          "SELECT id, seq, emoji, uid, on_, ts FROM reaction_log ORDER BY id LIMIT ?",
          FLUSH_BATCH,
        )
        .toArray();
      if (events.length === 0) break;
      await applyReactions(
        db(this.env.DB),
        room,
        events.map((e): ReactionEvent => ({ seq: e.seq, emoji: e.emoji, userId: e.uid, on: e.on_ === 1, ts: e.ts })),
      );
      if (this.#gone) return { more: false, newest: null };
      this.#sql.exec("DELETE FROM reaction_log WHERE id <= ?", events.at(-1)!.id);
      moreReactions = events.length === FLUSH_BATCH;
      if (!moreReactions) break;
    }
    // Deleted messages last: tombstone in D1, their reactions and attachment rows gone, then the bytes.
    const doomed = this.#sql.exec<{ seq: number; files: string }>("SELECT seq, files FROM doomed ORDER BY seq LIMIT 50").toArray();
    if (doomed.length > 0) {
      const list = doomed.map((d) => ({ seq: d.seq, files: JSON.parse(d.files) as string[] }));
      await applyDeletions(db(this.env.DB), room, list);
      const keys = list.flatMap((d) => d.files.flatMap((id) => [mediaKey(room, id), mediaKey(room, id, true)]));
      for (let i = 0; i < keys.length; i += 1000) await this.env.MEDIA.delete(keys.slice(i, i + 1000));
      if (this.#gone) return { more: false, newest: null };
      this.#sql.exec("DELETE FROM doomed WHERE seq <= ?", doomed.at(-1)!.seq);
    }
    const more =
      this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM log WHERE flushed = 0").one().n > 0 ||
      moreReactions ||
      this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM doomed").one().n > 0;
    return { more, newest };
  }

  /**
   * Tells every member's hub (their sidebar) about the newest flushed message. This
   * runs once per flush batch, never per message, so it stays off the hot path.
   * Best effort: a failure is logged and not retried; the next flush or a sidebar
   * refetch catches the sidebar up.
   */
  /**
   * The members' sidebars hear about a busy room at most once per ANNOUNCE_GAP_MS:
   * each announcement wakes one hub per member, which must not grow with the message
   * rate. True: announce now; a time: the alarm must come back then; false: nothing to say.
   */
  #announceDue(fresh: boolean, now: number): boolean | number {
    const kv = this.ctx.storage.kv;
    const pending = fresh || kv.get<boolean>("announce_pending") === true;
    if (!pending) return false;
    const last = kv.get<number>("announced_at") ?? 0;
    if (now - last >= ANNOUNCE_GAP_MS) {
      kv.put("announced_at", now);
      kv.delete("announce_pending");
      return true;
    }
    kv.put("announce_pending", true);
    return last + ANNOUNCE_GAP_MS;
  }

  /** The newest message already in D1 (what a deferred announcement reports). */
  #newestFlushed(): Message | null {
    const row = this.#sql.exec<Row>(`SELECT ${COLUMNS} FROM log WHERE flushed = 1 ORDER BY seq DESC LIMIT 1`).toArray()[0];
    return row ? toMessage(row) : null;
  }

  async #announce(m: Message | null): Promise<void> {
    if (!m) return;
    const roomId = this.ctx.storage.kv.get<string>("room");
    if (roomId === undefined) return;
    try {
      const ids = await memberIds(db(this.env.DB), roomId);
      const lastMessage = lastMessageOf(m);
      const results = await Promise.allSettled(
        ids.map((id) => this.env.HUBS.getByName(id).activity({ roomId, lastSeq: m.seq, lastMessage })),
      );
      for (const r of results) if (r.status === "rejected") console.error("ChatRoom:announce to a hub failed", r.reason);
    } catch (err) {
      console.error("ChatRoom:announce failed", err);
    }
  }

  // ── helpers ────────────────────────────────────────────────────────────────

  /** Makes sure an alarm fires no later than `at`. */
  #alarmBy(at: number): void {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  /** Sends one serialized frame to every socket but `except`. */
  #broadcast(data: string, except?: WebSocket): void {
    for (const ws of this.ctx.getWebSockets()) if (ws !== except) send(ws, data);
  }
}

/** Closes unless already closed. */
function close(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}

/** Sends unless the socket is already closing: its close event will clean up. */
function send(ws: WebSocket, data: string): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  try {
    ws.send(data);
  } catch {
    // closed between the check and the send
  }
}

function attachment(ws: WebSocket): Attachment | null {
  return (ws.deserializeAttachment() as Attachment | null) ?? null;
}

function toMessage(r: Row): Message {
  const m: Message = { seq: r.seq, cid: r.cid, uid: r.uid, name: r.name, text: r.text, ts: r.ts };
  if (r.call !== null) m.call = JSON.parse(r.call) as CallSummary;
  if (r.attachments !== null) m.attachments = JSON.parse(r.attachments) as FileMeta[];
  if (r.deleted === 1) m.deleted = true;
  return m;
}

