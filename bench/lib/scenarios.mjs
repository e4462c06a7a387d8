/**
 * What the bench measures, the same code for every target (bench/lib/targets.mjs).
 * Every phase is bounded; nothing here asserts a time: results are returned as numbers.
 */
import { cpuOf, now, pool, quiesce, sleep, summary } from "./util.mjs";
import { quiet } from "./targets.mjs";

const HEARTBEAT_MS = 20_000;

/** Every target's runtime processes (set by the runner): a measurement starts when all are quiet. */
let everyPid = () => /** @type {number[]} */ ([]);
export function quietAcross(fn) {
  everyPid = fn;
}
/**
 * Waits (bounded) until this target's and every other target's processes are quiet, so
 * that one's leftover work (a flush, closing sockets, a backlog) does not run into the
 * next measurement.
 */
const settle = (target, maxMs) => quiesce([...new Set([...target.pids(), ...everyPid()])], { maxMs });
const CLOSE_TIMEOUT_MS = 15_000;

/** Open groups of clients, pinged every 20 s (the app closes sockets that stop heartbeating). */
const live = new Set();
const heartbeat = setInterval(() => {
  for (const g of live) for (const c of g.clients) if (c.open()) c.ping();
}, HEARTBEAT_MS);
heartbeat.unref();

/**
 * A room with `n` connected members. `storm`: all upgrades at once (the join scenario);
 * else at most 16 in flight. Resolves when every member got its welcome or gave up.
 */
export async function openGroup(target, n, opts = {}) {
  return connectAll(target, await target.room(n), opts);
}

/** Connects every member of a room made by target.room(). */
async function connectAll(target, room, { storm = false } = {}) {
  const n = room.members.length;
  const pids = target.pids();
  const cpu0 = cpuOf(pids);
  const t0 = now();
  /** @type {any[]} */
  let clients = [];
  /** @type {Error | null} */
  let failure = null;
  if (storm) {
    const settled = await Promise.allSettled(room.members.map((_, i) => target.connect(room, i)));
    clients = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const bad = settled.flatMap((s) => (s.status === "rejected" ? [s.reason] : []));
    if (bad.length) failure = new Error(`${bad.length} of ${n} did not connect; first: ${bad[0]?.message ?? bad[0]}`);
  } else {
    try {
      await pool(room.members, 16, async (_, i) => {
        clients[i] = await target.connect(room, i);
      });
    } catch (e) {
      failure = /** @type {Error} */ (e);
    }
    clients = clients.filter(Boolean);
  }
  const g = { target, room, n, clients, connectMs: now() - t0, connectCpu: cpuOf(pids) - cpu0, failure };
  live.add(g);
  return g;
}

/** Closes every socket of the group (bounded), then waits for the server to go quiet. */
export async function closeGroup(g) {
  live.delete(g);
  for (const c of g.clients) {
    c.on = quiet;
    c.close();
  }
  await Promise.race([Promise.all(g.clients.map((c) => c.closed)), sleep(CLOSE_TIMEOUT_MS)]);
  await settle(g.target, 15_000);
}

/**
 * Traffic in an open group: `senders` members (the first ones) each send `ratePerSender`
 * messages a second for `seconds`, on fixed staggered schedules; then it waits up to
 * `drainMs` for every message to reach every other member. Latency is from the send call
 * to the arrival at each other member, all in this one process.
 */
