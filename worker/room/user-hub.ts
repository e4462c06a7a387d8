/**
 * One Durable Object per user, addressed by the user id: their own channel
 * (GET /api/me/ws) that keeps the sidebar live in every open tab.
 *
 * While it has sockets open (the app is open somewhere) the hub *watches* the user's
 * rooms: it gives each a lease and renews it every WATCH_RENEW_MS. Rooms tell only the
 * hubs watching them about new messages (`activity`, after a flush batch, never per
 * message), rings and renames; a user with no app open costs no wake-up, and reads the
 * sidebar from D1 when they come back. The same goes for the Worker: the hub marks itself
 * live in D1 (`users.hub_live_until`, with each lease), and the Worker calls `roomsChanged`
 * only on live hubs when a user's room list changes. What a frame says is always re-fetchable over HTTP, so a frame
 * missed while a tab was offline costs nothing but a refetch.
 *
 * Presence (hub-presence.ts): the hub holds its user's status (online / away / offline,
 * from its sockets and what each tab says) and, when it changes, tells the live hubs of
 * the people who share a room with the user (one D1 query finds them; one call per hub);
 * idle hubs are never woken. Each live hub keeps its user's co-members' presence
 * (`peers`), and sends it whole to a tab that says hello, then the changes.
 */
import { DurableObject } from "cloudflare:workers";
import { Close, parseHubClientFrame, type HubFrame, type Presence, type PresenceStatus } from "../protocol";
import { db } from "../db/client";
import { coMembers, liveHubs, roomIdsOf, setHubLive, setLastSeen } from "../db/queries";
import { PRESENCE_CALLS_AT_ONCE, presenceList, presencePlan, slices, statusOf } from "./hub-presence";
import { Strikes } from "./rate-limit";
import { sessionOver, sessionTag, userIdentityFrom } from "./identity";
import { mentionsOf } from "./mentions";
import type { MentionRow } from "./store/room-store";
import { SESSION_EXPIRED, answerHeartbeats, attachment, close, envNumber, finishClose, lastSeen, send } from "./sockets";

/** Who a socket is: ids only (≤ 2 KiB). */
interface Attachment {
  uid: string;
  /** When the socket was accepted (ms). */
  at: number;
  /** When its session ends unless used again, as of the upgrade (UserIdentity.until): then it is closed with 4001. */
  exp: number;
  /** The tab is hidden or idle (it said so). */
  away?: true;
  /** The tab has said hello (its first presence frame): it was sent the whole presence list. */
  hello?: true;
}

export type Activity = Omit<Extract<HubFrame, { type: "activity" }>, "type">;

/** How long a room counts a hub as watching after it last said so. */
export const WATCH_LEASE_MS = 10 * 60_000;
/** A hub with open sockets renews its leases this often (well within the lease). */
export const WATCH_RENEW_MS = WATCH_LEASE_MS / 2;

/** A user whose tabs change their presence this often within PRESENCE_FLIPS_WINDOW_MS (each change is told to every live co-member's hub) is flooding: the socket is closed with 1008. */
const PRESENCE_FLIPS = 30;
const PRESENCE_FLIPS_WINDOW_MS = 60_000;

