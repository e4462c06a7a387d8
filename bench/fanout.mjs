#!/usr/bin/env node
/**
 * Fan-out benchmark: N guests in one room, S of them sending at a fixed rate; measures
 * how long each message takes from send to arrival at every other member.
 *
 *   npm run bench                                   # 100 clients, 5 senders × 5/s, 10 s
 *   npm run bench -- --clients 300 --senders 10 --rate 8 --seconds 20
 *   node_modules/.bin/node bench/fanout.mjs --url http://127.0.0.1:8787   # against `npm start`
 *
 * Options: --clients N (100)  --senders S (5)  --rate R msgs/s per sender (5; the room
 * allows MSG_RATE_PER_SEC=10)  --seconds T (10)  --drain-ms D (10000: wait after the last
 * send for stragglers)  --url U (use a running server instead of starting one)
 * --config F (a wrangler config other than wrangler.toml)  --var KEY:VALUE (override a
 * wrangler.toml var, repeatable, e.g. --var MSG_RATE_PER_SEC:100 to send faster)
 * --json (also print one JSON line).
 *
 * It reports; it never asserts a time. Everything is bounded: setup, sending, draining, and
 * a watchdog over the whole run. Traffic goes to 127.0.0.1 only. It exits non-zero only
 * when it could not measure at all (server did not start, setup failed).
 *
 * Clients use Node's built-in WebSocket (undici), which, unlike the browser's, accepts a
 * `headers` option: that is how each guest presents its session cookie.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { startDev } from "../test/support/wrangler-dev.mjs";

const { values: opts } = parseArgs({
  options: {
    clients: { type: "string", default: "100" },
    senders: { type: "string", default: "5" },
    rate: { type: "string", default: "5" },
    seconds: { type: "string", default: "10" },
    "drain-ms": { type: "string", default: "10000" },
    url: { type: "string" },
    config: { type: "string" },
    var: { type: "string", multiple: true, default: [] },
    json: { type: "boolean", default: false },
  },
});
const int = (name, min, max) => {
  const n = Number(opts[name]);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number in [${min}, ${max}], got ${opts[name]}`);
    process.exit(2);
  }
  return n;
};
const N = int("clients", 2, 2000);
const S = int("senders", 1, N);
const RATE = int("rate", 0.1, 1000);
const SECONDS = int("seconds", 1, 600);
const DRAIN_MS = int("drain-ms", 0, 120_000);
const PROTOCOL = 1;
const HEARTBEAT_MS = 20_000;
const SETUP_TIMEOUT_MS = 60_000 + N * 200;

if (opts.url && !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+\/?$/.test(opts.url)) {
  console.error("--url must be a loopback http URL, e.g. http://127.0.0.1:8787");
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// ── the whole run has a ceiling ──────────────────────────────────────────────
const WATCHDOG_MS = SETUP_TIMEOUT_MS + 180_000 + SECONDS * 1000 + DRAIN_MS + 30_000;
/** @type {null | (() => Promise<void>)} */
let cleanup = null;
const watchdog = setTimeout(async () => {
  console.error(`bench: watchdog fired after ${WATCHDOG_MS} ms; giving up`);
  await cleanup?.().catch(() => {});
  process.exit(1);
}, WATCHDOG_MS);

// ── helpers ──────────────────────────────────────────────────────────────────

/** Nearest-rank percentile of a sorted array. */
function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
const mib = (kib) => (kib / 1024).toFixed(1);

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** CPU seconds (user + system) used so far by a process, from /proc; null if gone. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/**
 * One JSON API call; throws on a non-2xx answer.
 * @param {string} base
 * @param {string} path
 * @param {{ cookie?: string, body?: unknown, method?: string }} [init]
 */
