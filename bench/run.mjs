#!/usr/bin/env node
/**
 * The benchmark: one run measures the app beside three references, scenario by scenario,
 * one target after the other, and prints them all and the ratios. Absolute times on
 * shared machines drift by up to 10× from one day to the next; only ratios measured in
 * the same run mean anything.
 *
 *   npm run bench                                      # the suite (a few minutes)
 *   npm run bench -- --scenario fanout --members 50    # one scenario, one size
 *   npm run bench -- --smoke                           # all scenarios, tiny sizes (CI)
 *   npm run bench -- --json                            # also one JSON line per result
 *
 * Targets (bench/lib/targets.mjs): app (the chat on `wrangler dev`, with its per-sender
 * message budget raised by --var for the bench), floor (a bare hibernatable Durable Object
 * that only broadcasts, bench/floor/, same wrangler and workerd), floor+db (the floor plus
 * a D1 round trip per upgrade and a durable, acked log in the object's SQLite: the least a
 * room that authenticates, persists and acks can cost), socketio (a minimal Node server
 * with Socket.IO, bench/socketio/server.mjs, a child on the same pinned Node).
 *
 * Scenarios (bench/lib/scenarios.mjs), in this order:
 *   memory      runtime RSS with --memory N (500) sockets open and idle, beside the idle baseline
 *   fanout      --members (50,500) in one room; --senders (5) share --total-rate (100) msg/s
 *               for --seconds (10); every member receives every message
 *   saturation  --sat-members (50), all sending; total rate from --sat-start (50) × --sat-factor
 *               (1.5) per --sat-step-s (3) s step until p99 > --sat-p99 (250) ms or a loss
 *               (a failed step is run once more before it counts)
 *   join        --join N (500) members (sessions and memberships made beforehand) connect at once
 *
 * --repeat N: fanout and join N times each, the targets taking turns, each one's median round
 * shown (default: 3 for a fan-out of at most 100 members, 1 for the rest).
 * Other options: --targets app,floor,floor+db,socketio  --scenario a,b (or all)  --drain-ms (10000)
 * --url U (the app already running there; its memory and CPU are then not measured)
 * --config F (the app's wrangler config)  --var KEY:VALUE (app vars, repeatable)
 * --clients/--rate (the old bench's flags: members, and msg/s per sender)  --watchdog-s.
 *
 * It reports; it never asserts a time. Every phase is bounded and a watchdog bounds the
 * whole run. Traffic goes to 127.0.0.1 only. It exits non-zero only when it could not
 * measure (a target did not start, a scenario's setup failed).
 */
import { parseArgs } from "node:util";
import { closeGroup, fanout, join, memory, openGroup, quietAcross, saturation } from "./lib/scenarios.mjs";
import { appTarget, floorTarget, socketioTarget } from "./lib/targets.mjs";
import { fmt, memOf, now } from "./lib/util.mjs";

const { values: opts } = parseArgs({
  options: {
    scenario: { type: "string", default: "all" },
    targets: { type: "string", default: "app,floor,floor+db,socketio" },
    smoke: { type: "boolean", default: false },
    members: { type: "string" },
    clients: { type: "string" },
    senders: { type: "string" },
    "total-rate": { type: "string" },
    rate: { type: "string" },
    seconds: { type: "string" },
    repeat: { type: "string" },
    "drain-ms": { type: "string" },
    join: { type: "string" },
    memory: { type: "string" },
    "sat-members": { type: "string" },
    "sat-start": { type: "string" },
    "sat-factor": { type: "string" },
    "sat-step-s": { type: "string" },
    "sat-drain-ms": { type: "string" },
    "sat-max-steps": { type: "string" },
    "sat-p99": { type: "string" },
    url: { type: "string" },
    config: { type: "string" },
    var: { type: "string", multiple: true, default: [] },
    json: { type: "boolean", default: false },
    "watchdog-s": { type: "string" },
  },
});

