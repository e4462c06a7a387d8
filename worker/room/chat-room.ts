/**
 * One Durable Object per room: a thin adapter between the runtime and the room logic.
 * Its entry points read who a socket is (its attachment), call the logic — messages,
 * presence, calls (call-effects.ts), the flush — and carry out the effects it returns:
 * frames, closes, hub notices, and the one alarm (deadlines.ts).
 *
 * The message path, end to end: webSocketMessage (frame limits, parse) → #handle →
 * messages.send (dedupe, rate, files, seq + storage) → #apply (ack, fan-out, flush due)
 * → alarm → flush.ts (D1, trim, announce).
 *
 * Nothing about a connection lives only in memory: who a socket is travels in its
 * attachment, presence is derived from the sockets, and the log, the call and the flush
 * state are in storage (store/room-store.ts). What is in memory (rate-limit buckets,
 * strikes, last-frame times, the fan-out's few milliseconds of batching) may be
 * forgotten at any wake.
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
  type ServerFrame,
} from "../protocol";
import { db } from "../db/client";
import { memberIds } from "../db/queries";
import * as calls from "./call";
import * as callEffects from "./call-effects";
import { nextAlarm } from "./deadlines";
import { frameTo, reject, type Conn, type Effect, type HubNotice, type To } from "./effects";
import { Fanout } from "./fanout";
import { activityOf, announcement, describeFailure, flush, type History } from "./flush";
import { d1History } from "./history-d1";
import { connTag, identityFrom, sessionTag, userTag } from "./identity";
import * as messages from "./messages";
import * as presence from "./presence";
import { Strikes, TokenBuckets } from "./rate-limit";
import { answerHeartbeats, attachment, close, envNumber, finishClose, lastSeen, send } from "./sockets";
import { RoomStore } from "./store/room-store";

/** Who a socket is. Serialized with the socket (≤ 2 KiB): ids and display name only. */
interface Attachment extends Conn {
  /** When the socket was accepted (ms). */
  at: number;
  /** Set when the room closes the socket itself and has already told the others. */
  shut?: true;
}

/** Any frame at all, per user: generous, only against floods. */
const FRAME_RATE_PER_SEC = 50;
const FRAME_BURST = 100;
/** A connection collecting this many strikes (invalid frames, floods) within STRIKE_WINDOW_MS is closed with 1008. */
const MAX_STRIKES = 50;
const STRIKE_WINDOW_MS = 10_000;

/** The socket an event came in on (its effects often answer it). */
type Origin = { ws: WebSocket; conn: string } | null;

