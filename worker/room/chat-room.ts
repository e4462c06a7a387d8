/**
 * One Durable Object per room: a thin adapter between the runtime and the room logic.
 * Its entry points read who a socket is (its attachment), call the logic — messages,
 * presence, calls (call-effects.ts), the flush — and hand the effects it returns to
 * RoomIO (room-io.ts), which sends the frames, closes, tells hubs and sets the alarm.
 *
 * The message path, end to end: webSocketMessage (frame limits, parse) → #handle →
 * messages.send (dedupe, rate, files, seq + storage) → io.apply (ack, fan-out, flush
 * due) → alarm → flush.ts (D1, trim) → the members' sidebars.
 *
 * Nothing about a connection lives only in memory: who a socket is travels in its
 * attachment, presence is derived from the sockets, and the log, the call and the flush
 * state are in storage (store/room-store.ts), cool-downs after abuse too. What is in
 * memory (rate-limit buckets, strikes, last-frame times, the fan-out's few milliseconds
 * of batching) may be forgotten at any wake.
 */
import { DurableObject } from "cloudflare:workers";
import {
  Close,
  ErrorCode,
  PROTOCOL,
  RING_TIMEOUT_MS,
  assertNever,
  parseClientFrame,
  randomId,
  type Attachment as FileMeta,
  type ClientFrame,
  type Message,
} from "../protocol";
import { db } from "../db/client";
import { memberIds, memberRoles } from "../db/queries";
import { errorJson, tooManyRequests } from "../http/errors";
import * as calls from "./call";
import * as callEffects from "./call-effects";
import { frameTo, reject, type Conn, type Effect } from "./effects";
import { announcement, describeFailure, flush, pushRound, type History } from "./flush";
import { d1History } from "./history-d1";
import { connTag, identityFrom, sessionOver, sessionTag, userTag } from "./identity";
import * as messages from "./messages";
import { memberListNeeded } from "./mentions";
import * as presence from "./presence";
import * as receipts from "./receipts";
import { MessageBudget, TokenBuckets, type Rate } from "./rate-limit";
import { RoomIO, type Attachment } from "./room-io";
import { SESSION_EXPIRED, answerHeartbeats, close, envNumber, finishClose } from "./sockets";
import { RoomStore } from "./store/room-store";

/** Any frame at all, per user: generous, only against floods. */
const FRAME_RATE_PER_SEC = 50;
const FRAME_BURST = 100;
/**
 * Calls a person may start, per minute and at once: each one rings every other member of
 * the room, on their screen whether or not they have the room open.
 */
const CALL_STARTS_PER_MIN = 3;
const CALL_START_BURST = 3;
/**
 * Sockets one person may have open in the room (tabs, devices). Opening another closes
 * their oldest with Close.TOO_MANY_CONNECTIONS: hundreds of sockets of one person would
 * slow the room down for everyone.
 */
const MAX_SOCKETS_PER_PERSON = 10;

