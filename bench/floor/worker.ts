/**
 * The benchmark's floor (bench/run.mjs, target "floor"): the least a hibernatable Durable
 * Object can do to run a chat room. One object per room; it accepts sockets with the
 * Hibernation API and broadcasts every frame it receives to every socket in the room,
 * serialized once. No auth, no storage, no ack, no sequence, no presence, no rate limit.
 * Whatever the app does beyond this (authentication, validation, the durable log, the ack,
 * presence, the flush) is what the app costs over the runtime.
 *
 * Not part of the app: it has its own wrangler config (bench/floor/wrangler.toml), is
 * started only by the bench on a free loopback port, and is not in the app's deploy bundle.
 *
 *   GET /health                   → 200 "ok"
 *   GET /rooms/:name/ws (upgrade) → a socket in room :name; first frame {"type":"welcome"}
 *   client → {"type":"send","cid":"…","text":"…"}
 *   every socket ← {"type":"msgs","messages":[{"cid":"…","text":"…"}]}  (the app's shape)
 *   "ping" → "pong", answered by the runtime without waking the object (as the app does)
 */
import { DurableObject } from "cloudflare:workers";

export interface Env {
  FLOOR: DurableObjectNamespace<Floor>;
}

const WELCOME = JSON.stringify({ type: "welcome" });

export class Floor extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  override async fetch(req: Request): Promise<Response> {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.send(WELCOME);
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(_ws: WebSocket, data: string | ArrayBuffer): void {
    if (typeof data !== "string") return;
    let f: unknown;
    try {
      f = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof f !== "object" || f === null) return;
    const { cid, text } = f as { cid?: unknown; text?: unknown };
    // One string for everyone.
    const frame = JSON.stringify({ type: "msgs", messages: [{ cid, text }] });
    for (const s of this.ctx.getWebSockets()) {
      try {
        s.send(frame);
      } catch {
        // closing; its close event follows
      }
    }
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    // Complete the close handshake (1005/1006/1015 are never sent on the wire).
    if (code !== 1005 && code !== 1006 && code !== 1015) {
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
    }
  }
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/health") return new Response("ok");
    const m = /^\/rooms\/([\w-]{1,64})\/ws$/.exec(url.pathname);
    if (!m?.[1]) return new Response("not found", { status: 404 });
    return env.FLOOR.get(env.FLOOR.idFromName(m[1])).fetch(req);
  },
} satisfies ExportedHandler<Env>;
