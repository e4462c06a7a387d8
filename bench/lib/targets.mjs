/**
 * The things the bench measures, behind one shape, so that every scenario runs the
 * same code against each:
 *
 *   app       the chat: guests with session cookies, one room, authenticated sockets through
 *             the Worker into the room's Durable Object (messages validated, stored, acked,
 *             broadcast, flushed to D1 by the alarm). `wrangler dev` on wrangler.toml.
 *   floor     a bare hibernatable Durable Object that only broadcasts (bench/floor/), on the
 *             same wrangler/workerd, started the same way: the runtime's floor.
 *   floor+db  the floor plus a D1 round trip per upgrade and a durable, sequenced log with an
 *             ack per message in the object's SQLite: the least a room that authenticates,
 *             persists and acks can cost on this runtime (bench/floor/, StoredFloor).
 *   socketio  a minimal Node server with Socket.IO (bench/socketio/server.mjs), rooms in
 *             memory, a child process on the same pinned Node.
 *
 * Every client socket is a `ws` WebSocket (the same library socket.io-client uses in Node),
 * without permessage-deflate, so they differ only in what is behind the socket.
 *
 * Target:  start() · stop() · pids() (runtime processes: CPU and memory are charged to them)
 *          · mem() · room(n) (a room with n members ready to connect; HTTP setup for the app)
 *          · connect(room, i) → Promise<Client> (resolves on the room's welcome)
 * Client:  send(cid, text) · ping() · close() · open() · on (the scenario's handlers: msgs,
 *          ack, error, close) · rxFrames, rxBytes, presenceFrames
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io as ioClient } from "socket.io-client";
import WebSocket from "ws";
import { PROJECT_ROOT, startDev } from "../../test/support/wrangler-dev.mjs";
import { memOf, now, pool, sleep } from "./util.mjs";

const PROTOCOL = 1;
/** A join storm of 500 on the app took ~40 s on this machine kind: leave room above that. */
const WELCOME_TIMEOUT_MS = 120_000;

/** @type {(...args: any[]) => void} */
const noop = () => {};
/** Handlers a scenario installs on its clients; these ignore everything. */
export const quiet = Object.freeze({ msgs: noop, ack: noop, error: noop, close: noop });

/**
 * One JSON API call to the app; throws on a non-2xx answer.
 * @param {string} base
 * @param {string} path
 * @param {{ cookie?: string, body?: unknown, method?: string, ip?: string }} [init]
 */
export async function api(base, path, { cookie, body, method = "POST", ip } = {}) {
  const res = await fetch(base + path, {
    method,
    // The Worker refuses state changes without a same-origin Origin (CSRF defence).
    headers: { "content-type": "application/json", origin: base, ...(cookie ? { cookie } : {}), ...(ip ? { "cf-connecting-ip": ip } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
  return { res, json: text ? JSON.parse(text) : null };
}

/** Memory of a workerd-based target: its processes (worker + wrangler's proxy). */
function devMem(dev) {
  const parts = dev.workerdPeaks().map((p) => ({ role: p.role, pid: p.pid, rssKiB: p.rssKiB, peakKiB: p.peakKiB }));
  return {
    rssKiB: parts.reduce((s, p) => s + p.rssKiB, 0),
    peakKiB: parts.reduce((s, p) => s + p.peakKiB, 0),
    parts,
  };
}

/**
 * One bench client, whatever the transport: its counters and timestamps, and the
 * transport's own `send`, `ping`, `open`, `close` and `closed` (resolves once the
 * connection is closed; the caller bounds the wait).
 */
function benchClient(i, io) {
  return { i, on: quiet, welcomed: false, rxFrames: 0, rxBytes: 0, presenceFrames: 0, t0: now(), tWelcome: NaN, ...io };
}

/**
 * A `ws` client for the app and the floor: frames are JSON text; "pong" answers "ping".
 * Resolves when the `welcome` frame arrives.
 */
function wsClient(url, headers, i, onFrame) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: WELCOME_TIMEOUT_MS });
    const c = benchClient(i, {
      send: (cid, text) => ws.send(JSON.stringify({ type: "send", cid, text })),
      ping: () => ws.readyState === WebSocket.OPEN && ws.send("ping"),
      open: () => ws.readyState === WebSocket.OPEN,
      close: () => {
        try {
          ws.close(1000, "bench done");
        } catch {
          ws.terminate();
        }
      },
      closed: new Promise((r) => ws.once("close", r)),
    });
    const timer = setTimeout(() => {
      reject(new Error(`client ${i}: no welcome within ${WELCOME_TIMEOUT_MS} ms`));
      ws.terminate();
    }, WELCOME_TIMEOUT_MS);
    ws.on("message", (data, isBinary) => {
      const t = now();
      if (isBinary) return;
      const s = data.toString();
      if (s === "pong") return;
      c.rxFrames++;
      c.rxBytes += s.length;
      let f;
      try {
        f = JSON.parse(s);
      } catch {
        return;
      }
      if (f.type === "welcome" && !c.welcomed) {
        c.welcomed = true;
        c.tWelcome = t;
        clearTimeout(timer);
        resolve(c);
        return;
      }
      onFrame(c, f, t);
    });
    ws.on("close", (code, reason) => {
      if (!c.welcomed) {
        clearTimeout(timer);
        reject(new Error(`client ${i}: socket closed before welcome (${code} ${reason})`));
      } else c.on.close(c, code);
    });
    ws.on("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`client ${i}: upgrade answered ${res.statusCode}`));
      res.resume();
    });
    ws.on("error", (e) => {
      if (!c.welcomed) {
        clearTimeout(timer);
        reject(new Error(`client ${i}: ${e.message}`));
      }
    });
  });
}