export class ChatRoom extends DurableObject<Env> {
  readonly #store: RoomStore;
  readonly #io: RoomIO;
  readonly #history: History;
  readonly #cfg: { budget: Rate; roomBudget: Rate; ghostAfterMs: number; flushDelayMs: number; ringMs: number };
  /** Messages per sender (the budget the welcome advertises) and per room; any frame per sender; call starts per person. */
  readonly #budget: MessageBudget;
  readonly #frames = new TokenBuckets(FRAME_RATE_PER_SEC, FRAME_BURST);
  readonly #callStarts = new TokenBuckets(CALL_STARTS_PER_MIN / 60, CALL_START_BURST);
  /** The flush in progress, if any: destroy() waits for it so nothing reaches D1 after. */
  #flushing: Promise<unknown> | null = null;
  /** Set by destroy(). Only in memory: after an eviction the storage is empty anyway, and the Worker lets nobody in. */
  #gone = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#cfg = {
      budget: { perSec: envNumber(env.MSG_RATE_PER_SEC, 10), burst: envNumber(env.MSG_BURST, 20) },
      roomBudget: { perSec: envNumber(env.ROOM_MSG_RATE_PER_SEC, 50), burst: envNumber(env.ROOM_MSG_BURST, 100) },
      ghostAfterMs: envNumber(env.GHOST_AFTER_MS, 60_000),
      flushDelayMs: envNumber(env.FLUSH_DELAY_MS, 1000),
      ringMs: envNumber(env.RING_TIMEOUT_MS, RING_TIMEOUT_MS),
    };
    this.#store = new RoomStore(ctx.storage);
    this.#io = new RoomIO(ctx, env, this.#store, this.#cfg);
    this.#history = d1History(env);
    this.#budget = new MessageBudget(this.#cfg.budget, this.#cfg.roomBudget);
    answerHeartbeats(ctx);
  }

  // ── entry points ───────────────────────────────────────────────────────────

  /** Only WebSocket upgrades forwarded by the Worker, with the identity it verified. */
  override async fetch(req: Request): Promise<Response> {
    try {
      return this.#accept(req);
    } catch (err) {
      console.error("ChatRoom:fetch", err);
      return new Response("internal error", { status: 500 });
    }
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    // Frames still in flight after we closed a socket (e.g. for abuse) are dropped.
    if (ws.readyState !== WebSocket.OPEN) return;
    const me = this.#io.attachmentOf(ws);
    if (!me) return close(ws, 1011, "unknown socket");
    const origin = { ws, conn: me.conn };
    const now = Date.now();
    // Heartbeats never get here (the runtime answers them): a frame is where an open
    // socket meets its session's end; the alarm's sweep closes the silent ones.
    if (sessionOver(me, now)) return this.#io.apply(this.#shut([me.conn], Close.UNAUTHORIZED, SESSION_EXPIRED, now), null, now);
    this.#io.heard(ws, now);
    if (!this.#frames.take(me.uid, now)) {
      return this.#io.apply([reject(me.conn, ErrorCode.RATE_LIMITED, "too many frames; slow down", { retryMs: this.#frames.wait(me.uid, now) })], origin, now);
    }
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return this.#io.apply([reject(me.conn, parsed.code, parsed.message, parsed)], origin, now);
    const f = parsed.frame;
    try {
      this.#io.apply(await this.#handle(ws, me, f, now), origin, now);
    } catch (err) {
      console.error(`ChatRoom:webSocketMessage ${f.type}`, err);
      const ids = { cid: "cid" in f ? f.cid : undefined, req: "req" in f ? f.req : undefined };
      this.#io.apply([reject(me.conn, ErrorCode.INTERNAL, "the room could not handle that; try again", ids, false)], origin, now);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    finishClose(ws, code, reason);
    this.#guard("webSocketClose", () => this.#left(ws));
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    console.warn("ChatRoom:webSocketError", error);
    this.#guard("webSocketError", () => this.#left(ws));
  }

  /**
   * Call deadlines, the sweep of ghosts and of sockets whose session has ended, the flush
   * to D1 (unless backing off) and the members' sidebars; then the next alarm. See
   * flush.ts for the flush's rules.
   */
  override async alarm(): Promise<void> {
    this.#io.alarmFired();
    if (this.#gone) return;
    const now = Date.now();
    try {
      // Call deadlines first: a call that ends here leaves its history message for this flush.
      this.#io.apply(callEffects.tick(this.#store, this.#budget, now), null, now);
      this.#io.apply(this.#shut(presence.ghosts(this.#io.views(), now, this.#cfg.ghostAfterMs), Close.GHOST, "no heartbeat", now), null, now);
      this.#io.apply(this.#shut(presence.expired(this.#io.views(), now), Close.UNAUTHORIZED, SESSION_EXPIRED, now), null, now);
      this.#store.dropLapsedWatchers(now);
      const roomId = this.#store.roomId();
      let more = false;
      let announceAt: number | null = null;
      if (roomId !== undefined) {
        const log = (m: string) => console.error(`ChatRoom:alarm ${m}`);
        const unlisted = this.#store.newestFlushed() === null;
        const flushing = flush(this.#store, this.#history, { roomId, now, random: Math.random, gone: () => this.#gone, log });
        this.#flushing = flushing;
        const r = await flushing.finally(() => (this.#flushing = null));
        if (r.status === "gone" || this.#gone) return;
        if (r.status === "failed") console.error(`ChatRoom:alarm ${describeFailure(r, now)}`, r.error);
        this.#io.apply(r.effects, null, now);
        more = r.status === "done" && r.more;
        if (unlisted && r.status === "done" && r.newest) this.#io.listed();
        const a = announcement(this.#store, r.status === "done" ? r.newest : null, now);
        if (a.announce) {
          this.#io.announce(a.announce);
          this.#io.push(pushRound(this.#store, now), now);
        }
        announceAt = a.at;
      }
      this.#io.alarmAt({
        now,
        flush: this.#store.hasUnflushedWork() ? { pending: true, since: now, more } : { pending: false },
        retryAt: this.#store.flushBackoff()?.retryAt ?? null,
        announceAt,
        sockets: this.ctx.getWebSockets().length > 0,
        call: calls.deadline(this.#store.call()),
      });
    } catch (err) {
      // Unexpected (storage, a bug): logged, and the alarm comes back rather than stopping for good.
      console.error("ChatRoom:alarm", err);
      this.#io.retryAlarm(now + this.#cfg.flushDelayMs);
    }
  }

  // ── RPC for the Worker ─────────────────────────────────────────────────────

  /** Messages with seq < before (the newest when null), newest first, from the room's log. */
  page(before: number | null, limit: number): Message[] {
    return this.#rpc("page", () => messages.page(this.#store, before, limit));
  }

  /**
   * An upload of `uploaderId` in this room is complete (called by the Worker): from now on
   * a `send` of that person may carry it, checked here without leaving the room.
   */
  attachmentReady(uploaderId: string, meta: FileMeta): void {
    this.#rpc("attachmentReady", () => this.#store.fileReady(uploaderId, meta));
  }

  /** The uploader discards a finished upload: false when a message already carries it (then it stays). */
  dropAttachment(id: string): boolean {
    return this.#rpc("dropAttachment", () => this.#store.dropFile(id));
  }

  /**
   * `userId` read the room up to `seq` (POST /api/rooms/:id/read; `hidesReads`: their "Send read
   * receipts" is off). Their position only moves forward, clamped to the room's last seq;
   * the others see it with the receipts gate's next frame. Returns the clamped seq.
   */
  read(userId: string, seq: number, hidesReads: boolean): number {
    return this.#rpc("read", () => {
      const last = this.#store.bounds().last;
      this.#setHidesReads(userId, hidesReads);
      const next = receipts.advance(this.#store.receipt(userId), { read: seq }, last);
      if (next) {
        this.#store.setReceipt(userId, next);
        this.#io.receiptsChanged(userId);
      }
      return Math.min(seq, last);
    });
  }

  /**
   * `userId` switched "Send read receipts" (PUT /api/me/receipts): the others see their read
   * position go or come back, and their own sockets get every position as they may now see it.
   */
  readReceipts(userId: string, on: boolean): void {
    this.#rpc("readReceipts", () => {
      if (this.#gone || !this.#setHidesReads(userId, !on)) return;
      this.#io.send({ users: [userId] }, { type: "receipts", receipts: receipts.view(this.#store.receipts(), !on) }, null);
    });
  }

  /** The newest seq the room has assigned (0 when none). */
  lastSeq(): number {
    return this.#rpc("lastSeq", () => this.#store.bounds().last);
  }

  /**
   * Closes every socket of one person whose membership ended at `endedAt` (removed
   * from the room, or left it) and tells the others they are gone. The Worker has
   * already taken them off the member list; an upgrade it let through just before
   * that (racing this call) is refused too, since the membership it carries began
   * before `endedAt`. Joining again by link makes a newer membership.
   */
  kick(userId: string, code: number = Close.FORBIDDEN, endedAt = Date.now(), reason = "you are no longer a member of this room"): number {
    return this.#rpc("kick", () => {
      const now = Date.now();
      this.#store.endMembership(userId, endedAt);
      this.#store.unwatch(userId);
      this.#store.removeMember(userId);
      this.#store.dropReceipt(userId);
      const conns = this.#io.conns(userTag(userId));
      const members = frameTo({ all: true }, { type: "members" });
      this.#io.apply([...this.#shut(conns, code, reason, now), ...callEffects.removed(this.#store, this.#budget, userId, endedAt), members], null, now);
      return conns.length;
    });
  }

  /** The member list changed (someone joined): every open client refetches the room's details; its member list is reloaded before the next mention. */
  membersChanged(): void {
    this.#rpc("membersChanged", () => {
      this.#store.memberListStale();
      this.#io.send({ all: true }, { type: "members" }, null);
    });
  }

  /** The room's name or topic changed: open clients refetch it, and the watching sidebars their lists. */
  roomChanged(): void {
    this.#rpc("roomChanged", () => this.#io.roomChanged());
  }

  /**
   * `userId`'s hub watches the room until `until`: it has sockets open (the app is open
   * somewhere) and renews the lease while it does. Only watching hubs hear of the room's
   * news (sidebar activity, rings); the others read it from D1 when their user returns.
   * What the room has flushed has reached that user's app: delivered (read receipts).
   */
  watch(roomId: string, userId: string, until: number): void {
    this.#rpc("watch", () => {
      if (this.#gone) return;
      this.#store.rememberRoomId(roomId);
      this.#store.watch(userId, until);
      // A hub watches while its user has the app open, and their sidebar has the room's
      // newest flushed message (it just fetched the list, or heard of each since): delivered.
      const newest = this.#store.newestFlushed();
      if (newest) this.#io.reached([userId], newest.seq);
    });
  }

  /** Closes the sockets opened with one session (logged out): 4001. */
  closeSession(sid: string): number {
    return this.#rpc("closeSession", () => {
      const now = Date.now();
      const conns = this.#io.conns(sessionTag(sid));
      this.#io.apply(this.#shut(conns, Close.UNAUTHORIZED, "signed out", now), null, now);
      return conns.length;
    });
  }

  /**
   * The room was deleted: every socket is closed with 4004 and the storage wiped
   * (log, flush state, alarm). Waits for a flush in flight first, so that nothing
   * reaches D1 after this returns. Returns the users whose hubs were watching it.
   */
  async destroy(): Promise<string[]> {
    // A second call (a delete retried after the first wiped the storage) finds nothing.
    const watching = this.#gone ? [] : this.#store.watching(Date.now());
    this.#gone = true;
    await this.#flushing?.catch(() => undefined);
    await this.#io.stop();
    await this.ctx.storage.deleteAll();
    return watching;
  }

  // ── what the entry points do ───────────────────────────────────────────────

  #accept(req: Request): Response {
    const who = identityFrom(req);
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket" || !who) {
      return new Response("expected an authenticated WebSocket upgrade", { status: 400 });
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    const refuse = (code: number, reason: string) => {
      this.ctx.acceptWebSocket(server);
      server.close(code, reason);
      return new Response(null, { status: 101, webSocket: client });
    };
    if (this.#gone) return refuse(Close.ROOM_GONE, "the room was deleted");
    // The Worker checked membership a moment ago; if that membership has ended since
    // (removed or left while this upgrade was on its way), refuse the socket.
    const ended = this.#store.membershipEnded(who.id);
    if (ended !== undefined && who.memberSince < ended) return refuse(Close.FORBIDDEN, "you are no longer a member of this room");
    const url = new URL(req.url);
    const version = url.searchParams.get("v");
    if (version !== null && version !== String(PROTOCOL)) return refuse(Close.PROTOCOL_VERSION, `protocol ${PROTOCOL} required`);
    const now = Date.now();
    // Cooling down after a socket of theirs was closed for abuse: refused before any socket exists.
    const until = this.#store.cooldown(who.id)?.until ?? 0;
    if (until > now) {
      const s = Math.ceil((until - now) / 1000);
      return errorJson(tooManyRequests(`your connection to this room was closed for abuse; try again in ${s} seconds`, s));
    }

    this.#store.rememberRoomId(who.room);
    if (who.dm) this.#io.dmKnown();
    this.#store.addMember(who.id);
    const me: Attachment = { uid: who.id, name: who.name, conn: randomId(9), at: now, exp: who.until, since: who.memberSince };
    const mine = this.#io.views(undefined, userTag(me.uid));
    const excess = presence.overflow(mine, MAX_SOCKETS_PER_PERSON);
    const theirs = mine.filter((v) => !excess.includes(v.conn));
    // Tags find a person's sockets (removal), a session's (logout) and one connection (calls).
    this.ctx.acceptWebSocket(server, [userTag(me.uid), sessionTag(who.sid), connTag(me.conn)]);
    this.#io.attach(server, me);
    const since = url.searchParams.get("since");
    const replay = messages.welcome(this.#store, since !== null && /^\d{1,15}$/.test(since) ? Number(since) : null);
    const online = this.#io.online(now);
    const call = this.#store.call();
    const view = call ? calls.view(call) : null;
    this.#setHidesReads(me.uid, who.hidesReads === true);
    const seen = receipts.view(this.#store.receipts(), who.hidesReads === true);
    const hello: Effect[] = [
      frameTo({ conn: me.conn }, { type: "welcome", v: PROTOCOL, me: { id: me.uid, name: me.name }, online, budget: this.#cfg.budget, call: view, receipts: seen, ...replay }),
    ];
    if (view) hello.push(frameTo({ conn: me.conn }, { type: "call", call: view }));
    const replaced = this.#shut(excess, Close.TOO_MANY_CONNECTIONS, `more than ${MAX_SOCKETS_PER_PERSON} connections of yours to this room; this was the oldest`, now);
    this.#io.apply([...replaced, ...hello, ...presence.joined(theirs, me, now, this.#cfg.ghostAfterMs)], { ws: server, conn: me.conn }, now, { sockets: true });
    return new Response(null, { status: 101, webSocket: client });
  }

  /** One parsed frame from `me`: where each kind goes. */
  #handle(ws: WebSocket, me: Conn, f: ClientFrame, now: number): Effect[] | Promise<Effect[]> {
    switch (f.type) {
      case "send":
        return this.#afterMembers(me, f, { cid: f.cid }, now, () => {
          if (f.replyTo === undefined) return messages.send(this.#store, this.#budget, me, f, Date.now());
          return this.#onMessage(f.replyTo, (older) => messages.send(this.#store, this.#budget, me, f, Date.now(), older));
        });
      case "edit":
        return this.#afterMembers(me, f, { req: f.req }, now, () =>
          this.#onMessage(f.seq, (older) => messages.edit(this.#store, this.#budget, me, f, Date.now(), older)),
        );
      case "react":
        return this.#onMessage(f.seq, (older) => messages.react(this.#store, me, f, Date.now(), older));
      case "delete":
        return this.#onMessage(f.seq, (older) => messages.remove(this.#store, me, f, older));
      case "typing":
        return presence.typing(me, f.on);
      case "call.start":
        return this.#startCall(ws, me, f);
      case "call.accept":
      case "call.join":
      case "call.decline":
      case "call.busy":
      case "call.hangup":
      case "call.media":
        return callEffects.frame(this.#store, this.#budget, me, f, now);
      case "rtc":
        return callEffects.rtc(this.#store, me, f);
      default:
        return assertNever(f);
    }
  }

  /**
   * Runs `handle` on a frame that names message `seq`. The log answers for recent messages
   * at once; one older than the log (rare: an edit, reaction, deletion or reply far back) is
   * read from D1 first, so the common case never leaves the room. Frames arriving during
   * that read may be handled before this one.
   */
  #onMessage(seq: number, handle: (older: Message | null) => Effect[]): Effect[] | Promise<Effect[]> {
    if (!messages.needsOlder(this.#store, seq)) return handle(null);
    const roomId = this.#store.roomId();
    if (roomId === undefined) return handle(null);
    return this.#history.older(roomId, seq).then((older) => (this.#gone ? [] : handle(older)));
  }

  /**
   * Starts a call: rings every other member of the room, read from D1 (a call start is
   * rare, so this read is off the message path), whether or not they have the room open:
   * their hubs show them the incoming call. A person starts only CALL_STARTS_PER_MIN.
   */
  async #startCall(ws: WebSocket, me: Conn, f: Extract<ClientFrame, { type: "call.start" }>): Promise<Effect[]> {
    const now = Date.now();
    if (this.#store.call()) return callEffects.start(this.#store, this.#budget, me, f.media, [], "", now, this.#cfg.ringMs, f.req);
    if (!this.#callStarts.take(me.uid, now)) {
      const retryMs = this.#callStarts.wait(me.uid, now);
      return [reject(me.conn, ErrorCode.RATE_LIMITED, `you can start ${CALL_STARTS_PER_MIN} calls a minute`, { req: f.req, retryMs }, false)];
    }
    const roomId = this.#store.roomId();
    let members: string[];
    try {
      members = roomId === undefined ? [] : await memberIds(db(this.env.DB), roomId);
    } catch (err) {
      console.error("ChatRoom:call.start could not read the members", err);
      members = presence.online(this.#io.views(), Date.now(), this.#cfg.ghostAfterMs).map((p) => p.id);
    }
    // The caller's socket closed while D1 answered: no call (it would hold a participant that is gone).
    if (this.#gone || ws.readyState !== WebSocket.OPEN) return [];
    // Another frame may have started a call meanwhile: start() answers call_exists then.
    return callEffects.start(this.#store, this.#budget, me, f.media, members, randomId(12), Date.now(), this.#cfg.ringMs, f.req);
  }

  /**
   * Runs `then` for a message or an edit, after the room's member list is (re)loaded from D1
   * if its mentions need that (mentions.ts: once per room and after a join, not per
   * message). The room's other events wait meanwhile, so messages keep their order. Should
   * D1 fail, a list loaded before still decides; with none, the frame is refused as a
   * passing failure (`about`: its cid or req).
   */
  #afterMembers(
    me: Conn,
    f: { mentions?: string[] },
    about: { cid?: string; req?: string },
    now: number,
    then: () => Effect[] | Promise<Effect[]>,
  ): Effect[] | Promise<Effect[]> {
    if (!memberListNeeded(this.#store, f, now)) return then();
    return this.#loadMembers().then(() => {
      if (this.#gone) return [];
      if (this.#store.memberListAt() === undefined) {
        return [reject(me.conn, ErrorCode.INTERNAL, "the room could not check the mentions; try again", about, false)];
      }
      return then();
    });
  }

  async #loadMembers(): Promise<void> {
    const roomId = this.#store.roomId();
    await this.ctx.blockConcurrencyWhile(async () => {
      if (roomId === undefined) return;
      try {
        const at = Date.now();
        this.#store.setMemberList(await memberRoles(db(this.env.DB), roomId), at);
      } catch (err) {
        console.error("ChatRoom: could not load the members", err);
      }
    });
  }

  /** After a socket closed or failed: a call it was in loses it, and the others hear if its person left. */
  #left(ws: WebSocket): void {
    const a = this.#io.attachmentOf(ws);
    if (!a) return;
    const now = Date.now();
    this.#io.forget(a.conn);
    const gone: presence.SocketView = { uid: a.uid, name: a.name, conn: a.conn, open: false, shut: a.shut === true, at: a.at, lastSeen: 0, exp: a.exp };
    const left = presence.left(gone, this.#io.views(ws, userTag(a.uid)), now, this.#cfg.ghostAfterMs);
    this.#io.apply([...callEffects.disconnected(this.#store, this.#budget, a.conn, now), ...left], null, now);
  }

  /** The room closes these connections: presence tells the others, and a call they were in loses them. */
  #shut(conns: readonly string[], code: number, reason: string, now: number): Effect[] {
    if (conns.length === 0) return []; // (every upgrade asks: no scan of the sockets for nothing)
    return [
      ...presence.shut(this.#io.views(), conns, code, reason, now, this.#cfg.ghostAfterMs),
      ...conns.flatMap((c) => callEffects.disconnected(this.#store, this.#budget, c, now)),
    ];
  }

  /** Stores whether `uid` hides reads; true when that changed (the others hear of it with the next receipts frame). */
  #setHidesReads(uid: string, hidden: boolean): boolean {
    const p = this.#store.receipt(uid);
    if ((p?.hidden ?? false) === hidden) return false;
    this.#store.setReceipt(uid, { ...(p ?? receipts.NO_POSITION), hidden });
    this.#io.receiptsChanged(uid);
    return true;
  }

  #guard(entry: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      console.error(`ChatRoom:${entry}`, err);
    }
  }

  #rpc<T>(entry: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      console.error(`ChatRoom:${entry}`, err);
      throw err;
    }
  }
}
