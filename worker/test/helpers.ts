/** Test helpers: real HTTP requests and real WebSockets against the Worker in workerd. */
import { env, exports } from "cloudflare:workers";
import { HEARTBEAT_PING, parseServerFrame, type ClientFrame, type RoomResponse, type ServerFrame } from "../protocol";

export const ORIGIN = "https://chat.test";

export function api(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("origin")) headers.set("origin", ORIGIN);
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers }));
}

/** A guest session; returns its cookie and user. */
export async function guest(name: string): Promise<{ cookie: string; id: string; name: string }> {
  const res = await api("/api/session", { method: "POST", body: JSON.stringify({ name }) });
  if (res.status !== 200) throw new Error(`session: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const { user } = (await res.json()) as { user: { id: string; name: string } };
  return { cookie, ...user };
}

export async function newRoom(cookie: string, name?: string): Promise<RoomResponse> {
  const res = await api("/api/rooms", { method: "POST", cookie, body: JSON.stringify(name ? { name } : {}) });
  if (res.status !== 201) throw new Error(`create room: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Joins a group room the way a person does: through its invite link. */
export async function joinRoom(roomId: string, cookie: string): Promise<void> {
  const code = await env.DB.prepare("SELECT invite_code FROM rooms WHERE id = ?").bind(roomId).first<string>("invite_code");
  if (!code) throw new Error(`join: room ${roomId} has no invite code`);
  const res = await api(`/api/invites/${code}/join`, { method: "POST", cookie });
  if (res.status !== 200) throw new Error(`join: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

/** A client socket that records every frame and can wait for one. */
export class Client {
  readonly frames: ServerFrame[] = [];
  readonly raw: string[] = [];
  closed: { code: number; reason: string } | null = null;
  #waiters: Array<() => void> = [];
  #ping: ReturnType<typeof setInterval> | undefined;

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (e) => {
      const data = typeof e.data === "string" ? e.data : "";
      this.raw.push(data);
      const f = parseServerFrame(data);
      if (f) this.frames.push(f);
      this.#wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      clearInterval(this.#ping);
      this.#wake();
    });
  }

  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Heartbeats like a real client (the room treats silent sockets as ghosts). */
  heartbeat(everyMs = 250): this {
    this.#ping = setInterval(() => {
      try {
        this.ws.send(HEARTBEAT_PING);
      } catch {
        clearInterval(this.#ping);
      }
    }, everyMs);
    return this;
  }

  send(f: ClientFrame | string): void {
    this.ws.send(typeof f === "string" ? f : JSON.stringify(f));
  }

  /** The first recorded frame (from `from` on) matching `pred`; waits up to `ms`. */
  async next<T extends ServerFrame["type"]>(
    type: T,
    pred: (f: Extract<ServerFrame, { type: T }>) => boolean = () => true,
    ms = 5000,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.frames.find((f): f is Extract<ServerFrame, { type: T }> => f.type === type && pred(f as never));
      if (hit) return hit;
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${type}; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until the socket is closed; returns the close event's code and reason. */
  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("timed out waiting for close");
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.closed;
  }

  /** Drops everything recorded so far. */
  clear(): void {
    this.frames.length = 0;
    this.raw.length = 0;
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

export async function upgrade(roomId: string, cookie?: string, query = "", headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { upgrade: "websocket", origin: ORIGIN, ...headers };
  if (cookie) h.cookie = cookie;
  return exports.default.fetch(new Request(`${ORIGIN}/api/rooms/${roomId}/ws${query}`, { headers: h }));
}

/**
 * Opens a room socket for `cookie` and waits for its welcome. It heartbeats like
 * the real client unless told not to (a silent socket is how a vanished client looks).
 */
export async function connect(roomId: string, cookie: string, opts: { query?: string; heartbeat?: boolean } = {}): Promise<Client> {
  const res = await upgrade(roomId, cookie, opts.query ?? "");
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade: ${res.status} ${await res.text()}`);
  res.webSocket.accept();
  const c = new Client(res.webSocket);
  if (opts.heartbeat !== false) c.heartbeat();
  await c.next("welcome");
  return c;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