export async function traffic(g, { senders, ratePerSender, seconds, drainMs, tag }) {
  const { clients, target } = g;
  const M = clients.length;
  const S = Math.min(senders, M);
  const perSender = Math.max(1, Math.floor(seconds * ratePerSender));
  const cap = S * perSender;
  const index = new Map(); // cid → message number
  const sentAt = new Float64Array(cap);
  const senderOf = new Int32Array(cap);
  const senderClients = clients.slice(0, S);
  const ackedBy = new Uint8Array(cap);
  const rejectedBy = new Uint8Array(cap);
  const lat = [];
  const ackLat = [];
  const errors = {};
  const closeCodes = {};
  let delivered = 0;
  let late = 0;
  let dupes = 0;
  let outOfOrder = 0;
  let echoes = 0;
  let acked = 0;
  let rejected = 0;
  let closedEarly = 0;
  let sent = 0;
  let lastDeliveryAt = 0;

  const state = new Map(); // client → { got, lastBySender, lastSeq }
  for (const c of clients) state.set(c, { got: new Uint8Array(cap), lastBySender: new Int32Array(S).fill(-1), lastSeq: -1 });

  const on = {
    msgs(c, list, t) {
      const st = state.get(c);
      if (!st) return;
      for (const m of list) {
        const k = index.get(m?.cid);
        if (k === undefined) continue; // not this run's
        if (st.got[k]) {
          dupes++;
          continue;
        }
        st.got[k] = 1;
        // One order per room (the app's seq) and, for every target, each sender's order.
        const s = senderOf[k] ?? 0;
        const last = st.lastBySender[s] ?? -1;
        if (k < last || (typeof m.seq === "number" && m.seq < st.lastSeq)) outOfOrder++;
        st.lastBySender[s] = Math.max(last, k);
        if (typeof m.seq === "number") st.lastSeq = Math.max(st.lastSeq, m.seq);
        if (senderClients[s] === c) {
          echoes++; // the room's copy to the sender's own socket: not fan-out
          continue;
        }
        const d = t - (sentAt[k] ?? t);
        lat.push(d);
        if (d > 1000) late++;
        delivered++;
        lastDeliveryAt = t;
      }
    },
    ack(_c, cid, t) {
      const k = index.get(cid);
      if (k === undefined || ackedBy[k]) return;
      ackedBy[k] = 1;
      acked++;
      ackLat.push(t - (sentAt[k] ?? t));
    },
    error(_c, code, cid) {
      errors[code] = (errors[code] ?? 0) + 1;
      const k = index.get(cid);
      if (k !== undefined && !rejectedBy[k]) {
        rejectedBy[k] = 1;
        rejected++;
      }
    },
    close(_c, code) {
      closedEarly++;
      closeCodes[code] = (closeCodes[code] ?? 0) + 1;
    },
  };
  for (const c of clients) c.on = on;

  const pids = target.pids();
  const cpu0 = cpuOf(pids);
  const bench0 = process.cpuUsage();
  const interval = 1000 / ratePerSender;
  const tStart = now();
  await Promise.all(
    senderClients.map(async (c, si) => {
      const offset = (si * interval) / S;
      for (let j = 0; j < perSender; j++) {
        const due = tStart + offset + j * interval;
        const wait = due - now();
        if (wait > 1) await sleep(wait);
        if (!c.open()) return;
        const k = sent++;
        const cid = `${tag}-${si}-${j}`; // the app takes [\w-] only
        index.set(cid, k);
        senderOf[k] = si;
        sentAt[k] = now();
        c.send(cid, `bench ${cid}`);
      }
    }),
  );
  const tSent = now();
  const others = M - 1;
  // Drain: until what was not refused reached every other member (and, for the app, every
  // message was acked or refused), or the bound.
  const done = () => delivered >= (sent - rejected) * others && (target.name !== "app" || acked + rejected >= sent);
  while (now() < tSent + drainMs && !done()) await sleep(20);
  const tEnd = now();
  for (const c of clients) c.on = quiet;
  const serverCpu = cpuOf(pids) - cpu0;
  const b = process.cpuUsage(bench0);

  const expected = sent * others;
  const span = ((lastDeliveryAt || tEnd) - tStart) / 1000;
  const l = summary(lat);
  return {
    members: M,
    senders: S,
    ratePerSender,
    totalRate: S * ratePerSender,
    seconds,
    sent,
    acked: target.name === "app" ? acked : null,
    rejected,
    errors,
    delivered,
    expected,
    lost: expected - delivered,
    // Deliveries still coming in when the drain's bound ended it: "lost" then includes
    // messages that were only late (more than drainMs after the last send).
    stillArriving: expected > delivered && lastDeliveryAt > tEnd - 250,
    late,
    duplicates: dupes,
    outOfOrder,
    echoes,
    closedEarly,
    closeCodes,
    latencyMs: { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max },
    ackMs: target.name === "app" ? pick(summary(ackLat)) : null,
    deliveriesPerSec: span > 0 ? delivered / span : NaN,
    drainedInMs: Math.max(0, (lastDeliveryAt || tEnd) - tSent),
    serverCpuSec: pids.length ? serverCpu : null,
    benchCpuSec: (b.user + b.system) / 1e6,
    wallSec: (tEnd - tStart) / 1000,
  };
}

const pick = (s) => ({ p50: s.p50, p90: s.p90, p99: s.p99, max: s.max });

/** Memory at the runtime's processes now: total and per process. */
function memNow(target) {
  const m = target.mem();
  return m ? { rssKiB: m.rssKiB, peakKiB: m.peakKiB, parts: m.parts.map((p) => ({ role: p.role, rssKiB: p.rssKiB, peakKiB: p.peakKiB })) } : null;
}

// ── scenarios ────────────────────────────────────────────────────────────────

/**
 * memory: RSS of the runtime with no socket (room set up), then with `n` sockets open
 * and idle (connected at most 16 at a time, then the server left to go quiet).
 * Returns the group still open (the fan-out at the same size may reuse it).
 */
