/**
 * Runs the app under `wrangler dev` (workerd) for browser tests and benchmarks.
 *
 * Plain ESM so that both vitest (TS) and `node bench/*.mjs` can import it; types are in
 * `wrangler-dev.d.mts` beside this file. Everything is bounded: every wait has a timeout,
 * and the server is started in its own process group so that `stop()` takes wrangler, its
 * esbuild service and both workerd processes down together.
 *
 * Usage:
 *   const dev = await startDev();             // fresh D1/DO state in a temp dir
 *   await fetch(`${dev.url}/api/health`);
 *   console.log(dev.peakRssKiB());
 *   await dev.stop();
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in test/support/). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Flags for the Debian `chromium` package in a closed network: no sandbox (we run as
 * root in CI), and nothing that tries to phone home at startup.
 */
export const CHROMIUM_ARGS = Object.freeze([
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
]);

/**
 * Path of a usable Chromium: `CHROMIUM_PATH` if set, else `/usr/bin/chromium`; null if
 * the file does not exist (callers decide whether that is a skip or, under CI, a failure).
 * @returns {string | null}
 */
export function findChromium() {
  const p = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  return existsSync(p) ? p : null;
}

const READY_RE = /Ready on (https?:\/\/[^\s]+)/;
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;]*[A-Za-z]/g;
const MIN_NODE = [22, 12];

/**
 * wrangler ≥ 4.87 needs Node ≥ 22.12, but the machine's Node may be 20: prefer the pinned
 * `node` devDependency (node_modules/.bin/node), fall back to the running Node if it is
 * new enough.
 */
function nodeBinary(root) {
  const pinned = join(root, "node_modules", ".bin", "node");
  if (existsSync(pinned)) return pinned;
  const [maj = 0, min = 0] = process.versions.node.split(".").map(Number);
  if (maj > MIN_NODE[0] || (maj === MIN_NODE[0] && min >= MIN_NODE[1])) return process.execPath;
  throw new Error(`wrangler needs Node >= ${MIN_NODE.join(".")}; run \`npm ci\` to get node_modules/.bin/node`);
}

function wranglerCli(root) {
  const cli = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  if (!existsSync(cli)) throw new Error(`wrangler is not installed at ${cli}: run \`npm ci\``);
  return cli;
}

/**
 * Environment for wrangler children. Offline here, so turn off the two things that try
 * the network at startup: telemetry, and the `Request.cf` fetch (it would wait 3 s, then
 * warn and fall back to a placeholder anyway). No colours, so output is parseable.
 */
function childEnv(root, extra) {
  return {
    ...process.env,
    // wrangler's [build] command runs `node …` from PATH: make that the pinned Node.
    PATH: [join(root, "node_modules", ".bin"), process.env.PATH].filter(Boolean).join(delimiter),
    WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
    CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
    FORCE_COLOR: "0",
    NO_COLOR: "1",
    ...extra,
  };
}

/** Keeps the last `max` lines of a child's output for error messages. */
function tail(max = 80) {
  /** @type {string[]} */
  const lines = [];
  let partial = "";
  return {
    push(chunk) {
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop() ?? "";
      for (const l of parts) {
        lines.push(l);
        if (lines.length > max) lines.shift();
      }
    },
    text: () => [...lines, partial].join("\n"),
  };
}

/**
 * Runs a wrangler command to completion (bounded). Resolves with its output; rejects with
 * that output if it fails or outlives `timeoutMs`.
 */
