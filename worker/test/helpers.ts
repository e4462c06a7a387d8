/**
 * Test helpers: real HTTP requests and real WebSockets against the Worker in workerd.
 * Every socket opened here is closed after each test (one `afterEach` per test file).
 */
import { afterEach } from "vitest";
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import {
  HEARTBEAT_PING,
  parseHubFrame,
  parseServerFrame,
  type ClientFrame,
  type HubFrame,
  type Message,
  type RoomResponse,
  type ServerFrame,
} from "../protocol";

export const ORIGIN = "https://chat.test";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ── HTTP ───────────────────────────────────────────────────────────────────────

/** A client address no other request uses: per-IP rate limits are real in Miniflare, and shared by every test. */
export const freshIp = () => `10.${rand(256)}.${rand(256)}.${rand(256)}`;
const rand = (n: number) => Math.floor(Math.random() * n);

/** A request to the Worker; from an address of its own unless `headers` name one (cf-connecting-ip). */
export function api(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("origin")) headers.set("origin", ORIGIN);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", freshIp());
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers }));
}

export function post(path: string, cookie: string | undefined, body: unknown = {}): Promise<Response> {
  return api(path, { method: "POST", cookie, body: JSON.stringify(body) });
}

export const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

export interface Person {
  cookie: string;
  id: string;
  name: string;
}

/** A guest session; returns its cookie and user. */
export async function guest(name: string): Promise<Person> {
  const res = await api("/api/session", { method: "POST", body: JSON.stringify({ name }) });
  if (res.status !== 200) throw new Error(`session: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const { user } = (await res.json()) as { user: { id: string; name: string } };
  return { cookie, ...user };
}

let n = 0;
/**
 * A person with an account (a username others can DM). Made as a guest whose row
 * is then given a username: the signup route (and its password hashing and rate
 * limits) is tested elsewhere, and these tests need many people quickly.
 */
export async function account(name: string): Promise<Person & { username: string }> {
  const g = await guest(name);
  const username = `${name.toLowerCase().replace(/[^a-z0-9_]/g, "")}_${Date.now().toString(36)}_${n++}`.slice(0, 24);
  await env.DB.prepare("UPDATE users SET username = ?, kind = 'account' WHERE id = ?").bind(username, g.id).run();
  return { ...g, username };
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

export async function startDm(cookie: string, username: string): Promise<{ status: number; body: RoomResponse }> {
  const res = await post("/api/dms", cookie, { username });
  if (res.status !== 200 && res.status !== 201) throw new Error(`dm: ${res.status} ${await res.text()}`);
  return { status: res.status, body: await res.json() };
}

export function getRoom(roomId: string, cookie: string): Promise<Response> {
  return api(`/api/rooms/${roomId}`, { cookie });
}

// ── sockets ────────────────────────────────────────────────────────────────────

const open = new Set<Socket<{ type: string }>>();
afterEach(() => {
  for (const s of open) s.close();
  open.clear();
});

/**
 * A client socket (a room's, or the user's own channel) that heartbeats like the real
 * client, records every frame its parser accepts, and can wait for one.
 */
export class Socket<F extends { type: string }> {
  readonly frames: F[] = [];
  readonly raw: string[] = [];
  closed: { code: number; reason: string } | null = null;
  #waiters: Array<() => void> = [];
  #ping: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly ws: WebSocket,
    parse: (raw: unknown) => F | null,
  ) {
    ws.addEventListener("message", (e) => {
      const data = typeof e.data === "string" ? e.data : "";
      this.raw.push(data);
      const f = parse(data);
      if (f) this.frames.push(f);
      this.#wake();
    });
    ws.addEventListener("close", (e) => {
      this.closed = { code: e.code, reason: e.reason };
      clearInterval(this.#ping);
      this.#wake();
    });
    open.add(this);
  }

  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }

  async #until(done: () => boolean, ms: number, what: () => string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(what());
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until `check` holds (it is tried after every frame); up to `ms`. */
  until(check: () => boolean, ms = 5000): Promise<void> {
    return this.#until(check, ms, () => `timed out; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
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

  /** The first recorded frame of `type` matching `pred`; waits up to `ms`. */
  async next<T extends F["type"]>(type: T, pred: (f: Extract<F, { type: T }>) => boolean = () => true, ms = 5000): Promise<Extract<F, { type: T }>> {
    const find = () => this.frames.find((f): f is Extract<F, { type: T }> => f.type === type && pred(f as Extract<F, { type: T }>));
    await this.#until(
      () => find() !== undefined || this.closed !== null,
      ms,
      () => `timed out waiting for ${type}; got ${JSON.stringify(this.frames.map((f) => f.type))}`,
    );
    const hit = find();
    if (!hit) throw new Error(`socket closed (${this.closed!.code}) while waiting for ${type}`);
    return hit;
  }

  /** Waits until the socket is closed; returns the close event's code and reason. */
  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    await this.#until(() => this.closed !== null, ms, () => "timed out waiting for close");
    return this.closed!;
  }

  /** Drops everything recorded so far. */
  clear(): void {
    this.frames.length = 0;
    this.raw.length = 0;
  }

  close(): void {
    clearInterval(this.#ping);
    open.delete(this);
    try {
      this.ws.close(1000, "bye");
    } catch {
      // already closed
    }
  }
}

/** A room socket. */
export type Client = Socket<ServerFrame>;

/** The message with `cid`, once a `msgs` frame brings it (several may share a frame under load). */
export async function heard(c: Client, cid: string, ms = 5000): Promise<Message> {
  const f = await c.next("msgs", (f) => f.messages.some((m) => m.cid === cid), ms);
  return f.messages.find((m) => m.cid === cid)!;
}
/** A socket on the user's own channel (GET /api/me/ws). */
export type HubClient = Socket<HubFrame>;

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
  const c = new Socket<ServerFrame>(res.webSocket, parseServerFrame);
  if (opts.heartbeat !== false) c.heartbeat();
  await c.next("welcome");
  return c;
}

export function hubUpgrade(cookie?: string, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { upgrade: "websocket", origin: ORIGIN, ...headers };
  if (cookie) h.cookie = cookie;
  return exports.default.fetch(new Request(`${ORIGIN}/api/me/ws`, { headers: h }));
}

/**
 * Opens a socket on the user's own channel and waits until their hub watches their
 * rooms (it does so right after the upgrade, in the background).
 */
export async function connectHub(cookie: string): Promise<HubClient> {
  const res = await hubUpgrade(cookie);
  if (res.status !== 101 || !res.webSocket) throw new Error(`hub upgrade: ${res.status} ${await res.text()}`);
  res.webSocket.accept();
  const hub = new Socket<HubFrame>(res.webSocket, parseHubFrame).heartbeat();
  const me = (await (await api("/api/session", { cookie })).json()) as { user: { id: string } };
  const stub = env.HUBS.getByName(me.user.id);
  await waitFor(() => runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.kv.get<number>("watched_at") !== undefined), "the hub to watch its rooms");
  return hub;
}

/** Waits until `userId`'s hub watches room `roomId` (after a join, the hub is told and renews in the background). */
export function untilWatching(roomId: string, userId: string): Promise<void> {
  const stub = env.ROOMS.getByName(roomId);
  return waitFor(
    () => runInDurableObject(stub, (_i, state: DurableObjectState) => state.storage.sql.exec("SELECT 1 FROM watchers WHERE uid = ?", userId).toArray().length > 0),
    `${userId} to watch room ${roomId}`,
  );
}

/** Polls `check` every 20 ms until it holds; fails after `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
