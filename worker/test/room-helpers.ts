/** Helpers for the room administration, DM, sidebar and hub tests. */
import { env, exports } from "cloudflare:workers";
import { HEARTBEAT_PING, parseHubFrame, type HubFrame, type RoomResponse } from "../protocol";
import { ORIGIN, api, guest } from "./helpers";

export const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

let n = 0;
/**
 * A person with an account (a username others can DM). Made as a guest whose row
 * is then given a username: the signup route (and its password hashing and rate
 * limits) is tested elsewhere, and these tests need many people quickly.
 */
export async function account(name: string): Promise<{ cookie: string; id: string; name: string; username: string }> {
  const g = await guest(name);
  const username = `${name.toLowerCase().replace(/[^a-z0-9_]/g, "")}_${Date.now().toString(36)}_${n++}`.slice(0, 24);
  await env.DB.prepare("UPDATE users SET username = ?, kind = 'account' WHERE id = ?").bind(username, g.id).run();
  return { ...g, username };
}

export function post(path: string, cookie: string | undefined, body: unknown = {}): Promise<Response> {
  return api(path, { method: "POST", cookie, body: JSON.stringify(body) });
}

export async function startDm(cookie: string, username: string): Promise<{ status: number; body: RoomResponse }> {
  const res = await post("/api/dms", cookie, { username });
  if (res.status !== 200 && res.status !== 201) throw new Error(`dm: ${res.status} ${await res.text()}`);
  return { status: res.status, body: await res.json() };
}

export async function getRoom(roomId: string, cookie: string): Promise<Response> {
  return api(`/api/rooms/${roomId}`, { cookie });
}

/** A socket on the user's own channel (GET /api/me/ws) that records every hub frame. */
export class HubClient {
  readonly frames: HubFrame[] = [];
  closed: { code: number; reason: string } | null = null;
  #ping: ReturnType<typeof setInterval>;

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      const f = parseHubFrame(e.data);
      if (f) this.frames.push(f);
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      clearInterval(this.#ping);
    });
    this.#ping = setInterval(() => {
      try {
        ws.send(HEARTBEAT_PING);
      } catch {
        clearInterval(this.#ping);
      }
    }, 250);
  }

  /** The first recorded frame of `type` matching `pred`; waits up to `ms`. */
  async next<T extends HubFrame["type"]>(type: T, pred: (f: Extract<HubFrame, { type: T }>) => boolean = () => true, ms = 5000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.frames.find((f): f is Extract<HubFrame, { type: T }> => f.type === type && pred(f as never));
      if (hit) return hit;
      if (this.closed) throw new Error(`hub socket closed (${this.closed.code}) while waiting for ${type}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${type}; got ${JSON.stringify(this.frames)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("timed out waiting for close");
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.closed;
  }

  close(): void {
    clearInterval(this.#ping);
    try {
      this.ws.close(1000, "bye");
    } catch {
      // already closed
    }
  }
}

export function hubUpgrade(cookie?: string, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { upgrade: "websocket", origin: ORIGIN, ...headers };
  if (cookie) h.cookie = cookie;
  return exports.default.fetch(new Request(`${ORIGIN}/api/me/ws`, { headers: h }));
}

export async function connectHub(cookie: string): Promise<HubClient> {
  const res = await hubUpgrade(cookie);
  if (res.status !== 101 || !res.webSocket) throw new Error(`hub upgrade: ${res.status} ${await res.text()}`);
  res.webSocket.accept();
  return new HubClient(res.webSocket);
}