/**
 * The app, as `npm start` runs it (wrangler dev on wrangler.toml), with raised vars.
 * @param {{ vars?: Record<string, string>, url?: string, config?: string }} [options]
 */
export function appTarget({ vars = {}, url, config } = {}) {
  /** @type {import("../../test/support/wrangler-dev.d.mts").DevServer | null} */
  let dev = null;
  let base = url ?? "";
  /** Its local state, kept across a restart(). @type {string | null} */
  let persistTo = null;
  /** session cookies of the guests made so far; reused by every room */
  const cookies = [];
  let rooms = 0;
  const setup = { guests: 0, guestsMs: 0, joins: 0, joinsMs: 0 };

  /** Frames after welcome: messages, acks, errors, presence. */
  const onFrame = (c, f, t) => {
    switch (f.type) {
      case "msgs":
        c.on.msgs(c, f.messages, t);
        return;
      case "ack":
        c.on.ack(c, f.cid, t);
        return;
      case "error":
        c.on.error(c, f.code, f.cid);
        return;
      case "presence":
        c.presenceFrames++;
        return;
      default:
        return; // typing, call, …
    }
  };

  async function ensureGuests(n) {
    const t = now();
    const need = n - cookies.length;
    if (need <= 0) return;
    const made = await pool([...Array(need).keys()], 8, async (k) => {
      // Each guest from an address of its own (wrangler dev passes CF-Connecting-IP through),
      // as 500 people would be: the app limits guest sessions per address.
      const n = cookies.length + k;
      const ip = `198.18.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
      const { res } = await api(base, "/api/session", { body: { name: `bench-${n}` }, ip });
      const sid = res.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .find((c) => c?.includes("="));
      if (!sid) throw new Error("POST /api/session set no cookie");
      return sid;
    });
    cookies.push(...made);
    setup.guests += need;
    setup.guestsMs += now() - t;
  }

  return {
    name: "app",
    label: "app",
    setup,
    get url() {
      return base;
    },
    async start() {
      if (url) return; // a running server (--url): nothing to start
      persistTo ??= mkdtempSync(join(tmpdir(), "bench-app-"));
      dev = await startDev({ vars, config, persistTo });
      base = dev.url;
    },
    async stop() {
      await dev?.stop();
      dev = null;
      if (persistTo) rmSync(persistTo, { recursive: true, force: true });
      persistTo = null;
    },
    /**
     * A fresh runtime on the same state (D1, the rooms' storage): what the HTTP setup
     * wrote stays, what it left in the dev runtime's memory does not. Under wrangler dev
     * every request leaves memory behind (1,000 requests that 404 grew the runtime by
     * 30-60 MiB, 1,000 room lookups by 160 MiB), which the floor, needing no setup, never
     * pays. Returns false when there is nothing to restart (--url).
     */
    async restart() {
      if (url || !dev) return false;
      await dev.stop();
      dev = await startDev({ vars, config, persistTo: persistTo ?? undefined, migrate: false });
      base = dev.url;
      return true;
    },
    pids: () => dev?.workerdPeaks().map((p) => p.pid) ?? [],
    mem: () => (dev ? devMem(dev) : null),
    output: () => dev?.output() ?? "",
    async room(n) {
      await ensureGuests(n);
      const owner = /** @type {string} */ (cookies[0]);
      const { json } = await api(base, "/api/rooms", { cookie: owner, body: { name: `bench ${++rooms}` } });
      const t = now();
      await pool(cookies.slice(1, n), 8, (cookie) => api(base, `/api/invites/${json.room.invite}/join`, { cookie, body: {} }));
      setup.joins += n - 1;
      setup.joinsMs += now() - t;
      return { id: json.room.id, members: cookies.slice(0, n) };
    },
    connect(room, i) {
      const wsBase = base.replace(/^http/, "ws");
      return wsClient(`${wsBase}/api/rooms/${room.id}/ws?v=${PROTOCOL}`, { cookie: room.members[i], origin: base }, i, onFrame);
    },
  };
}

/**
 * The floor: bench/floor/ on `wrangler dev`, same wrangler and workerd as the app.
 * `stored`: its rooms keep a durable, acked log and each upgrade makes a D1 round trip
 * (target "floor+db", bench/floor/worker.ts StoredFloor).
 */
export function floorTarget({ stored = false } = {}) {
  /** @type {import("../../test/support/wrangler-dev.d.mts").DevServer | null} */
  let dev = null;
  const onFrame = (c, f, t) => {
    if (f.type === "msgs") c.on.msgs(c, f.messages, t);
    else if (f.type === "ack") c.on.ack(c, f.cid, t);
  };
  const name = stored ? "floor+db" : "floor";
  return {
    name,
    label: name,
    get url() {
      return dev?.url ?? "";
    },
    async start() {
      dev = await startDev({ config: "bench/floor/wrangler.toml", migrate: false, healthPath: "/health" });
    },
    async stop() {
      await dev?.stop();
    },
    pids: () => dev?.workerdPeaks().map((p) => p.pid) ?? [],
    mem: () => (dev ? devMem(dev) : null),
    output: () => dev?.output() ?? "",
    async room(n) {
      return { id: `r${randomBytes(8).toString("hex")}`, members: Array(n).fill(null) };
    },
    connect(room, i) {
      if (!dev) throw new Error("floor not started");
      return wsClient(`${dev.url.replace(/^http/, "ws")}/${stored ? "stored" : "rooms"}/${room.id}/ws`, {}, i, onFrame);
    },
  };
}

/** Socket.IO: bench/socketio/server.mjs as a child process on this (pinned) Node. */
export function socketioTarget() {
  /** @type {import("node:child_process").ChildProcess | null} */
  let child = null;
  let base = "";
  let out = "";
  return {
    name: "socketio",
    label: "socket.io",
    get url() {
      return base;
    },
    async start() {
      const c = spawn(process.execPath, [join(PROJECT_ROOT, "bench/socketio/server.mjs")], {
        cwd: PROJECT_ROOT,
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      });
      child = c;
      c.stderr?.setEncoding("utf8").on("data", (d) => (out = (out + d).slice(-4000)));
      const port = await new Promise((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`socket.io server did not listen within 20 s:\n${out}`)), 20_000);
        c.stdout?.setEncoding("utf8").on("data", (d) => {
          out = (out + d).slice(-4000);
          const m = /listening (\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            res(Number(m[1]));
          }
        });
        c.on("exit", (code, sig) => {
          clearTimeout(timer);
          rej(new Error(`socket.io server exited (${code ?? sig}) before listening:\n${out}`));
        });
      });
      base = `http://127.0.0.1:${port}`;
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      await Promise.race([gone, sleep(5_000)]);
      if (c.exitCode === null && c.signalCode === null) {
        c.kill("SIGKILL");
        await Promise.race([gone, sleep(2_000)]);
      }
    },
    pids: () => (child?.pid ? [child.pid] : []),
    mem: () => {
      if (!child?.pid) return null;
      const m = memOf(child.pid);
      return { ...m, parts: [{ role: "node", pid: child.pid, ...m }] };
    },
    output: () => out,
    async room(n) {
      return { id: `r${randomBytes(8).toString("hex")}`, members: Array(n).fill(null) };
    },
    connect(room, i) {
      return new Promise((resolve, reject) => {
        const s = ioClient(base, {
          transports: ["websocket"],
          auth: { room: room.id },
          forceNew: true, // one connection per client, no multiplexing
          reconnection: false,
          timeout: WELCOME_TIMEOUT_MS,
          // (no permessage-deflate: the server does not offer it)
        });
        const c = benchClient(i, {
          send: (cid, text) => s.emit("send", { cid, text }),
          ping: noop, // Socket.IO heartbeats by itself
          open: () => s.connected,
          close: () => s.disconnect(),
          closed: new Promise((r) => s.once("disconnect", r)),
        });
        const timer = setTimeout(() => {
          reject(new Error(`client ${i}: no welcome within ${WELCOME_TIMEOUT_MS} ms`));
          s.disconnect();
        }, WELCOME_TIMEOUT_MS);
        s.once("welcome", () => {
          c.welcomed = true;
          c.tWelcome = now();
          clearTimeout(timer);
          resolve(c);
        });
        s.on("msgs", (f) => {
          const t = now();
          c.rxFrames++;
          c.on.msgs(c, f.messages, t);
        });
        s.on("connect_error", (e) => {
          clearTimeout(timer);
          reject(new Error(`client ${i}: ${e.message}`));
        });
        s.on("disconnect", (reason) => {
          if (!c.welcomed) {
            clearTimeout(timer);
            reject(new Error(`client ${i}: disconnected before welcome (${reason})`));
          } else c.on.close(c, reason);
        });
      });
    },
  };
}
