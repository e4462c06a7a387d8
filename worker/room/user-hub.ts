/**
 * One Durable Object per user, addressed by the user id: their own channel
 * (GET /api/me/ws) that keeps the sidebar live in every open tab. Rooms call
 * `activity` after a flush batch (never per message); the Worker calls
 * `roomsChanged` when the user's room list changes. The hub holds no state but
 * its hibernatable sockets: what a frame says is always re-fetchable over HTTP,
 * so a frame missed while a tab was offline costs nothing but a refetch.
 */
import { DurableObject } from "cloudflare:workers";
import { Close, type HubFrame } from "../protocol";
import { sessionTag, userIdentityFrom } from "./identity";
import { answerHeartbeats, attachment, close, envNumber, finishClose, lastSeen, send } from "./sockets";

/** Who a socket is: ids only (≤ 2 KiB). */
interface Attachment {
  uid: string;
  /** When the socket was accepted (ms). */
  at: number;
}

export type Activity = Omit<Extract<HubFrame, { type: "activity" }>, "type">;

export class UserHub extends DurableObject<Env> {
  readonly #ghostAfterMs: number;

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
    server.serializeAttachment({ uid: who.id, at: Date.now() } satisfies Attachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Clients only heartbeat (answered without waking us); anything else is ignored. */
  override async webSocketMessage(): Promise<void> {}

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    finishClose(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    console.warn("UserHub:webSocketError", error);
  }

  // ── RPC ────────────────────────────────────────────────────────────────────

  /** New messages in one of the user's rooms. */
  activity(a: Activity): void {
    this.#broadcast({ type: "activity", roomId: a.roomId, lastSeq: a.lastSeq, lastMessage: a.lastMessage });
  }

  /** A call is ringing the user in one of their rooms. */
  ringing(r: Omit<Extract<HubFrame, { type: "call.ring" }>, "type">): void {
    this.#broadcast({ type: "call.ring", roomId: r.roomId, callId: r.callId, media: r.media, caller: r.caller });
  }

  /** That call no longer rings the user. */
  ringEnded(r: { roomId: string; callId: string }): void {
    this.#broadcast({ type: "call.ring_ended", roomId: r.roomId, callId: r.callId });
  }

  /** The user's room list changed: the client refetches GET /api/rooms. */
  roomsChanged(): void {
    this.#broadcast({ type: "rooms" });
  }

  /** Closes the sockets opened with one session (logged out): 4001. */
  closeSession(sid: string): number {
    const sockets = this.ctx.getWebSockets(sessionTag(sid));
    for (const ws of sockets) close(ws, Close.UNAUTHORIZED, "signed out");
    return sockets.length;
  }

  /**
   * Sends one serialized frame to every live socket. A socket silent for longer
   * than GHOST_AFTER_MS (no heartbeat) is a client that vanished without a close:
   * it is closed here instead of by a timer or an alarm.
   */
  #broadcast(f: HubFrame): void {
    const data = JSON.stringify(f);
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (now - lastSeen(this.ctx, ws, attachment<Attachment>(ws)?.at ?? 0) > this.#ghostAfterMs) close(ws, Close.GHOST, "no heartbeat");
      else send(ws, data);
    }
  }
}

/**
 * Tells these users' hubs that their room lists changed. Best effort: a failure is
 * logged (the sidebar also refetches whenever its channel reconnects).
 */
export async function announceRoomsChanged(env: Env, userIds: Iterable<string>): Promise<void> {
  const results = await Promise.allSettled([...new Set(userIds)].map((id) => env.HUBS.getByName(id).roomsChanged()));
  for (const r of results) if (r.status === "rejected") console.error("announceRoomsChanged", r.reason);
}