export class UserHub extends DurableObject<Env> {
  readonly #ghostAfterMs: number;
  /** Presence changes the tabs caused, in memory (an eviction forgets them, which only forgives). */
  readonly #flips = new Strikes(PRESENCE_FLIPS, PRESENCE_FLIPS_WINDOW_MS);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#ghostAfterMs = envNumber(env.GHOST_AFTER_MS, 60_000);
    answerHeartbeats(ctx);
  }

  /** Only WebSocket upgrades forwarded by the Worker, with the identity it verified. */
  override async fetch(req: Request): Promise<Response> {
    const who = userIdentityFrom(req);
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket" || !who) {
      return new Response("expected an authenticated WebSocket upgrade", { status: 400 });
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [sessionTag(who.sid)]);
    const now = Date.now();
    server.serializeAttachment({ uid: who.id, at: now, exp: who.until } satisfies Attachment);
    // The app is open: watch the user's rooms, unless the leases are fresh already. The
    // hub is marked live before the client can fetch its room list: a room list change
    // after that is announced here (and one before it is in the list the client fetches).
    const watchedAt = this.ctx.storage.kv.get<number>("watched_at") ?? 0;
    if (now - watchedAt >= WATCH_RENEW_MS) {
      this.ctx.storage.kv.put("uid", who.id);
      await this.#markLive(who.id, now + WATCH_LEASE_MS);
      this.ctx.waitUntil(this.#watch(who.id));
    }
    this.ctx.waitUntil(this.#presenceChanged(who.id));
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(now + WATCH_RENEW_MS);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Closes the sockets whose session has ended, then renews the leases while the app is
   * open somewhere; with no socket left, lets them lapse. (So a socket outlives its session
   * by at most WATCH_RENEW_MS, unless a frame or a broadcast finds it sooner.)
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      const a = attachment<Attachment>(ws);
      if (a && sessionOver(a, now)) close(ws, Close.UNAUTHORIZED, SESSION_EXPIRED);
    }
    const uid = this.#openUid();
    if (uid === null) {
      this.ctx.storage.kv.delete("watched_at");
      const was = this.ctx.storage.kv.get<string>("uid");
      // Only ghosts were left: offline now (last seen), unless that was told already.
      if (was !== undefined && !(await this.#presenceChanged(was))) await this.#markLive(was, 0);
      return;
    }
    await this.#markLive(uid, Date.now() + WATCH_LEASE_MS);
    await this.#watch(uid);
    await this.ctx.storage.setAlarm(Date.now() + WATCH_RENEW_MS);
  }

  /**
   * Clients heartbeat (answered without waking us) and say whether the tab is away
   * (`presence`); the first such frame of a tab is its hello, answered with the whole
   * presence list. Anything else gets an `error` frame and changes nothing.
   */
  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const a = attachment<Attachment>(ws);
    if (!a) return;
    if (sessionOver(a, Date.now())) return close(ws, Close.UNAUTHORIZED, SESSION_EXPIRED);
    const r = parseHubClientFrame(raw);
    if (!r.ok) return send(ws, JSON.stringify({ type: "error", code: r.code, message: r.message } satisfies HubFrame));
    const next: Attachment = { uid: a.uid, at: a.at, exp: a.exp, ...(r.frame.away ? { away: true as const } : {}), hello: true };
    ws.serializeAttachment(next);
    const peers = this.ctx.storage.kv.get<Record<string, Presence>>("peers");
    if (!a.hello && peers) send(ws, JSON.stringify({ type: "presence", users: Object.values(peers), all: true } satisfies HubFrame));
    if ((await this.#presenceChanged(a.uid)) && this.#flips.add(a.uid, Date.now())) close(ws, Close.POLICY, "too many presence changes");
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    finishClose(ws, code, reason);
    // The last tab closed: no longer live at once (not at the next renewal), so that Web
    // Push reaches the user from the next message on. The leases lapse by themselves.
    // The next socket marks it live again and renews the leases (a reload: close, then open).
    // Closing one tab of two can make the user away (the other one is hidden).
    const uid = attachment<Attachment>(ws)?.uid;
    if (uid === undefined) return;
    if (this.#openUid(ws) !== null) return void (await this.#presenceChanged(uid, ws));
    this.ctx.storage.kv.delete("watched_at");
    if (!(await this.#presenceChanged(uid, ws))) await this.#markLive(uid, 0);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    console.warn("UserHub:webSocketError", error);
  }

  // ── RPC ────────────────────────────────────────────────────────────────────

  /** New messages in one of the user's rooms (`mentioned`: those of them that mention anyone; the user's are counted here). */
  /** Answers how many of the user's open screens it reached (the room counts the message as delivered to them then). */
  activity(a: Omit<Activity, "mentions"> & { mentioned?: MentionRow[] }): number {
    const uid = this.ctx.storage.kv.get<string>("uid");
    const mentions = uid === undefined ? [] : mentionsOf(a.mentioned, uid);
    return this.#broadcast({ type: "activity", roomId: a.roomId, lastSeq: a.lastSeq, lastMessage: a.lastMessage, ...(mentions.length > 0 ? { mentions } : {}) });
  }

  /** A call is ringing the user in one of their rooms. */
  ringing(r: Omit<Extract<HubFrame, { type: "call.ring" }>, "type">): void {
    this.#broadcast({ type: "call.ring", roomId: r.roomId, callId: r.callId, media: r.media, caller: r.caller });
  }

  /** That call no longer rings the user. */
  ringEnded(r: { roomId: string; callId: string }): void {
    this.#broadcast({ type: "call.ring_ended", roomId: r.roomId, callId: r.callId });
  }

  /** The user read a room up to `seq` (POST /api/rooms/:id/read), or marked it unread from there: every tab's badge follows. */
  read(r: { roomId: string; seq: number; unread?: boolean }): void {
    this.#broadcast({ type: "read", roomId: r.roomId, seq: r.seq, ...(r.unread ? { unread: true } : {}) });
  }

  /** The user's room list changed: the client refetches GET /api/rooms, and a new room is watched too. */
  async roomsChanged(): Promise<void> {
    this.#broadcast({ type: "rooms" });
    const uid = this.#openUid();
    if (uid !== null) await Promise.all([this.#watch(uid), this.#meetNew(uid)]);
  }

  /**
   * A person who shares a room with the user changed presence (their hub calls only live
   * hubs): every tab hears it. Returns the user's own presence (null: no app open here),
   * so that a person coming online learns everyone's from the answers.
   */
  presence(p: Presence): Presence | null {
    const peers = this.ctx.storage.kv.get<Record<string, Presence>>("peers") ?? {};
    peers[p.id] = p;
    this.ctx.storage.kv.put("peers", peers);
    this.#broadcast({ type: "presence", users: [p] });
    const uid = this.#openUid();
    return uid === null ? null : { id: uid, status: this.#status(), lastSeen: this.ctx.storage.kv.get<number>("last_seen") ?? 0 };
  }

  /** Closes the sockets opened with one session (logged out): 4001. */
  closeSession(sid: string): number {
    const sockets = this.ctx.getWebSockets(sessionTag(sid));
    for (const ws of sockets) close(ws, Close.UNAUTHORIZED, "signed out");
    return sockets.length;
  }

  /** The user of a live socket (null: none open, or only ghosts), `except` not counted. */
  #openUid(except?: WebSocket): string | null {
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === except) continue;
      const a = attachment<Attachment>(ws);
      if (a && ws.readyState === WebSocket.OPEN && now - lastSeen(this.ctx, ws, a.at) <= this.#ghostAfterMs) return a.uid;
    }
    return null;
  }

  /** The user's status from the live sockets (`except` not counted). */
  #status(except?: WebSocket): PresenceStatus {
    const now = Date.now();
    const live: Attachment[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === except || ws.readyState !== WebSocket.OPEN) continue;
      const a = attachment<Attachment>(ws);
      if (a && now - lastSeen(this.ctx, ws, a.at) <= this.#ghostAfterMs) live.push(a);
    }
    return statusOf(live);
  }

  /**
   * Recomputes the user's status (`except`: a socket closing); when it changed, tells the
   * live hubs of everyone who shares a room with them (one D1 query, one call per hub, at
   * most PRESENCE_CALLS_AT_ONCE at a time), and going offline stores "last seen" in D1
   * (and the hub is no longer live). Coming online, the answers (and D1's last seen of the
   * others) become the whole list every tab is sent. Returns whether the status changed.
   * Best effort: a co-member who misses it reads it on their next hello.
   */
  async #presenceChanged(uid: string, except?: WebSocket): Promise<boolean> {
    const kv = this.ctx.storage.kv;
    const status = this.#status(except);
    const was = kv.get<PresenceStatus>("status") ?? "offline";
    if (status === was) return false;
    kv.put("status", status);
    const now = Date.now();
    const d = db(this.env.DB);
    try {
      if (status === "offline") {
        kv.put("last_seen", now);
        kv.delete("peers"); // Stale by the next hello: coming online fetches it anew.
        await setLastSeen(d, uid, now);
      }
      const rows = await coMembers(d, uid, now);
      const answers = await this.#tell(presencePlan(rows).tell, { id: uid, status, lastSeen: kv.get<number>("last_seen") ?? 0 });
      if (was === "offline" && status !== "offline") {
        const list = presenceList(rows, answers);
        kv.put("peers", Object.fromEntries(list.map((p) => [p.id, p])));
        this.#broadcast({ type: "presence", users: list, all: true });
      }
    } catch (err) {
      console.error("UserHub:presenceChanged", err);
    }
    return true;
  }

  /**
   * The user shares a room with new people (their room list changed): tells the live hubs
   * of those not known yet the user's presence, and the tabs theirs (so a new DM's header
   * knows at once). Only while the user is online; best effort.
   */
  async #meetNew(uid: string): Promise<void> {
    const kv = this.ctx.storage.kv;
    const status = kv.get<PresenceStatus>("status") ?? "offline";
    const known = kv.get<Record<string, Presence>>("peers");
    if (status === "offline" || !known) return;
    try {
      const fresh = (await coMembers(db(this.env.DB), uid, Date.now())).filter((r) => !(r.id in known));
      if (fresh.length === 0) return;
      const answers = await this.#tell(presencePlan(fresh).tell, { id: uid, status, lastSeen: kv.get<number>("last_seen") ?? 0 });
      const list = presenceList(fresh, answers);
      const peers = kv.get<Record<string, Presence>>("peers") ?? {};
      for (const p of list) peers[p.id] = p;
      kv.put("peers", peers);
      this.#broadcast({ type: "presence", users: list });
    } catch (err) {
      console.error("UserHub:meetNew", err);
    }
  }

  /** Tells these (live) hubs the user's presence, at most PRESENCE_CALLS_AT_ONCE at a time; returns their answers. */
  async #tell(hubs: readonly string[], me: Presence): Promise<Map<string, Presence>> {
    const answers = new Map<string, Presence>();
    for (const group of slices(hubs, PRESENCE_CALLS_AT_ONCE)) {
      const results = await Promise.allSettled(group.map((id) => this.env.HUBS.getByName(id).presence(me)));
      results.forEach((r, i) => {
        if (r.status === "rejected") console.error("UserHub:presence a hub failed", r.reason);
        else if (r.value) answers.set(group[i]!, r.value);
      });
    }
    return answers;
  }

  /** Best effort: a hub wrongly marked idle misses room list notices until the client's next refetch. */
  async #markLive(uid: string, until: number): Promise<void> {
    try {
      await setHubLive(db(this.env.DB), uid, until);
    } catch (err) {
      console.error("UserHub:markLive", err);
    }
  }

  /** Gives every room of the user a fresh lease (best effort: a room that misses it is retried at the next renewal). */
  async #watch(uid: string): Promise<void> {
    try {
      const until = Date.now() + WATCH_LEASE_MS;
      const rooms = await roomIdsOf(db(this.env.DB), uid);
      const results = await Promise.allSettled(rooms.map((r) => this.env.ROOMS.getByName(r).watch(r, uid, until)));
      for (const r of results) if (r.status === "rejected") console.error("UserHub:watch a room failed", r.reason);
      this.ctx.storage.kv.put("watched_at", Date.now());
    } catch (err) {
      console.error("UserHub:watch", err);
    }
  }

  /**
   * Sends one serialized frame to every live socket (returns how many). A socket silent for longer
   * than GHOST_AFTER_MS (no heartbeat) is a client that vanished without a close:
   * it is closed here instead of by a timer or an alarm; so is one whose session has ended.
   */
  #broadcast(f: HubFrame): number {
    const data = JSON.stringify(f);
    const now = Date.now();
    let sent = 0;
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const a = attachment<Attachment>(ws);
      if (a && sessionOver(a, now)) close(ws, Close.UNAUTHORIZED, SESSION_EXPIRED);
      else if (now - lastSeen(this.ctx, ws, a?.at ?? 0) > this.#ghostAfterMs) close(ws, Close.GHOST, "no heartbeat");
      else {
        send(ws, data);
        sent++;
      }
    }
    return sent;
  }
}

/**
 * Tells these users' hubs that their room lists changed, if they are live (an idle hub is
 * not woken: its user reads the list from D1 when they come back). Best effort: a failure
 * is logged (the sidebar also refetches whenever its channel reconnects). Returns the users
 * told.
 */
export async function announceRoomsChanged(env: Env, userIds: Iterable<string>, now = Date.now()): Promise<string[]> {
  let live: string[];
  try {
    live = await liveHubs(db(env.DB), [...new Set(userIds)], now);
  } catch (err) {
    console.error("announceRoomsChanged: which hubs are live", err);
    return [];
  }
  const results = await Promise.allSettled(live.map((id) => env.HUBS.getByName(id).roomsChanged()));
  for (const r of results) if (r.status === "rejected") console.error("announceRoomsChanged", r.reason);
  return live;
}
