/**
 * The benchmark's floors (bench/run.mjs, targets "floor" and "floor+db"): the least a
 * hibernatable Durable Object can do to run a chat room. Not part of the app: it has its own
 * wrangler config (bench/floor/wrangler.toml), is started only by the bench on a free
 * loopback port, and is not in the app's deploy bundle.
 *
 * Floor (target "floor"): one object per room; it accepts sockets with the Hibernation API
 * and broadcasts every frame it receives to every socket in the room, serialized once. No
 * auth, no storage, no ack, no sequence, no presence, no rate limit. Whatever the app does
 * beyond this is what the app costs over the runtime.
 *
 * StoredFloor (target "floor+db"): the floor plus the three things the app's goals say it
 * must do while staying fast, each done the cheapest way the runtime allows, and nothing
 * else: every upgrade makes one D1 round trip first (`SELECT ?1`, where the app looks up
 * the session and membership), and every message is written to the object's SQLite with a
 * sequence number (exactly once per cid) and acked to its sender before the broadcast, both
 * held by the output gate until the write is durable, as the app's are. No flush to D1, no
 * validation, no presence. So app/floor+db is what the app's own logic costs, and
 * floor+db/floor what durability and authentication cost on this runtime.
 *
 *   GET /health                          → 200 "ok"
 *   GET /rooms/:name/ws (upgrade)        → a socket in floor room :name; first frame {"type":"welcome"}
 *   GET /stored/:name/ws (upgrade)       → the same in stored room :name
 *   client → {"type":"send","cid":"…","text":"…"}
 *   every socket ← {"type":"msgs","messages":[{"cid":"…","text":"…"}]}  (the app's shape; stored: with seq)
 *   stored, the sender first ← {"type":"ack","cid":"…","seq":n}
 *   "ping" → "pong", answered by the runtime without waking the object (as the app does)
 */
import { DurableObject } from "cloudflare:workers";

export interface Env {
  FLOOR: DurableObjectNamespace<Floor>;
  STORED: DurableObjectNamespace<StoredFloor>;
  DB: D1Database;
}

const WELCOME = JSON.stringify({ type: "welcome" });

export class Floor extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  override async fetch(req: Request): Promise<Response> {
    return accept(this.ctx, req);
  }

  override webSocketMessage(_ws: WebSocket, data: string | ArrayBuffer): void {
    const f = parse(data);
    if (!f) return;
    // One string for everyone.
    broadcast(this.ctx, JSON.stringify({ type: "msgs", messages: [{ cid: f.cid, text: f.text }] }));
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    finishClose(ws, code, reason);
  }
}

/** The floor, plus a durable, sequenced, acked log (see the top of this file). */
export class StoredFloor extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, cid TEXT NOT NULL UNIQUE, body TEXT NOT NULL, ts INTEGER NOT NULL)");
  }

  override async fetch(req: Request): Promise<Response> {
    return accept(this.ctx, req);
  }

  override webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): void {
    const f = parse(data);
    if (!f || typeof f.cid !== "string" || typeof f.text !== "string") return;
    // A cid seen before is acked again with its seq and not broadcast twice (the app's exactly-once).
    const sql = this.ctx.storage.sql;
    const added = sql.exec<{ seq: number }>("INSERT INTO log (cid, body, ts) VALUES (?, ?, ?) ON CONFLICT (cid) DO NOTHING RETURNING seq", f.cid, f.text, Date.now()).toArray()[0];
    const seq = added?.seq ?? sql.exec<{ seq: number }>("SELECT seq FROM log WHERE cid = ?", f.cid).one().seq;
    try {
      ws.send(JSON.stringify({ type: "ack", cid: f.cid, seq }));
    } catch {
      // closing
    }
    if (added) broadcast(this.ctx, JSON.stringify({ type: "msgs", messages: [{ seq, cid: f.cid, text: f.text }] }));
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    finishClose(ws, code, reason);
  }
}

function accept(ctx: DurableObjectState, req: Request): Response {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("expected a WebSocket upgrade", { status: 426 });
  }
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  ctx.acceptWebSocket(server);
  server.send(WELCOME);
  return new Response(null, { status: 101, webSocket: client });
}

function parse(data: string | ArrayBuffer): { cid?: unknown; text?: unknown } | null {
  if (typeof data !== "string") return null;
  try {
    const f: unknown = JSON.parse(data);
    return typeof f === "object" && f !== null ? f : null;
  } catch {
    return null;
  }
}

function broadcast(ctx: DurableObjectState, frame: string): void {
  for (const s of ctx.getWebSockets()) {
    try {
      s.send(frame);
    } catch {
      // closing; its close event follows
    }
  }
}

/** Completes the close handshake (1005/1006/1015 are never sent on the wire). */
function finishClose(ws: WebSocket, code: number, reason: string): void {
  if (code === 1005 || code === 1006 || code === 1015) return;
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/health") return new Response("ok");
    const m = /^\/(rooms|stored)\/([\w-]{1,64})\/ws$/.exec(url.pathname);
    if (!m?.[2]) return new Response("not found", { status: 404 });
    if (m[1] === "rooms") return env.FLOOR.getByName(m[2]).fetch(req);
    // One D1 round trip before the room, where the app reads the session and membership.
    const ok = await env.DB.prepare("SELECT ?1 AS room").bind(m[2]).first<{ room: string }>();
    if (ok?.room !== m[2]) return new Response("D1 said no", { status: 500 });
    return env.STORED.getByName(m[2]).fetch(req);
  },
} satisfies ExportedHandler<Env>;