const die = (msg) => {
  console.error(msg);
  process.exit(2);
};
/** A number option within [min, max]; `def` when absent (the smoke default when --smoke). */
const num = (name, def, smokeDef, min, max) => {
  const raw = opts[name];
  const n = raw === undefined ? (opts.smoke ? smokeDef : def) : Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) die(`--${name} must be a number in [${min}, ${max}], got ${raw}`);
  return n;
};
const list = (name, def, smokeDef, min, max) => {
  const raw = opts[name];
  if (raw === undefined) return opts.smoke ? smokeDef : def;
  return raw.split(",").map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < min || n > max) die(`--${name} wants integers in [${min}, ${max}], got ${raw}`);
    return n;
  });
};

const SCENARIOS = ["memory", "fanout", "saturation", "join"];
const wanted = opts.scenario === "all" ? SCENARIOS : opts.scenario.split(",");
for (const s of wanted) if (!SCENARIOS.includes(s)) die(`--scenario: one of ${SCENARIOS.join("|")}|all (comma-separated), got ${s}`);
const TARGETS = ["app", "floor", "floor+db", "socketio"];
const targetNames = opts.targets.split(",");
for (const t of targetNames) if (!TARGETS.includes(t)) die(`--targets: some of ${TARGETS.join(",")}, got ${t}`);

const cfg = {
  fanoutMembers: opts.clients ? [num("clients", 0, 0, 2, 2000)] : list("members", [500, 50], [20], 2, 2000),
  senders: num("senders", 5, 2, 1, 2000),
  seconds: num("seconds", 10, 2, 1, 600),
  repeat: opts.repeat === undefined ? null : num("repeat", 1, 1, 1, 9),
  drainMs: num("drain-ms", 10_000, 5_000, 0, 120_000),
  join: num("join", 500, 20, 1, 2000),
  memory: num("memory", 500, 20, 1, 2000),
  sat: {
    members: num("sat-members", 50, 10, 2, 2000),
    startRate: num("sat-start", 50, 20, 1, 100_000),
    factor: num("sat-factor", 1.5, 2, 1.05, 10),
    stepSeconds: num("sat-step-s", 3, 1, 1, 60),
    drainMs: num("sat-drain-ms", 3_000, 2_000, 100, 60_000),
    maxSteps: num("sat-max-steps", 12, 2, 1, 30),
    p99LimitMs: num("sat-p99", 250, 250, 1, 60_000),
  },
};
// The old bench's --rate was per sender; --total-rate is the room's total.
cfg.totalRate = opts.rate !== undefined ? num("rate", 0, 0, 0.1, 1000) * cfg.senders : num("total-rate", 100, 10, 0.1, 100_000);
if (opts.url && !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+\/?$/.test(opts.url)) {
  die("--url must be a loopback http URL, e.g. http://127.0.0.1:8787");
}

// The app's per-sender and per-room message budgets (wrangler.toml MSG_RATE_PER_SEC=10,
// MSG_BURST=20, ROOM_MSG_RATE_PER_SEC=50, ROOM_MSG_BURST=100) would refuse the bench's
// senders: raised for the bench only, like any --var.
const BENCH_VARS = { MSG_RATE_PER_SEC: "1000", MSG_BURST: "2000", ROOM_MSG_RATE_PER_SEC: "100000", ROOM_MSG_BURST: "200000" };
const appVars = { ...BENCH_VARS };
for (const kv of opts.var) {
  const i = kv.indexOf(":");
  if (i < 1) die(`--var wants KEY:VALUE, got ${kv}`);
  appVars[kv.slice(0, i)] = kv.slice(i + 1);
}

