/**
 * Carries out the room logic's effects (effects.ts) on the runtime: frames to sockets
 * (each serialized once), error frames and the strikes they earn, closes, notices to
 * the members' hubs, and the alarm. Also shows the logic the sockets as it sees them
 * (presence views). The room object (chat-room.ts) owns one.
 */
import { Close, assertNever, type Message, type Peer, type ServerFrame } from "../protocol";
import { db } from "../db/client";
import { dmInvitees, liveHubs } from "../db/queries";
import { nextAlarm, type AlarmConfig, type AlarmInputs } from "./deadlines";
import type { Conn, Effect, HubNotice, To } from "./effects";
import { Fanout } from "./fanout";
import { activityOf } from "./flush";
import { connTag, userTag } from "./identity";
import { Roster, type SocketView } from "./presence";
import { advance, view, type Position } from "./receipts";
import { Strikes, coolDown } from "./rate-limit";
import { attachment, close, lastSeen, send } from "./sockets";
import type { RoomStore } from "./store/room-store";
import { announceRoomsChanged } from "./user-hub";
import { announcedMentions } from "./mentions";
import { pushNews } from "../push/send";

/** Who a socket is. Serialized with the socket (≤ 2 KiB): ids and display name only. */
export interface Attachment extends Conn {
  /** When the socket was accepted (ms). */
  at: number;
  /** When its session ends unless used again, as of the upgrade (UserIdentity.until): then the room closes it with 4001. */
  exp: number;
  /** Set when the room closes the socket itself and has already told the others. */
  shut?: true;
}

/** The socket an event came in on (its effects often answer it). */
export type Origin = { ws: WebSocket; conn: string } | null;

/** A connection collecting this many strikes (invalid frames, floods) within STRIKE_WINDOW_MS is closed with 1008. */
const MAX_STRIKES = 50;
const STRIKE_WINDOW_MS = 10_000;