export class ChatRoom extends DurableObject<Env> {
  readonly #store: RoomStore;
  readonly #history: History;
  readonly #cfg: { budget: { perSec: number; burst: number }; ghostAfterMs: number; flushDelayMs: number; ringMs: number };
  readonly #budget: TokenBuckets;
  readonly #frames = new TokenBuckets(FRAME_RATE_PER_SEC, FRAME_BURST);
  readonly #strikes = new Strikes(MAX_STRIKES, STRIKE_WINDOW_MS);
  /** Last frame seen from each socket; heartbeats are tracked by the runtime instead. */
  readonly #lastFrame = new WeakMap<WebSocket, number>();
  readonly #fanout: Fanout;
  /** Hub notices, chained so that each hub sees a room's notices in order. */
  #hubs: Promise<void> = Promise.resolve();
  /** Mirror of the scheduled alarm (null: none), read once per wake. */
  #alarmAt: number | null = null;
  /** The flush in progress, if any: destroy() waits for it so nothing reaches D1 after. */
  #flushing: Promise<unknown> | null = null;
  /** Set by destroy(). Only in memory: after an eviction the storage is empty anyway, and the Worker lets nobody in. */
  #gone = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new RoomStore(ctx.storage);
    this.#history = d1History(env);
    this.#cfg = {
      budget: { perSec: envNumber(env.MSG_RATE_PER_SEC, 10), burst: envNumber(env.MSG_BURST, 20) },
      ghostAfterMs: envNumber(env.GHOST_AFTER_MS, 60_000),
      flushDelayMs: envNumber(env.FLUSH_DELAY_MS, 1000),
      ringMs: envNumber(env.RING_TIMEOUT_MS, RING_TIMEOUT_MS),
    };
    this.#budget = new TokenBuckets(this.#cfg.budget.perSec, this.#cfg.budget.burst);
    this.#fanout = new Fanout({
      deliver: (list: Message[]) => this.#send({ all: true }, { type: "msgs", messages: list }, null),
      later: (fn, ms) => setTimeout(fn, ms),
      now: Date.now,
    });
    answerHeartbeats(ctx);
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
    });
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
    const me = attachment<Attachment>(ws);
    if (!me) return close(ws, 1011, "unknown socket");
    const origin = { ws, conn: me.conn };
    const now = Date.now();
    this.#lastFrame.set(ws, now);
    if (!this.#frames.take(me.uid, now)) {
      return this.#apply([reject(me.conn, ErrorCode.RATE_LIMITED, "too many frames; slow down", { retryMs: this.#frames.wait(me.uid, now) })], origin, now);
    }
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) return this.#apply([reject(me.conn, parsed.code, parsed.message, parsed)], origin, now);
    const f = parsed.frame;
    try {
      this.#apply(await this.#handle(ws, me, f, now), origin, now);
    } catch (err) {
      console.error(`ChatRoom:webSocketMessage ${f.type}`, err);
      const ids = { cid: "cid" in f ? f.cid : undefined, req: "req" in f ? f.req : undefined };
      this.#apply([reject(me.conn, ErrorCode.INTERNAL, "the room could not handle that; try again", ids, false)], origin, now);
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
   * Call deadlines, the ghost sweep, the flush to D1 (unless backing off) and the
   * members' sidebars; then the next alarm. See flush.ts for the flush's rules.
   */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    if (this.#gone) return;
    const now = Date.now();
    try {
      // Call deadlines first: a call that ends here leaves its history message for this flush.
      this.#apply(callEffects.tick(this.#store, now), null, now);
      this.#apply(this.#shut(presence.ghosts(this.#views(), now, this.#cfg.ghostAfterMs), Close.GHOST, "no heartbeat", now), null, now);
      const roomId = this.#store.roomId();
      let more = false;
      let announceAt: number | null = null;
      if (roomId !== undefined) {
        const flushing = flush(this.#store, this.#history, { roomId, now, random: Math.random, gone: () => this.#gone, log: (m) => console.error(`ChatRoom:alarm ${m}`) });
        this.#flushing = flushing;
        const r = await flushing.finally(() => (this.#flushing = null));
        if (r.status === "gone" || this.#gone) return;
        if (r.status === "failed") console.error(`ChatRoom:alarm ${describeFailure(r, now)}`, r.error);
        this.#apply(r.effects, null, now);
        more = r.status === "done" && r.more;
        const a = announcement(this.#store, r.status === "done" ? r.newest : null, now);
        if (a.announce) this.#announce(roomId, a.announce);
        announceAt = a.at;
      }
      const next = nextAlarm(
        {
          now,
          flush: this.#store.hasUnflushedWork() ? { pending: true, since: now, more } : { pending: false },
          retryAt: this.#store.flushBackoff()?.retryAt ?? null,
          announceAt,
          sockets: this.ctx.getWebSockets().length > 0,
          call: calls.deadline(this.#store.call()),
        },
        this.#cfg,
      );
      if (next !== null) this.#setAlarm(next);
    } catch (err) {
      // Unexpected (storage, a bug): logged, and the alarm comes back rather than stopping for good.
      console.error("ChatRoom:alarm", err);
      this.#setAlarm(now + this.#cfg.flushDelayMs);
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
      const conns = this.#connsOf(this.ctx.getWebSockets(userTag(userId)));
      this.#apply(
        [...this.#shut(conns, code, reason, now), ...callEffects.removed(this.#store, userId, endedAt), frameTo({ all: true }, { type: "members" })],
        null,
        now,
      );
      return conns.length;
    });
  }

  /** The member list or the room's details changed: every open client refetches them. */
  membersChanged(): void {
    this.#rpc("membersChanged", () => this.#send({ all: true }, { type: "members" }, null));
  }

  /** Closes the sockets opened with one session (logged out): 4001. */
  closeSession(sid: string): number {
    return this.#rpc("closeSession", () => {
      const now = Date.now();
      const conns = this.#connsOf(this.ctx.getWebSockets(sessionTag(sid)));
      this.#apply(this.#shut(conns, Close.UNAUTHORIZED, "signed out", now), null, now);
      return conns.length;
    });
  }

  /**
   * The room was deleted: every socket is closed with 4004 and the storage wiped
   * (log, flush state, alarm). Waits for a flush in flight first, so that nothing
   * reaches D1 after this returns.
   */
  async destroy(): Promise<void> {
    this.#gone = true;
    this.#fanout.drop();
    await this.#flushing?.catch(() => undefined);
    for (const ws of this.ctx.getWebSockets()) close(ws, Close.ROOM_GONE, "the room was deleted");
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#alarmAt = null;
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

    this.#store.rememberRoomId(who.room);
    const now = Date.now();
    const me: Attachment = { uid: who.id, name: who.name, conn: randomId(9), at: now };
    const before = this.#views();
    // Tags find a person's sockets (removal), a session's (logout) and one connection (calls).
    this.ctx.acceptWebSocket(server, [userTag(me.uid), sessionTag(who.sid), connTag(me.conn)]);
    server.serializeAttachment(me);
    const mine: presence.SocketView = { uid: me.uid, name: me.name, conn: me.conn, open: true, shut: false, lastSeen: now };
    const since = url.searchParams.get("since");
    const replay = messages.welcome(this.#store, since !== null && /^\d{1,15}$/.test(since) ? Number(since) : null);
    const online = presence.online([...before, mine], now, this.#cfg.ghostAfterMs);
    const hello: Effect[] = [frameTo({ conn: me.conn }, { type: "welcome", v: PROTOCOL, me: { id: me.uid, name: me.name }, online, budget: this.#cfg.budget, ...replay })];
    const call = this.#store.call();
    if (call) hello.push(frameTo({ conn: me.conn }, { type: "call", call: calls.view(call) }));
    this.#apply([...hello, ...presence.joined(before, me, now, this.#cfg.ghostAfterMs)], { ws: server, conn: me.conn }, now, { sockets: true });
    return new Response(null, { status: 101, webSocket: client });
  }

  /** One parsed frame from `me`: where each kind goes. */
  #handle(ws: WebSocket, me: Conn, f: ClientFrame, now: number): Effect[] | Promise<Effect[]> {
    switch (f.type) {
      case "send":
        return messages.send(this.#store, this.#budget, me, f, now);
      case "react":
        return messages.react(this.#store, me, f, now);
      case "delete":
        return messages.remove(this.#store, me, f);
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
        return callEffects.frame(this.#store, me, f, now);
      case "rtc":
        return callEffects.rtc(this.#store, me, f);
      default:
        return assertNever(f);
    }
  }

  /**
   * Starts a call: rings every other member of the room, read from D1 (a call start is
   * rare, so this read is off the message path), whether or not they have the room open:
   * their hubs show them the incoming call.
   */
  async #startCall(ws: WebSocket, me: Conn, f: Extract<ClientFrame, { type: "call.start" }>): Promise<Effect[]> {
    if (this.#store.call()) return callEffects.start(this.#store, me, f.media, [], "", Date.now(), this.#cfg.ringMs, f.req);
    const roomId = this.#store.roomId();
    let members: string[];
    try {
      members = roomId === undefined ? [] : await memberIds(db(this.env.DB), roomId);
    } catch (err) {
      console.error("ChatRoom:call.start could not read the members", err);
      members = presence.online(this.#views(), Date.now(), this.#cfg.ghostAfterMs).map((p) => p.id);
    }
    // The caller's socket closed while D1 answered: no call (it would hold a participant that is gone).
    if (this.#gone || ws.readyState !== WebSocket.OPEN) return [];
    // Another frame may have started a call meanwhile: start() answers call_exists then.
    return callEffects.start(this.#store, me, f.media, members, randomId(12), Date.now(), this.#cfg.ringMs, f.req);
  }

  /** After a socket closed or failed: a call it was in loses it, and the others hear if its person left. */
  #left(ws: WebSocket): void {
    const a = attachment<Attachment>(ws);
    if (!a) return;
    const now = Date.now();
    this.#strikes.forget(a.conn);
    const gone: presence.SocketView = { uid: a.uid, name: a.name, conn: a.conn, open: false, shut: a.shut === true, lastSeen: 0 };
    this.#apply([...callEffects.disconnected(this.#store, a.conn, now), ...presence.left(gone, this.#views(ws), now, this.#cfg.ghostAfterMs)], null, now);
  }

  /** The room closes these connections: presence tells the others, and a call they were in loses them. */
  #shut(conns: readonly string[], code: number, reason: string, now: number): Effect[] {
    return [
      ...presence.shut(this.#views(), conns, code, reason, now, this.#cfg.ghostAfterMs),
      ...conns.flatMap((c) => callEffects.disconnected(this.#store, c, now)),
    ];
  }

  // ── carrying out effects ───────────────────────────────────────────────────

  /** Carries out `effects` in order, then makes sure the alarm comes when the deadlines need it. */
  #apply(effects: readonly Effect[], origin: Origin, now: number, also: { sockets?: boolean } = {}): void {
    let work = false;
    for (const e of effects) {
      switch (e.type) {
        case "frame":
          this.#send(e.to, e.frame, origin);
          break;
        case "reject":
          this.#reject(e, origin, now);
          break;
        case "publish":
          this.#fanout.publish(e.message);
          break;
        case "close":
          this.#close(e.conns, e.code, e.reason);
          break;
        case "hub":
          this.#tell(e.users, e.notice);
          break;
        case "flush":
          work = true;
          break;
        default:
          assertNever(e);
      }
    }
    const at = nextAlarm(
      {
        now,
        flush: work ? { pending: true, since: now } : { pending: false },
        retryAt: work ? (this.#store.flushBackoff()?.retryAt ?? null) : null,
        announceAt: null,
        sockets: also.sockets === true,
        call: calls.deadline(this.#store.call()),
      },
      this.#cfg,
    );
    if (at !== null && (this.#alarmAt === null || at < this.#alarmAt)) this.#setAlarm(at);
  }

  /** One frame, serialized once, to every socket `to` names. */
  #send(to: To, frame: ServerFrame, origin: Origin): void {
    const data = JSON.stringify(frame);
    for (const ws of this.#sockets(to, origin)) send(ws, data);
  }

  #sockets(to: To, origin: Origin): Iterable<WebSocket> {
    if ("all" in to) {
      const all = this.ctx.getWebSockets();
      if (to.except === undefined) return all;
      const skip = origin?.conn === to.except ? [origin.ws] : this.ctx.getWebSockets(connTag(to.except));
      return all.filter((ws) => !skip.includes(ws));
    }
    if ("conn" in to) return origin?.conn === to.conn ? [origin.ws] : this.ctx.getWebSockets(connTag(to.conn));
    const set = new Set<WebSocket>();
    for (const c of to.conns ?? []) for (const ws of this.ctx.getWebSockets(connTag(c))) set.add(ws);
    for (const u of to.users) for (const ws of this.ctx.getWebSockets(userTag(u))) set.add(ws);
    return set;
  }

  /** An `error` frame; a connection that keeps earning strikes is closed as abusive. */
  #reject(e: Extract<Effect, { type: "reject" }>, origin: Origin, now: number): void {
    const { type: _type, conn, strike, ...error } = e;
    const sockets = [...this.#sockets({ conn }, origin)];
    this.#send({ conn }, { type: "error", ...error }, origin);
    if (strike && this.#strikes.add(conn, now)) for (const ws of sockets) close(ws, Close.POLICY, "too many invalid or rate-limited frames");
  }

  /** Closes connections the logic has already announced: each is marked so that its close event stays quiet. */
  #close(conns: readonly string[], code: number, reason: string): void {
    for (const conn of conns) {
      for (const ws of this.ctx.getWebSockets(connTag(conn))) {
        const a = attachment<Attachment>(ws);
        try {
          if (a) ws.serializeAttachment({ ...a, shut: true } satisfies Attachment);
        } catch {
          // already closed
        }
        close(ws, code, reason);
      }
    }
  }

  /** Tells these people's hubs, after whatever this room told them before (best effort). */
  #tell(users: readonly string[], notice: HubNotice): void {
    const roomId = this.#store.roomId();
    if (roomId === undefined || users.length === 0) return;
    this.#enqueue(async () => {
      const results = await Promise.allSettled(users.map((u) => deliver(this.env.HUBS.getByName(u), roomId, notice)));
      for (const r of results) if (r.status === "rejected") console.error(`ChatRoom:hub ${notice.type} failed`, r.reason);
    });
  }

  /** The members' sidebars hear of the room's newest message (flush.ts decides when). */
  #announce(roomId: string, m: Message): void {
    this.#enqueue(async () => {
      const ids = await memberIds(db(this.env.DB), roomId);
      const results = await Promise.allSettled(ids.map((u) => deliver(this.env.HUBS.getByName(u), roomId, activityOf(m))));
      for (const r of results) if (r.status === "rejected") console.error("ChatRoom:announce to a hub failed", r.reason);
    });
  }

  #enqueue(job: () => Promise<void>): void {
    const p = this.#hubs.then(job).catch((err) => console.error("ChatRoom:hub", err));
    this.#hubs = p;
    this.ctx.waitUntil(p);
  }

  #setAlarm(at: number): void {
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  // ── sockets as the logic sees them ─────────────────────────────────────────

  /** Every socket with an attachment (but `except`), as presence sees it. */
  #views(except?: WebSocket): presence.SocketView[] {
    const views: presence.SocketView[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === except) continue;
      const a = attachment<Attachment>(ws);
      if (!a) continue;
      views.push({
        uid: a.uid,
        name: a.name,
        conn: a.conn,
        open: ws.readyState === WebSocket.OPEN,
        shut: a.shut === true,
        lastSeen: lastSeen(this.ctx, ws, a.at, this.#lastFrame.get(ws)),
      });
    }
    return views;
  }

  #connsOf(sockets: WebSocket[]): string[] {
    return sockets.flatMap((ws) => attachment<Attachment>(ws)?.conn ?? []);
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

function deliver(hub: ReturnType<Env["HUBS"]["getByName"]>, roomId: string, n: HubNotice): Promise<void> {
  switch (n.type) {
    case "activity":
      return hub.activity({ roomId, lastSeq: n.lastSeq, lastMessage: n.lastMessage });
    case "ring":
      return hub.ringing({ roomId, callId: n.callId, media: n.media, caller: n.caller });
    case "ring_ended":
      return hub.ringEnded({ roomId, callId: n.callId });
    default:
      return assertNever(n);
  }
}