// ── the plan: scenario by scenario, every target in turn ────────────────────
/** @typedef {{ scenario: string, n: number, label: string }} Step */
/** @type {Step[]} */
const plan = [];
if (wanted.includes("memory")) plan.push({ scenario: "memory", n: cfg.memory, label: `memory · ${cfg.memory} sockets open and idle` });
if (wanted.includes("fanout")) {
  for (const n of cfg.fanoutMembers) {
    const s = Math.min(cfg.senders, n);
    plan.push({
      scenario: "fanout",
      n,
      label: `fanout · ${n} members · ${s} senders × ${+(cfg.totalRate / s).toFixed(2)}/s = ${cfg.totalRate} msg/s for ${cfg.seconds} s`,
    });
  }
}
if (wanted.includes("saturation")) {
  const c = cfg.sat;
  plan.push({
    scenario: "saturation",
    n: c.members,
    label: `saturation · ${c.members} members, all sending · ${c.startRate} msg/s ×${c.factor} per ${c.stepSeconds} s step, until p99 > ${c.p99LimitMs} ms or a loss`,
  });
}
if (wanted.includes("join")) plan.push({ scenario: "join", n: cfg.join, label: `join · ${cfg.join} members connect at once` });
/** Scenarios that --repeat repeats, and what picks the median round. */
const MEDIAN_BY = {
  fanout: { label: "p99 ms", key: (r) => r.latencyMs.p99 },
  join: { label: "all connected, ms", key: (r) => r.allConnectedMs },
};
/**
 * Rounds of a step: --repeat when given; else 3 for a small fan-out (short latencies, where
 * one burst of someone else's load on the machine moves p99 most, and a round is cheap) and 1
 * for the rest.
 */
function roundsOf(step) {
  if (!(step.scenario in MEDIAN_BY)) return 1;
  if (cfg.repeat !== null) return cfg.repeat;
  return step.scenario === "fanout" && step.n <= 100 && !opts.smoke ? 3 : 1;
}
/** The median round by `by.key` (a failed round counts as the worst). */
function median(list, by) {
  const ok = list.filter((r) => !r.error);
  if (ok.length === 0) return list[0];
  const k = (r) => (Number.isFinite(by.key(r)) ? by.key(r) : Infinity);
  const sorted = [...ok].sort((a, b) => k(a) - k(b));
  return { ...sorted[Math.floor((list.length - 1) / 2)] ?? sorted.at(-1), rounds: list.length };
}
/** Scenarios that can run in a room left open by an earlier one of the same size. */
const REUSES = new Set(["memory", "fanout", "saturation"]);

// ── the whole run has a ceiling ──────────────────────────────────────────────
// Each phase has its own bound; this is the ceiling over them all (starts, then per target
// every scenario's connects, traffic, drains and quiet waits at their bounds).
const perTarget =
  plan
    .filter((s) => s.scenario !== "saturation")
    .reduce((sum, s) => sum + roundsOf(s) * (180 + cfg.seconds + cfg.drainMs / 1000), 0) +
  (wanted.includes("saturation") ? 180 + 2 * cfg.sat.maxSteps * (cfg.sat.stepSeconds + cfg.sat.drainMs / 1000 + 6) : 0);
// The sum of every bound can pass the flag's ceiling (--repeat 3 with every target): clamp the default.
const ceiling = Math.min(7200, 300 + targetNames.length * perTarget);
const WATCHDOG_MS = 1000 * num("watchdog-s", ceiling, ceiling, 30, 7200);