export async function memory(target, n) {
  const pids = target.pids();
  await settle(target, 10_000);
  const room = await target.room(n); // the app's HTTP setup happens before the baseline,
  // on a runtime restarted after it (as the floor's and Socket.IO's, fresh; see appTarget).
  const restarted = target.restart ? await target.restart() : false;
  await settle(target, 10_000);
  const before = memNow(target);
  const g = await connectAll(target, room);
  const settledMs = await settle(target, 15_000);
  await sleep(500);
  const after = memNow(target);
  const result = {
    sockets: g.clients.length,
    failed: g.failure?.message ?? null,
    connectMs: g.connectMs,
    idleRssKiB: before?.rssKiB ?? null,
    rssKiB: after?.rssKiB ?? null,
    deltaKiB: before && after ? after.rssKiB - before.rssKiB : null,
    perSocketKiB: before && after && g.clients.length ? (after.rssKiB - before.rssKiB) / g.clients.length : null,
    peakKiB: after?.peakKiB ?? null,
    parts: after?.parts ?? null,
    idleParts: before?.parts ?? null,
    settledMs,
    restarted,
  };
  return { result, group: g };
}

/** join: `n` members (sessions and memberships made beforehand) open their sockets at once. */
export async function join(target, n) {
  const pids = target.pids();
  await settle(target, 10_000);
  const bench0 = process.cpuUsage();
  const g = await openGroup(target, n, { storm: true });
  const b = process.cpuUsage(bench0);
  const up = summary(g.clients.map((c) => c.tWelcome - c.t0));
  const result = {
    members: n,
    connected: g.clients.length,
    failed: g.failure?.message ?? null,
    allConnectedMs: g.connectMs,
    upgradeMs: pick(up),
    framesWhileJoining: g.clients.reduce((s, c) => s + c.rxFrames, 0),
    bytesWhileJoining: g.clients.reduce((s, c) => s + c.rxBytes, 0),
    serverCpuSec: pids.length ? g.connectCpu : null,
    benchCpuSec: (b.user + b.system) / 1e6,
  };
  await closeGroup(g);
  return result;
}

/** fanout: an open group of members; `senders` of them share `totalRate` msg/s. */
export async function fanout(g, { senders, totalRate, seconds, drainMs, tag }) {
  await settle(g.target, 10_000);
  const S = Math.min(senders, g.clients.length);
  return traffic(g, { senders: S, ratePerSender: totalRate / S, seconds, drainMs, tag });
}

/**
 * saturation: every member sends; the total rate starts at `startRate` and grows by
 * `factor` per step of `stepSeconds` until p99 passes `p99LimitMs`, a message is lost
 * (not delivered within `drainMs` after the step) or `maxSteps`; a failed step is tried
 * once more before it counts. Reports every step and the last good one.
 */
export async function saturation(g, { startRate, factor, stepSeconds, drainMs, maxSteps, p99LimitMs, tag }) {
  const steps = [];
  let lastGood = null;
  let stoppedBy = `max steps (${maxSteps})`;
  let rate = startRate;
  let retried = false;
  let n = 0; // tags stay unique across retries
  for (let i = 0; i < maxSteps; i++) {
    await settle(g.target, 5_000);
    const r = await traffic(g, { senders: g.clients.length, ratePerSender: rate / g.clients.length, seconds: stepSeconds, drainMs, tag: `${tag}_${n++}` });
    const lost = r.lost > 0;
    const slow = !(r.latencyMs.p99 <= p99LimitMs);
    steps.push({
      totalRate: r.totalRate,
      sent: r.sent,
      delivered: r.delivered,
      expected: r.expected,
      lost: r.lost,
      rejected: r.rejected,
      errors: r.errors,
      p50: r.latencyMs.p50,
      p99: r.latencyMs.p99,
      deliveriesPerSec: r.deliveriesPerSec,
      serverCpuSec: r.serverCpuSec,
      benchCpuSec: r.benchCpuSec,
      wallSec: r.wallSec,
    });
    if ((lost || slow) && !retried && r.rejected === 0) {
      // One hiccup on a shared machine should not end the climb: a failed step is run
      // once more at the same rate, and only a second failure stops it.
      retried = true;
      steps.at(-1).retry = true;
      i--;
      continue;
    }
    if (lost || slow) {
      stoppedBy = lost ? `loss at ${Math.round(r.totalRate)} msg/s (${r.lost} of ${r.expected} deliveries${r.rejected ? `, ${r.rejected} messages refused: ${JSON.stringify(r.errors)}` : ""})` : `p99 ${r.latencyMs.p99.toFixed(0)} ms > ${p99LimitMs} ms at ${Math.round(r.totalRate)} msg/s`;
      break;
    }
    lastGood = steps.at(-1);
    retried = false;
    rate *= factor;
  }
  return {
    members: g.clients.length,
    lastGood,
    stoppedBy,
    steps,
  };
}