async function api(base, path, { cookie, body, method = "POST" } = {}) {
  const res = await fetch(base + path, {
    method,
    // The Worker refuses state changes without a same-origin Origin (CSRF defence).
    headers: { "content-type": "application/json", origin: base, ...(cookie ? { cookie } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
  return { res, json: text ? JSON.parse(text) : null };
}

// ── main ─────────────────────────────────────────────────────────────────────

/** @type {import("../test/support/wrangler-dev.d.mts").DevServer | null} */
let dev = null;
/** @type {WebSocket[]} */
const sockets = [];
cleanup = async () => {
  for (const ws of sockets) {
    try {
      ws.close(1000, "bench done");
    } catch {
      // already closed
    }
  }
  await dev?.stop();
};

async function main() {
  let base = opts.url?.replace(/\/$/, "");
  if (!base) {
    process.stdout.write("starting wrangler dev … ");
    const t = now();
    const vars = Object.fromEntries(
      opts.var.map((kv) => {
        const i = kv.indexOf(":");
        if (i < 1) throw new Error(`--var wants KEY:VALUE, got ${kv}`);
        return [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
    dev = await startDev({ config: opts.config, vars });
    base = dev.url;
    console.log(`${dev.url} (${((now() - t) / 1000).toFixed(1)} s)`);
  }
  const wsBase = base.replace(/^http/, "ws");

  // 1. Guests, a room, memberships.
  const tSetup = now();
  const cookies = await pool([...Array(N).keys()], 8, async (i) => {
    const { res } = await api(base, "/api/session", { body: { name: `bench-${i}` } });
    const sid = res.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c?.includes("="));
    if (!sid) throw new Error("POST /api/session set no cookie");
    return sid;
  });
  const { json: created } = await api(base, "/api/rooms", { cookie: cookies[0], body: { name: "bench" } });
  const roomId = created.room.id;
  const invite = created.room.invite;
  await pool(cookies.slice(1), 8, (cookie) => api(base, `/api/invites/${invite}/join`, { cookie, body: {} }));
  const tHttp = now();

  // 2. Counters, shared by all clients.
  const sentAt = new Map(); // cid → performance.now() at send
  const deliveryLat = []; // ms, one per (message, receiver)
  const ackLat = [];
  const errors = new Map(); // code → count
  let delivered = 0;
  let dupes = 0;
  let outOfOrder = 0;
  let acked = 0;
  let echoes = 0;
  let rejected = 0;
  let lastDeliveryAt = 0;
  let closedEarly = 0;
  /** close code → sockets closed with it after their welcome */
  const closeCodes = new Map();
  let sending = false;
  let rxBytes = 0; // characters of text frames received, all clients
  let presenceFrames = 0;

  // 3. Sockets; each resolves when its `welcome` arrives.
  const clients = await pool(cookies, 16, (cookie, i) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsBase}/api/rooms/${roomId}/ws?v=${PROTOCOL}`, { headers: { cookie, origin: base } });
      sockets.push(ws);
      const c = { i, ws, lastSeq: 0, seqs: new Set(), welcomed: false };
      const timer = setTimeout(() => reject(new Error(`client ${i}: no welcome within 15 s`)), 15_000);
      ws.addEventListener("message", (ev) => {
        const t = now();
        if (ev.data === "pong") return;
        rxBytes += String(ev.data).length;
        let f;
        try {
          f = JSON.parse(String(ev.data));
        } catch {
          return;
        }
        switch (f.type) {
          case "welcome":
            c.welcomed = true;
            c.lastSeq = f.lastSeq;
            clearTimeout(timer);
            resolve(c);
            return;
          case "msgs":
            for (const m of f.messages) {
              // Exactly-once, in order, per receiver: the room's seq must only grow.
              if (c.seqs.has(m.seq)) {
                dupes++;
                continue;
              }
              if (m.seq < c.lastSeq) outOfOrder++;
              c.seqs.add(m.seq);
              c.lastSeq = Math.max(c.lastSeq, m.seq);
              // The room may echo a message to its sender's own socket too (for the
              // sender's other tabs); that is not fan-out to others: count it apart.
              if (m.cid.startsWith(`b${c.i}-`)) {
                echoes++;
                continue;
              }
              const sent = /\bt=(\d+(?:\.\d+)?)\b/.exec(m.text);
              if (sent && sending) {
                deliveryLat.push(t - Number(sent[1]));
                delivered++;
                lastDeliveryAt = t;
              }
            }
            return;
          case "ack": {
            const s = sentAt.get(f.cid);
            if (s !== undefined) {
              ackLat.push(t - s);
              acked++;
              sentAt.delete(f.cid);
            }
            return;
          }
          case "error":
            errors.set(f.code, (errors.get(f.code) ?? 0) + 1);
            if (f.cid !== undefined && sentAt.delete(f.cid)) rejected++;
            return;
          case "presence":
            presenceFrames++;
            return;
          default:
            return; // typing
        }
      });
      ws.addEventListener("close", (ev) => {
        if (!c.welcomed) {
          clearTimeout(timer);
          reject(new Error(`client ${i}: socket closed before welcome (${ev.code} ${ev.reason})`));
        } else {
          closeCodes.set(ev.code, (closeCodes.get(ev.code) ?? 0) + 1);
          if (sending) closedEarly++;
        }
      });
      ws.addEventListener("error", () => {
        // a close event follows with the details
      });
    }),
  );
  const tConnected = now();
  const sec = (a, b) => ((b - a) / 1000).toFixed(1);
  console.log(
    `setup: ${N} guests joined room ${roomId} (sessions + joins over HTTP ${sec(tSetup, tHttp)} s)` +
      ` and connected their sockets (${sec(tHttp, tConnected)} s)`,
  );
  await sleep(1000); // settle: the presence frames of N joins are still arriving
  console.log(
    `       sockets received ${presenceFrames} presence frames, ${(rxBytes / 2 ** 20).toFixed(1)} MiB in all, while joining`,
  );
  const heartbeat = setInterval(() => {
    for (const c of clients) if (c.ws.readyState === WebSocket.OPEN) c.ws.send("ping");
  }, HEARTBEAT_MS);

  const peakAfterSetup = dev?.peakRssKiB() ?? 0;
  const workerdPids = dev?.workerdPeaks().map((p) => p.pid) ?? [];
  const cpu0 = workerdPids.map(cpuSeconds);
  const benchCpu0 = process.cpuUsage();

  // 4. Send: each sender on its own fixed schedule, staggered so sends spread evenly.
  const interval = 1000 / RATE;
  const perSender = Math.floor(SECONDS * RATE);
  let sent = 0;
  sending = true;
  const tStart = now();
  await Promise.all(
    clients.slice(0, S).map(async (c, si) => {
      const offset = (si * interval) / S;
      for (let k = 0; k < perSender; k++) {
        const due = tStart + offset + k * interval;
        const wait = due - now();
        if (wait > 0) await sleep(wait);
        if (c.ws.readyState !== WebSocket.OPEN) return;
        const cid = `b${si}-${k}`;
        const t = now();
        sentAt.set(cid, t);
        c.ws.send(JSON.stringify({ type: "send", cid, text: `bench ${si}/${k} t=${t.toFixed(3)}` }));
        sent++;
      }
    }),
  );
  const tSent = now();

  // 5. Drain: until every acked message reached every other member, or the timeout.
  const expected = () => acked * (N - 1);
  const drainDeadline = tSent + DRAIN_MS;
  while (now() < drainDeadline && (acked + rejected < sent || delivered < expected())) await sleep(50);
  sending = false;
  clearInterval(heartbeat);
  const tEnd = now();

  const cpu1 = workerdPids.map(cpuSeconds);
  const benchCpu = process.cpuUsage(benchCpu0);
  const peak = dev?.peakRssKiB() ?? 0;
  const breakdown = dev?.workerdPeaks() ?? [];

  // 6. Report.
  deliveryLat.sort((a, b) => a - b);
  ackLat.sort((a, b) => a - b);
  const span = ((lastDeliveryAt || tEnd) - tStart) / 1000;
  const serverCpu = cpu0.reduce((s, c0, i) => (c0 === null || cpu1[i] === null ? s : s + (cpu1[i] - c0)), 0);
  const wall = (tEnd - tStart) / 1000;
  const result = {
    clients: N,
    senders: S,
    ratePerSender: RATE,
    seconds: SECONDS,
    sent,
    acked,
    errors: Object.fromEntries(errors),
    delivered,
    expected: expected(),
    echoesToSender: echoes,
    duplicates: dupes,
    outOfOrder,
    closedEarly,
    latencyMs: {
      p50: pct(deliveryLat, 50),
      p90: pct(deliveryLat, 90),
      p99: pct(deliveryLat, 99),
      max: deliveryLat.at(-1) ?? NaN,
    },
    deliveriesPerSec: span > 0 ? delivered / span : NaN,
    ackMs: { p50: pct(ackLat, 50), p99: pct(ackLat, 99) },
    drainedInMs: Math.max(0, (lastDeliveryAt || tEnd) - tSent),
    serverPeakRssKiB: peak || null,
    serverPeakRssAfterSetupKiB: peakAfterSetup || null,
    workerd: breakdown.map((p) => ({ role: p.role, peakKiB: p.peakKiB })),
    serverCpuSec: dev ? serverCpu : null,
    benchCpuSec: (benchCpu.user + benchCpu.system) / 1e6,
    wallSec: wall,
  };

  const pctOk = result.expected ? ((100 * delivered) / result.expected).toFixed(2) : "n/a";
  const lines = [
    "",
    `fan-out: ${N} clients in one room, ${S} senders × ${RATE} msg/s for ${SECONDS} s`,
    `  sent ${sent}, acked ${acked}${errors.size ? `, errors ${JSON.stringify(result.errors)}` : ""}` +
      (echoes ? `, echoed to the sending socket ${echoes}` : ""),
    `  delivered/expected  ${delivered}/${result.expected} (${pctOk}%) to the ${N - 1} other members` +
      (dupes || outOfOrder ? `  duplicates ${dupes}, out of order ${outOfOrder}` : "") +
      (closedEarly ? `  sockets closed early ${closedEarly}` : "") +
      (closeCodes.size ? `  closed by the server: ${JSON.stringify(Object.fromEntries(closeCodes))}` : ""),
    `  delivery latency    p50 ${ms(result.latencyMs.p50)}  p90 ${ms(result.latencyMs.p90)}  p99 ${ms(result.latencyMs.p99)}  max ${ms(result.latencyMs.max)} ms`,
    `  deliveries/s        ${result.deliveriesPerSec.toFixed(0)}`,
    `  ack latency         p50 ${ms(result.ackMs.p50)}  p99 ${ms(result.ackMs.p99)} ms`,
    dev
      ? `  server peak RSS     ${mib(peak)} MiB (${breakdown.map((p) => `${p.role} ${mib(p.peakKiB)}`).join(", ")}; after setup ${mib(peakAfterSetup)})`
      : "  server peak RSS     n/a (--url: not started by this bench)",
    dev
      ? `  CPU during run      workerd ${serverCpu.toFixed(2)} s, bench client ${result.benchCpuSec.toFixed(2)} s over ${wall.toFixed(1)} s wall (2 cores shared)`
      : `  CPU during run      bench client ${result.benchCpuSec.toFixed(2)} s over ${wall.toFixed(1)} s wall`,
    delivered < result.expected ? `  note: drain timeout (${DRAIN_MS} ms) reached before every delivery arrived` : "",
  ].filter(Boolean);
  console.log(lines.join("\n"));
  if (opts.json) console.log(JSON.stringify(result));
}

try {
  await main();
  await cleanup();
  clearTimeout(watchdog);
  process.exit(0);
} catch (e) {
  console.error(`\nbench failed: ${e instanceof Error ? e.message : e}`);
  if (dev) console.error(`--- last wrangler output ---\n${dev.output()}`);
  await cleanup().catch(() => {});
  clearTimeout(watchdog);
  process.exit(1);
}