function runWrangler(args, { root, timeoutMs, env }) {
  return new Promise((res, rej) => {
    const child = spawn(nodeBinary(root), [wranglerCli(root), ...args], {
      cwd: root,
      env: childEnv(root, { CI: "true", ...env }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const out = tail(200);
    child.stdout.setEncoding("utf8").on("data", (d) => out.push(d));
    child.stderr.setEncoding("utf8").on("data", (d) => out.push(d));
    const timer = setTimeout(() => {
      killGroup(child.pid, "SIGKILL");
      rej(new Error(`wrangler ${args.join(" ")} timed out after ${timeoutMs} ms:\n${out.text()}`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) res(out.text().replace(ANSI_RE, ""));
      else rej(new Error(`wrangler ${args.join(" ")} exited with ${code ?? signal}:\n${out.text()}`));
    });
  });
}

/** Sends `signal` to a whole process group; false if the group is gone. */
function killGroup(pgid, signal) {
  if (!pgid) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pgid) {
  return killGroup(pgid, 0);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Parent pid of every process, from /proc (Linux only). */
function processTable() {
  /** @type {{ pid: number, ppid: number, comm: string }[]} */
  const rows = [];
  let entries = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return rows;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      // "pid (comm) state ppid …": comm may contain spaces and parens, so split at the last ')'.
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      rows.push({ pid: Number(e), ppid, comm });
    } catch {
      // the process exited while we looked
    }
  }
  return rows;
}

/** Descendants of `root` (not including it). */
function descendants(rootPid) {
  const table = processTable();
  const kids = new Map();
  for (const r of table) {
    if (!kids.has(r.ppid)) kids.set(r.ppid, []);
    kids.get(r.ppid).push(r);
  }
  const out = [];
  const stack = [rootPid];
  while (stack.length) {
    const p = /** @type {number} */ (stack.pop());
    for (const c of kids.get(p) ?? []) {
      out.push(c);
      stack.push(c.pid);
    }
  }
  return out;
}

function statusKiB(pid, field) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Starts `wrangler dev` on 127.0.0.1 with its own local state, and waits until
 * `GET /api/health` answers 200.
 *
 * @param {import("./wrangler-dev.d.mts").StartDevOptions} [options]
 * @returns {Promise<import("./wrangler-dev.d.mts").DevServer>}
 */
export async function startDev(options = {}) {
  const {
    port = 0,
    persistTo,
    vars = {},
    root = PROJECT_ROOT,
    config,
    readyTimeoutMs = 120_000,
    healthTimeoutMs = 30_000,
    healthPath = "/api/health",
    migrate = true,
    log = process.env.WRANGLER_DEV_LOG === "1",
  } = options;

  const ownDir = persistTo === undefined;
  const dir = ownDir ? mkdtempSync(join(tmpdir(), "chat-dev-")) : resolve(persistTo);
  const configArgs = config ? ["--config", resolve(root, config)] : [];
  const cleanupDir = () => {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    if (migrate) {
      // Non-interactive (CI=true, stdin closed): wrangler takes "yes" for the confirmation.
      await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir, ...configArgs], {
        root,
        timeoutMs: 60_000,
      });
    }
  } catch (e) {
    cleanupDir();
    throw e;
  }

  const args = [
    wranglerCli(root),
    "dev",
    ...configArgs,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    dir,
    // The devtools inspector defaults to 9229, or the next free port as seen at startup:
    // two servers starting at once both see 9229 free and one dies with "Address already
    // in use". Port 0 lets the OS choose.
    "--inspector-port",
    "0",
    "--show-interactive-dev-session=false",
  ];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);

  const child = spawn(nodeBinary(root), args, {
    cwd: root,
    env: childEnv(root, {}),
    // stdin closed: no hotkeys. ipc: wrangler also announces readiness as a message.
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    // Own process group, so stop() reaches workerd and esbuild too.
    detached: true,
  });
  const pid = /** @type {number} */ (child.pid);
  const out = tail(200);
  let exited = /** @type {null | { code: number | null, signal: string | null }} */ (null);
  const exitedP = new Promise((r) =>
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      r(undefined);
    }),
  );
  // If the test process dies without calling stop(), do not leave a server behind; and
  // do not let the server alone keep the test process alive.
  const onParentExit = () => {
    killGroup(pid, "SIGKILL");
    try {
      cleanupDir();
    } catch {
      // workerd may still hold files for a moment; the OS temp dir is cleaned eventually
    }
  };
  process.on("exit", onParentExit);
  child.unref();
  child.stdout?.unref();
  child.stderr?.unref();
  child.channel?.unref();

  let lastPeak = 0;
  const workerdPeaks = () => {
    const procs = descendants(pid).filter((p) => p.comm === "workerd");
    return procs.map((p) => ({
      pid: p.pid,
      // The user Worker's runtime is the one started with an inspector; the other one is
      // wrangler's proxy in front of it.
      role: /** @type {"worker" | "proxy"} */ (
        readFileSafe(`/proc/${p.pid}/cmdline`).includes("--inspector-addr") ? "worker" : "proxy"
      ),
      peakKiB: statusKiB(p.pid, "VmHWM") ?? 0,
      rssKiB: statusKiB(p.pid, "VmRSS") ?? 0,
    }));
  };
  const peakRssKiB = () => {
    if (exited) return lastPeak;
    const list = workerdPeaks();
    if (list.length) lastPeak = list.reduce((s, p) => s + p.peakKiB, 0);
    return lastPeak;
  };

  let stopping = /** @type {Promise<void> | null} */ (null);
  const stop = () =>
    (stopping ??= (async () => {
      peakRssKiB(); // last reading before the processes are gone
      process.off("exit", onParentExit);
      if (!exited) killGroup(pid, "SIGTERM");
      // wrangler tears workerd down on SIGTERM; give it a bounded moment, then force.
      const deadline = Date.now() + 8_000;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
      if (groupAlive(pid)) {
        killGroup(pid, "SIGKILL");
        const hard = Date.now() + 3_000;
        while (groupAlive(pid) && Date.now() < hard) await sleep(50);
      }
      await Promise.race([exitedP, sleep(1_000)]);
      if (child.connected) child.disconnect();
      cleanupDir();
    })());

  try {
    const url = await new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`wrangler dev was not ready within ${readyTimeoutMs} ms:\n${out.text()}`)),
        readyTimeoutMs,
      );
      const done = (/** @type {string} */ u) => {
        clearTimeout(timer);
        res(u.replace("localhost", "127.0.0.1").replace(/\/$/, ""));
      };
      const onData = (/** @type {string} */ d) => {
        out.push(d);
        if (log) process.stderr.write(d);
        const m = d.replace(ANSI_RE, "").match(READY_RE);
        if (m?.[1]) done(m[1]);
      };
      child.stdout?.setEncoding("utf8").on("data", onData);
      child.stderr?.setEncoding("utf8").on("data", onData);
      child.on("message", (msg) => {
        try {
          const m = typeof msg === "string" ? JSON.parse(msg) : msg;
          if (m?.event === "DEV_SERVER_READY" && m.port) done(`http://${m.ip}:${m.port}`);
        } catch {
          // not ours
        }
      });
      child.on("error", (e) => {
        clearTimeout(timer);
        rej(e);
      });
      exitedP.then(() => {
        clearTimeout(timer);
        rej(new Error(`wrangler dev exited (${exited?.code ?? exited?.signal}) before it was ready:\n${out.text()}`));
      });
    });

    // Ready means the proxy listens; the Worker may still be loading. Poll health.
    const deadline = Date.now() + healthTimeoutMs;
    let last = "no answer";
    for (;;) {
      if (exited) throw new Error(`wrangler dev exited while starting:\n${out.text()}`);
      try {
        const r = await fetch(url + healthPath, { signal: AbortSignal.timeout(5_000) });
        const body = await r.text();
        if (r.status === 200) break;
        last = `${r.status} ${body.slice(0, 300)}`;
      } catch (e) {
        last = String(/** @type {Error} */ (e).cause ?? e);
      }
      if (Date.now() > deadline) {
        throw new Error(`GET ${healthPath} did not answer 200 within ${healthTimeoutMs} ms (last: ${last}):\n${out.text()}`);
      }
      await sleep(200);
    }

    return {
      url: /** @type {string} */ (url),
      port: Number(new URL(/** @type {string} */ (url)).port),
      pid,
      persistTo: dir,
      stop,
      peakRssKiB,
      workerdPeaks,
      output: () => out.text(),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function readFileSafe(p) {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
}