const targets = targetNames.map((t) =>
  t === "app"
    ? appTarget({ vars: appVars, url: opts.url, config: opts.config })
    : t === "socketio"
      ? socketioTarget()
      : floorTarget({ stored: t === "floor+db" }),
);
quietAcross(() => targets.flatMap((t) => t.pids()));
const stopAll = () => Promise.allSettled(targets.map((t) => t.stop()));
const watchdog = setTimeout(async () => {
  console.error(`bench: watchdog fired after ${WATCHDOG_MS / 1000} s; giving up`);
  await stopAll();
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

// ── printing ─────────────────────────────────────────────────────────────────
const W0 = 24;
const W = 19;
const pad = (s, w) => String(s).padEnd(w);
const out = (line = "") => console.log(line);
const jsonLine = (o) => opts.json && console.log(JSON.stringify(o));
const labels = targets.map((t) => t.label);
const refs = targets.filter((t) => t.name !== "app");
const hasApp = targets.some((t) => t.name === "app");
const ratioHeads = hasApp ? refs.map((t) => `app/${t.label}`) : [];

function header() {
  out(`  ${pad("", W0)}${labels.map((l) => pad(l, W)).join("")}${ratioHeads.map((h) => pad(h, 13)).join("")}`);
}
/**
 * One row: a label, a value per target (as text) and, when `num` gives numbers, the
 * ratios app/reference.
 */
function row(label, cells, numOf) {
  let line = `  ${pad(label, W0)}${cells.map((c) => pad(c, W)).join("")}`;
  if (numOf && hasApp) {
    const a = numOf(targets.findIndex((t) => t.name === "app"));
    for (const r of refs) {
      const b = numOf(targets.indexOf(r));
      line += pad(Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "–", 13);
    }
  }
  out(line.trimEnd());
}

/** results[step][targetIndex] → the result object or { error } */
const results = [];
let couldNotMeasure = false;

function printStep(step, res) {
  out();
  out(step.label);
  header();
  const v = (f) => res.map((r) => (r && !r.error ? f(r) : r?.error ? "error" : "–"));
  const n = (f) => (i) => (res[i] && !res[i].error ? f(res[i]) : NaN);
  const cpu = (r) => `${r.serverCpuSec === null ? "n/a" : r.serverCpuSec.toFixed(2)} / ${r.benchCpuSec.toFixed(2)}`;
  if (step.scenario === "fanout") {
    row("delivered/expected", v((r) => `${r.delivered}/${r.expected}`));
    row("lost", v((r) => `${r.lost}${r.rejected ? ` (${r.rejected} refused)` : ""}${r.stillArriving ? " (late)" : ""}`));
    row("later than 1 s", v((r) => fmt.int(r.late)));
    row("dup / out of order", v((r) => `${r.duplicates} / ${r.outOfOrder}`));
    for (const p of ["p50", "p90", "p99", "max"]) {
      row(`latency ${p} ms`, v((r) => fmt.ms(r.latencyMs[p])), n((r) => r.latencyMs[p]));
    }
    row("deliveries/s", v((r) => fmt.int(r.deliveriesPerSec)), n((r) => r.deliveriesPerSec));
    row("ack p50 / p99 ms", v((r) => (r.ackMs ? `${fmt.ms(r.ackMs.p50)} / ${fmt.ms(r.ackMs.p99)}` : "–")));
    row("drained in ms", v((r) => fmt.int(r.drainedInMs)));
    row("CPU s server / bench", v(cpu), n((r) => r.serverCpuSec ?? NaN));
    row("server RSS now/peak MiB", v((r) => (r.mem ? `${fmt.mib(r.mem.rssKiB)} / ${fmt.mib(r.mem.peakKiB)}` : "n/a")));
    for (const [i, r] of res.entries()) {
      if (r?.mem?.parts?.length > 1) out(`  ${labels[i]} peak RSS by process MiB: ${r.mem.parts.map((p) => `${p.role} ${fmt.mib(p.peakKiB)}`).join(", ")}`);
    }
    const extra = res.flatMap((r, i) =>
      r && !r.error && (Object.keys(r.errors).length || r.closedEarly)
        ? [`${labels[i]}: errors ${JSON.stringify(r.errors)}, closed early ${r.closedEarly} ${JSON.stringify(r.closeCodes)}`]
        : [],
    );
    for (const e of extra) out(`  note: ${e}`);
    if (res.some((r) => r?.stillArriving)) {
      out(`  (late): still arriving when the drain ended ${cfg.drainMs} ms after the last send; counted as lost`);
    }
  } else if (step.scenario === "join") {
    row("connected", v((r) => `${r.connected}/${r.members}`));
    row("all connected in s", v((r) => (r.allConnectedMs / 1000).toFixed(2)), n((r) => r.allConnectedMs));
    row("per upgrade p50 ms", v((r) => fmt.ms(r.upgradeMs.p50)), n((r) => r.upgradeMs.p50));
    row("per upgrade p99 ms", v((r) => fmt.ms(r.upgradeMs.p99)), n((r) => r.upgradeMs.p99));
    row("frames while joining", v((r) => `${fmt.int(r.framesWhileJoining)} (${fmt.mib(r.bytesWhileJoining / 1024)} MiB)`));
    row("CPU s server / bench", v(cpu), n((r) => r.serverCpuSec ?? NaN));
    for (const [i, r] of res.entries()) if (r?.failed) out(`  note: ${labels[i]}: ${r.failed}`);
  } else if (step.scenario === "memory") {
    row("sockets open", v((r) => `${r.sockets}/${step.n}`));
    row("RSS at start MiB", v((r) => fmt.mib(r.freshRssKiB ?? NaN)), n((r) => r.freshRssKiB ?? NaN));
    if (res.some((r) => r?.restarted)) out("  (the app's HTTP setup, sessions and joins, ran before a restart: its idle RSS is a fresh runtime on that state)");
    row("RSS idle MiB", v((r) => fmt.mib(r.idleRssKiB)), n((r) => r.idleRssKiB ?? NaN));
    row(`RSS, ${step.n} open MiB`, v((r) => fmt.mib(r.rssKiB)), n((r) => r.rssKiB ?? NaN));
    row("  of which sockets MiB", v((r) => fmt.mib(r.deltaKiB)), n((r) => r.deltaKiB ?? NaN));
    row("  per socket KiB", v((r) => (r.perSocketKiB === null ? "n/a" : r.perSocketKiB.toFixed(1))), n((r) => r.perSocketKiB ?? NaN));
    row("peak RSS so far MiB", v((r) => fmt.mib(r.peakKiB)));
    row("connected in s", v((r) => fmt.s(r.connectMs / 1000)));
    for (const [i, r] of res.entries()) {
      if (r?.parts) out(`  ${labels[i]} processes, RSS idle → open MiB: ${r.parts.map((p) => `${p.role} ${fmt.mib(r.idleParts?.find((q) => q.role === p.role)?.rssKiB ?? NaN)} → ${fmt.mib(p.rssKiB)} (peak ${fmt.mib(p.peakKiB)})`).join(", ")}`);
      if (r?.failed) out(`  note: ${labels[i]}: ${r.failed}`);
    }
  } else if (step.scenario === "saturation") {
    row("last good msg/s", v((r) => (r.lastGood ? fmt.int(r.lastGood.totalRate) : "none")), n((r) => r.lastGood?.totalRate ?? NaN));
    row("  deliveries/s", v((r) => (r.lastGood ? fmt.int(r.lastGood.deliveriesPerSec) : "–")), n((r) => r.lastGood?.deliveriesPerSec ?? NaN));
    row("  p50 / p99 ms", v((r) => (r.lastGood ? `${fmt.ms(r.lastGood.p50)} / ${fmt.ms(r.lastGood.p99)}` : "–")));
    row("  CPU s server / bench", v((r) => (r.lastGood ? `${r.lastGood.serverCpuSec?.toFixed(2) ?? "n/a"} / ${r.lastGood.benchCpuSec.toFixed(2)}` : "–")));
    for (const [i, r] of res.entries()) {
      if (!r || r.error) continue;
      out(`  ${labels[i]}: stopped by ${r.stoppedBy}`);
      out(
        `    steps (msg/s → p99 ms, lost): ${r.steps.map((s) => `${fmt.int(s.totalRate)}→${fmt.ms(s.p99)}${s.lost ? `,${s.lost}` : ""}${s.retry ? " (failed once: again)" : ""}`).join("  ")}`,
      );
    }
  }
  for (const [i, r] of res.entries()) if (r?.error) out(`  ${labels[i]}: could not measure: ${r.error}`);
}

// ── main ─────────────────────────────────────────────────────────────────────

/** RSS of each target right after it started, KiB. */
const startRss = new Map();

/** Open groups kept for a later scenario of the same size: "target/n" → group */
const kept = new Map();

async function runStep(step, si, t, round, rounds) {
  const key = `${t.name}/${step.n}`;
  const reuseLater = round < rounds - 1 || plan.slice(si + 1).some((s) => REUSES.has(s.scenario) && s.n === step.n);
  const take = async () => {
    const g = kept.get(key);
    kept.delete(key);
    if (g) return g;
    const fresh = await openGroup(t, step.n);
    if (fresh.failure) {
      await closeGroup(fresh);
      throw fresh.failure;
    }
    return fresh;
  };
  const release = async (g) => {
    if (reuseLater && g.clients.length === step.n) kept.set(key, g);
    else await closeGroup(g);
  };
  const tag = `${si}${t.name[0]}${round}`;
  switch (step.scenario) {
    case "memory": {
      const { result: r, group } = await memory(t, step.n);
      const result = { freshRssKiB: startRss.get(t) ?? null, ...r };
      if (group.failure) {
        await closeGroup(group);
        return result;
      }
      await release(group);
      return result;
    }
    case "fanout": {
      const g = await take();
      const r = await fanout(g, { senders: cfg.senders, totalRate: cfg.totalRate, seconds: cfg.seconds, drainMs: cfg.drainMs, tag });
      const m = t.mem();
      await release(g);
      return { ...r, mem: m ? { rssKiB: m.rssKiB, peakKiB: m.peakKiB, parts: m.parts } : null };
    }
    case "saturation": {
      const g = await take();
      const r = await saturation(g, { ...cfg.sat, tag });
      await release(g);
      return r;
    }
    case "join":
      return join(t, step.n);
    default:
      throw new Error(`unknown scenario ${step.scenario}`);
  }
}

async function main() {
  const t0 = now();
  out(`bench: ${targets.map((t) => t.label).join(", ")} · ${plan.map((s) => s.scenario + (s.scenario === "fanout" ? ` ${s.n}` : "")).join(", ")}${opts.smoke ? " · smoke sizes" : ""}`);
  if (hasApp) {
    out(
      `app vars for the bench: ${Object.entries(appVars)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")} (wrangler.toml: MSG_RATE_PER_SEC=10, MSG_BURST=20, ROOM_MSG_RATE_PER_SEC=50, ROOM_MSG_BURST=100: raised so the senders are not refused)`,
    );
  }
  out("app and floor are reached through wrangler dev's proxy (as with npm start); Socket.IO directly.");
  for (const t of targets) {
    const ts = now();
    process.stdout.write(`starting ${t.label} … `);
    try {
      await t.start();
    } catch (e) {
      out("failed");
      throw new Error(`${t.label} did not start: ${e instanceof Error ? e.message : e}`);
    }
    const m = t.mem();
    startRss.set(t, m?.rssKiB ?? NaN);
    out(`${t.url || "(running)"} in ${((now() - ts) / 1000).toFixed(1)} s${m ? `, RSS ${fmt.mib(m.rssKiB)} MiB` : ""}`);
  }

  for (const [si, step] of plan.entries()) {
    // Repeated scenarios take turns (app, floor, socket.io, app, …) so that a burst of
    // load on the machine hits one round, not one target; each target's median round is shown.
    const by = MEDIAN_BY[step.scenario];
    const rounds = roundsOf(step);
    /** @type {any[][]} */
    const runs = targets.map(() => []);
    for (let k = 0; k < rounds; k++) {
      for (const [ti, t] of targets.entries()) {
        try {
          runs[ti]?.push(await runStep(step, si, t, k, rounds));
        } catch (e) {
          couldNotMeasure = true;
          runs[ti]?.push({ error: e instanceof Error ? e.message : String(e) });
        }
      }
    }
    const res = runs.map((list) => (by ? median(list, by) : list[0]));
    results.push(res);
    printStep(step, res);
    if (rounds > 1) {
      out(
        `  ${rounds} rounds, the median shown; by round (${by.label}): ` +
          runs.map((list, i) => `${labels[i]} ${list.map((r) => (r.error ? "error" : fmt.ms(by.key(r)))).join(", ")}`).join(" · "),
      );
    }
    for (const [i, r] of res.entries()) jsonLine({ scenario: step.scenario, n: step.n, target: targets[i]?.name, ...r });
  }
  for (const g of kept.values()) await closeGroup(g);
  kept.clear();

  printSummary();
  const app = targets.find((t) => t.name === "app");
  if (app?.setup?.guests) {
    out(
      `app setup over HTTP (not measured above): ${app.setup.guests} guest sessions in ${fmt.s(app.setup.guestsMs / 1000)} s, ` +
        `${app.setup.joins} room joins in ${fmt.s(app.setup.joinsMs / 1000)} s`,
    );
  }
  const self = memOf(process.pid);
  out(`bench client: peak RSS ${fmt.mib(self.peakKiB)} MiB · whole run ${((now() - t0) / 1000).toFixed(0)} s · ${new Date().toISOString()}`);
}

/** The figures that matter, side by side, with the ratios. */
function printSummary() {
  out();
  out("summary (absolute numbers drift between days; compare the ratios)");
  header();
  const summaryJson = [];
  for (const [si, step] of plan.entries()) {
    const res = results[si] ?? [];
    const ok = (r) => r && !r.error;
    const line = (label, f, text = (x) => fmt.ms(x)) => {
      const nums = res.map((r) => (ok(r) ? f(r) : NaN));
      row(label, nums.map((x) => (Number.isFinite(x) ? text(x) : "–")), (i) => nums[i] ?? NaN);
      const ai = targets.findIndex((t) => t.name === "app");
      summaryJson.push({
        scenario: step.scenario,
        n: step.n,
        metric: label.trim(),
        ...Object.fromEntries(targets.map((t, i) => [t.name, Number.isFinite(nums[i]) ? nums[i] : null])),
        ...(ai >= 0
          ? Object.fromEntries(
              refs.map((r) => {
                const b = nums[targets.indexOf(r)];
                const a = nums[ai];
                return [`app/${r.name}`, Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : null];
              }),
            )
          : {}),
      });
    };
    if (step.scenario === "fanout") {
      line(`fanout ${step.n}: p50 ms`, (r) => r.latencyMs.p50);
      line(`fanout ${step.n}: p99 ms`, (r) => r.latencyMs.p99);
      line(`fanout ${step.n}: max ms`, (r) => r.latencyMs.max);
      line(`fanout ${step.n}: lost`, (r) => r.lost, fmt.int);
      line(`fanout ${step.n}: deliv./s`, (r) => r.deliveriesPerSec, fmt.int);
    } else if (step.scenario === "join") {
      line(`join ${step.n}: all in s`, (r) => (r.connected === r.members ? r.allConnectedMs / 1000 : NaN), (x) => x.toFixed(2));
      line(`join ${step.n}: upgrade p99`, (r) => r.upgradeMs.p99);
    } else if (step.scenario === "saturation") {
      line(`saturation ${step.n}: msg/s`, (r) => r.lastGood?.totalRate ?? NaN, fmt.int);
      line(`saturation ${step.n}: deliv./s`, (r) => r.lastGood?.deliveriesPerSec ?? NaN, fmt.int);
    } else if (step.scenario === "memory") {
      line(`memory ${step.n}: RSS MiB`, (r) => r.rssKiB ?? NaN, fmt.mib);
      line(`memory ${step.n}: sockets MiB`, (r) => r.deltaKiB ?? NaN, fmt.mib);
    }
  }
  jsonLine({ summary: summaryJson });
}

try {
  await main();
} catch (e) {
  couldNotMeasure = true;
  console.error(`\nbench failed: ${e instanceof Error ? e.message : e}`);
  for (const t of targets) {
    const o = t.output();
    if (o) console.error(`--- last output of ${t.label} ---\n${o.split("\n").slice(-30).join("\n")}`);
  }
}
await stopAll();
clearTimeout(watchdog);
process.exit(couldNotMeasure ? 1 : 0);