export class RoomIO {
  readonly #ctx: DurableObjectState;
  readonly #env: Env;
  readonly #store: RoomStore;
  readonly #alarm: AlarmConfig;
  readonly #strikes = new Strikes(MAX_STRIKES, STRIKE_WINDOW_MS);
  /** Last frame seen from each socket; heartbeats are tracked by the runtime instead. */
  readonly #lastFrame = new WeakMap<WebSocket, number>();
  /** Each socket's attachment, read once per wake (the copy on the socket is the truth; it changes only here). */
  readonly #attachments = new WeakMap<WebSocket, Attachment | null>();
  readonly #fanout: Fanout;
  /** Who is online, for newcomers' welcomes (presence.ts, Roster). */
  readonly #roster: Roster;
  /**
   * Hub notices, chained so that each hub sees a room's notices in order: rings on one
   * chain, sidebar announcements (a D1 read and a call per member) on another, so that a
   * ring never waits behind a big room's announcement; Web Push on a third.
   */
  #chains = { rings: Promise.resolve(), activity: Promise.resolve(), push: Promise.resolve() };
  /**
   * Delivered positions the fan-out saw (a socket of that person got the message) and the
   * hubs reported, not yet stored: the receipts gate stores them with the frame it sends.
   * `#reached` remembers what was marked, so a message marks each person once, not per socket.
   */
  #delivered = new Map<string, number>();
  #reached = new Map<string, number>();
  /** The room is a DM (read once per wake: deliveries are tracked only there). */
  #dm: boolean | undefined;
  /** People whose read position or privacy changed since the last receipts frame. */
  #touched = new Set<string>();
  /** Mirror of the scheduled alarm (null: none). */
  #alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env, store: RoomStore, alarm: AlarmConfig) {
    this.#ctx = ctx;
    this.#env = env;
    this.#store = store;
    this.#alarm = alarm;
    this.#roster = new Roster(alarm.ghostAfterMs / 10);
    this.#fanout = new Fanout({
      deliver: (list: Message[]) => {
        this.send({ all: true }, { type: "msgs", messages: list }, null);
        this.#reachedSockets(list.at(-1)?.seq ?? 0);
      },
      deliverReceipts: (uids) => this.#sendReceipts(uids),
      deliverPresence: (d, except) => this.send(except === undefined ? { all: true } : { all: true, except }, { type: "presence", joined: d.joined, left: d.left }, null),
      later: (fn, ms) => setTimeout(fn, ms),
    });
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Carries out `effects` in order, then makes sure the alarm comes when the deadlines need it. */
  apply(effects: readonly Effect[], origin: Origin, now: number, also: { sockets?: boolean } = {}): void {
    let work = false;
    let call: number | null = null;
    for (const e of effects) {
      switch (e.type) {
        case "frame":
          this.send(e.to, e.frame, origin);
          break;
        case "reject":
          this.#reject(e, origin, now);
          break;
        case "publish":
          this.#fanout.publish(e.message);
          break;
        case "presence":
          this.#fanout.presence(e, e.except);
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
        case "alarm":
          call = Math.min(call ?? Infinity, e.at);
          break;
        default:
          assertNever(e);
      }
    }
    // New work is never due sooner than a flush delay away: an alarm already set before
    // then covers it, and the backoff need not be read (this runs for every message).
    const flush = work && (this.#alarmAt === null || this.#alarmAt > now + this.#alarm.flushDelayMs);
    if (!flush && call === null && !also.sockets) return;
    this.alarmBy({
      now,
      flush: flush ? { pending: true, since: now } : { pending: false },
      retryAt: flush ? (this.#store.flushBackoff()?.retryAt ?? null) : null,
      announceAt: null,
      sockets: also.sockets === true,
      call,
    });
  }

  /** One frame, serialized once, to every socket `to` names. */
  send(to: To, frame: ServerFrame, origin: Origin): void {
    const data = JSON.stringify(frame);
    for (const ws of this.#sockets(to, origin)) send(ws, data);
  }

  // ── read receipts (receipts.ts) ──────────────────────────────────────────────

  /** The room turned out to be a DM (a socket's identity said so). */
  dmKnown(): void {
    this.#store.rememberDm();
    this.#dm = true;
  }

  /** `uid`'s read position or privacy changed (already stored): it goes out with the receipts gate's next frame. */
  receiptsChanged(uid: string): void {
    this.#touched.add(uid);
    this.#fanout.receipts(uid);
  }

  /**
   * Messages up to `seq` reached these people's devices (stored with the next receipts frame).
   * Only in a DM, the one place ticks show deliveries: in a group every message would change
   * every connected member's position, a frame of hundreds of entries to hundreds of sockets.
   */
  reached(uids: Iterable<string>, seq: number): void {
    this.#dm ??= this.#store.isDm();
    if (!this.#dm) return;
    for (const uid of uids) {
      if ((this.#reached.get(uid) ?? -1) >= seq) continue;
      this.#reached.set(uid, seq);
      this.#delivered.set(uid, seq);
      this.#fanout.receipts(uid);
    }
  }

  /** Every person with an open socket received the fan-out of messages up to `seq`. */
  #reachedSockets(seq: number): void {
    this.#dm ??= this.#store.isDm();
    if (!this.#dm) return;
    const uids = new Set<string>();
    for (const ws of this.#ctx.getWebSockets()) {
      const a = ws.readyState === WebSocket.OPEN ? this.attachmentOf(ws) : null;
      if (a && !a.shut) uids.add(a.uid);
    }
    this.reached(uids, seq);
  }

  /**
   * The receipts gate's frame: stores the delivered positions waiting, then sends the
   * positions of `uids` to every socket, serialized twice at most: as the people who share
   * reads see them, and without read positions for those who do not (the WhatsApp rule).
   */
  #sendReceipts(uids: ReadonlySet<string>): void {
    const last = this.#store.bounds().last;
    const stored = this.#store.receipts([...uids]);
    const changed = new Map<string, Position>();
    for (const uid of uids) {
      let p = stored.get(uid);
      let moved = this.#touched.delete(uid);
      const d = this.#delivered.get(uid);
      this.#delivered.delete(uid);
      const next = d === undefined ? null : advance(p, { delivered: d }, last);
      if (next) {
        this.#store.setReceipt(uid, (p = next));
        moved = true;
      }
      if (moved && p) changed.set(uid, p);
    }
    if (changed.size === 0) return;
    const hidden = this.#store.hiddenReaders();
    const full = JSON.stringify({ type: "receipts", receipts: view(changed, false) } satisfies ServerFrame);
    const bare = hidden.size === 0 ? full : JSON.stringify({ type: "receipts", receipts: view(changed, true) } satisfies ServerFrame);
    for (const ws of this.#ctx.getWebSockets()) {
      const a = this.attachmentOf(ws);
      if (a) send(ws, hidden.has(a.uid) ? bare : full);
    }
  }

  // ── the alarm ──────────────────────────────────────────────────────────────

  /** Makes sure the alarm fires no later than the deadlines in `i` need (never later than it is set). */
  alarmBy(i: AlarmInputs): void {
    const at = nextAlarm(i, this.#alarm);
    if (at !== null && (this.#alarmAt === null || at < this.#alarmAt)) this.#setAlarm(at);
  }

  /** The alarm fired: what it sets next replaces what was set. */
  alarmFired(): void {
    this.#alarmAt = null;
  }

  /** Sets the alarm to the deadlines in `i` (after an alarm run: later is allowed). */
  alarmAt(i: AlarmInputs): void {
    const at = nextAlarm(i, this.#alarm);
    if (at !== null) this.#setAlarm(at);
  }

  retryAlarm(at: number): void {
    this.#setAlarm(at);
  }

  #setAlarm(at: number): void {
    this.#alarmAt = at;
    void this.#ctx.storage.setAlarm(at);
  }

  /** The room was deleted. */
  async stop(): Promise<void> {
    this.#fanout.drop();
    this.#roster.reset();
    for (const ws of this.#ctx.getWebSockets()) close(ws, Close.ROOM_GONE, "the room was deleted");
    await this.#ctx.storage.deleteAlarm();
    this.#alarmAt = null;
  }

  // ── sockets ────────────────────────────────────────────────────────────────

  /** A frame arrived on `ws` (it counts as a sign of life). */
  heard(ws: WebSocket, now: number): void {
    this.#lastFrame.set(ws, now);
  }

  /** The socket closed: its strikes go with it. */
  forget(conn: string): void {
    this.#strikes.forget(conn);
    this.#roster.drop(conn);
  }

  /** People with at least one live socket, each once (kept between scans: presence.ts, Roster). */
  online(now: number): Peer[] {
    return this.#roster.online(now, this.#alarm.ghostAfterMs, () => this.views());
  }

  /** Who socket `ws` is (null: a socket the room refused). */
  attachmentOf(ws: WebSocket): Attachment | null {
    let a = this.#attachments.get(ws);
    if (a === undefined) {
      a = attachment<Attachment>(ws);
      this.#attachments.set(ws, a);
    }
    return a;
  }

  /** Gives an accepted socket its attachment. */
  attach(ws: WebSocket, a: Attachment): void {
    ws.serializeAttachment(a);
    this.#attachments.set(ws, a);
    if (a.shut) this.#roster.drop(a.conn);
    else this.#roster.add(a.conn, { id: a.uid, name: a.name });
  }

  /** The sockets with an attachment (those with `tag` only, but `except`), as presence sees them. */
  views(except?: WebSocket, tag?: string): SocketView[] {
    const views: SocketView[] = [];
    for (const ws of this.#ctx.getWebSockets(tag)) {
      if (ws === except) continue;
      const a = this.attachmentOf(ws);
      if (!a) continue;
      views.push({
        uid: a.uid,
        name: a.name,
        conn: a.conn,
        open: ws.readyState === WebSocket.OPEN,
        shut: a.shut === true,
        at: a.at,
        lastSeen: lastSeen(this.#ctx, ws, a.at, this.#lastFrame.get(ws)),
        exp: a.exp,
      });
    }
    return views;
  }

  /** The connections of the sockets with this tag (a person's, a session's). */
  conns(tag: string): string[] {
    return this.#ctx.getWebSockets(tag).flatMap((ws) => this.attachmentOf(ws)?.conn ?? []);
  }

  #sockets(to: To, origin: Origin): Iterable<WebSocket> {
    if ("all" in to) {
      const all = this.#ctx.getWebSockets();
      if (to.except === undefined) return all;
      const skip = origin?.conn === to.except ? [origin.ws] : this.#ctx.getWebSockets(connTag(to.except));
      return all.filter((ws) => !skip.includes(ws));
    }
    if ("conn" in to) return origin?.conn === to.conn ? [origin.ws] : this.#ctx.getWebSockets(connTag(to.conn));
    const set = new Set<WebSocket>();
    for (const c of to.conns ?? []) for (const ws of this.#ctx.getWebSockets(connTag(c))) set.add(ws);
    for (const u of to.users) for (const ws of this.#ctx.getWebSockets(userTag(u))) set.add(ws);
    return set;
  }

  /**
   * An `error` frame; a connection that keeps earning strikes is closed as abusive, and its
   * person cools down: no new socket in this room for a while (chat-room.ts refuses it with 429).
   */
  #reject(e: Extract<Effect, { type: "reject" }>, origin: Origin, now: number): void {
    const { type: _type, conn, strike, ...error } = e;
    const sockets = [...this.#sockets({ conn }, origin)];
    this.send({ conn }, { type: "error", ...error }, origin);
    if (!strike || !this.#strikes.add(conn, now)) return;
    for (const ws of sockets) {
      const uid = this.attachmentOf(ws)?.uid;
      if (uid !== undefined) this.#store.setCooldown(uid, coolDown(this.#store.cooldown(uid), now));
      close(ws, Close.POLICY, "too many invalid or rate-limited frames");
    }
  }

  /** Closes connections the logic has already announced: each is marked so that its close event stays quiet. */
  #close(conns: readonly string[], code: number, reason: string): void {
    for (const conn of conns) {
      for (const ws of this.#ctx.getWebSockets(connTag(conn))) {
        const a = this.attachmentOf(ws);
        try {
          if (a) this.attach(ws, { ...a, shut: true });
        } catch {
          // already closed
        }
        close(ws, code, reason);
      }
    }
  }

  // ── hubs ───────────────────────────────────────────────────────────────────

  /**
   * Tells the hubs of these people (or of everyone watching) that watch the room, after
   * whatever this room told them before (best effort). A hub that does not watch has no
   * app open to tell, and waking it would cost one object per member: its user reads the
   * news from D1 when they come back. Rings (addressed to people) also reach a live hub
   * that does not watch this room yet, as in a new DM not listed for its user until its
   * first message: one D1 read per call, never per member.
   */
  #tell(users: readonly string[] | "watchers", notice: HubNotice): void {
    const roomId = this.#store.roomId();
    if (roomId === undefined) return;
    const now = Date.now();
    const watching = this.#store.watching(now);
    const to = users === "watchers" ? watching : users.filter((u) => watching.includes(u));
    const unwatched = users === "watchers" ? [] : users.filter((u) => !watching.includes(u));
    if (to.length === 0 && unwatched.length === 0) return;
    this.#enqueue(notice.type === "activity" ? "activity" : "rings", async () => {
      if (unwatched.length > 0) to.push(...(await liveHubs(db(this.#env.DB), unwatched, now)));
      const results = await Promise.allSettled(to.map((u) => deliver(this.#env.HUBS.getByName(u), roomId, notice)));
      results.forEach((r, i) => {
        if (r.status === "rejected") console.error(`ChatRoom:hub ${notice.type} failed`, r.reason);
        // A hub that showed the news on a screen of its user: the message reached one of their devices.
        else if (notice.type === "activity" && typeof r.value === "number" && r.value > 0) this.reached([to[i]!], notice.lastSeq);
      });
    });
  }

  /** The watching members' sidebars hear of the room's newest message (flush.ts decides when). */
  announce(m: Message): void {
    this.#tell("watchers", activityOf(m, announcedMentions(this.#store, m.seq)));
  }

  /**
   * The room's first message reached D1. A DM is listed for the person who did not start it
   * only from then on (roomSummaries), and their hub does not watch it yet: it is told that
   * its user's list changed (if live), which also makes it watch the room.
   */
  listed(): void {
    const roomId = this.#store.roomId();
    if (roomId === undefined) return;
    this.#enqueue("activity", async () => {
      await announceRoomsChanged(this.#env, await dmInvitees(db(this.#env.DB), roomId));
    });
  }

  /** The room's details changed: open clients refetch them, watching sidebars refetch the list. */
  roomChanged(): void {
    this.send({ all: true }, { type: "members" }, null);
    this.#tell("watchers", { type: "rooms" });
  }

  /**
   * Web Push for a round's messages (`fresh`, oldest first: flush.ts pushRound), in the background: to
   * members with no app open and no socket in this room (worker/push/send.ts).
   */
  push(fresh: readonly Message[], now: number): void {
    const roomId = this.#store.roomId();
    if (roomId === undefined || fresh.length === 0) return;
    // A ghost (no heartbeat for GHOST_AFTER_MS: a client gone without a close) is not "here".
    const here = [...new Set(this.views().flatMap((v) => (v.open && now - v.lastSeen <= this.#alarm.ghostAfterMs ? [v.uid] : [])))];
    this.#enqueue("push", async () => {
      await pushNews(this.#env, roomId, fresh, here, now);
    });
  }

  #enqueue(chain: "rings" | "activity" | "push", job: () => Promise<void>): void {
    const p = this.#chains[chain].then(job).catch((err) => console.error("ChatRoom:hub", err));
    this.#chains[chain] = p;
    this.#ctx.waitUntil(p);
  }
}

/** Tells one hub; an `activity` answers how many of its user's screens it reached. */
function deliver(hub: ReturnType<Env["HUBS"]["getByName"]>, roomId: string, n: HubNotice): Promise<unknown> {
  switch (n.type) {
    case "activity":
      return hub.activity({ roomId, lastSeq: n.lastSeq, lastMessage: n.lastMessage, ...(n.mentioned ? { mentioned: n.mentioned } : {}) });
    case "ring":
      return hub.ringing({ roomId, callId: n.callId, media: n.media, caller: n.caller });
    case "ring_ended":
      return hub.ringEnded({ roomId, callId: n.callId });
    case "rooms":
      return hub.roomsChanged();
    default:
      return assertNever(n);
  }
}
