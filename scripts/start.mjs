#!/usr/bin/env node
/**
 * `npm start`: run the whole app locally on workerd.
 *
 *   1. apply D1 migrations to the local database (.wrangler/state, wrangler's default);
 *   2. `wrangler dev --ip 127.0.0.1 --port $PORT` (default 8787), stdio inherited, so its
 *      hotkeys and logs work as usual; the [build] step in wrangler.toml bundles web/;
 *   3. print the URL once GET /api/health answers; forward SIGINT/SIGTERM to wrangler and
 *      exit with its status.
 *
 * Extra arguments go to `wrangler dev`: `npm start -- --var MSG_RATE_PER_SEC:50`.
 *
 * Written for any Node ≥ 18 so that `node scripts/start.mjs` at least explains itself on
 * the machine's Node 20; wrangler itself always runs on the pinned node_modules/.bin/node.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const node = join(root, "node_modules", ".bin", "node");
const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const host = "127.0.0.1";
const port = Number(process.env.PORT || 8787);

if (!existsSync(node) || !existsSync(wrangler)) {
  console.error("Dependencies are missing: run `npm ci` (or `npm install`) first.");
  process.exit(1);
}
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}

// Offline-friendly defaults; an explicit setting in the environment wins.
const env = {
  ...process.env,
  // wrangler's [build] command runs `node …` from PATH: make that the pinned Node, also
  // when this script is started as `node scripts/start.mjs` outside npm.
  PATH: [join(root, "node_modules", ".bin"), process.env.PATH].filter(Boolean).join(delimiter),
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
  // The Request.cf fetch needs the internet; without it wrangler waits, then warns.
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
};

// 1. Migrations. With stdin closed and CI=true wrangler skips its confirmation prompt.
console.log("Applying D1 migrations to the local database (.wrangler/state)…");
const migrate = spawnSync(node, [wrangler, "d1", "migrations", "apply", "DB", "--local"], {
  cwd: root,
  env: { ...env, CI: "true" },
  stdio: ["ignore", "inherit", "inherit"],
  timeout: 120_000,
});
if (migrate.status !== 0) {
  console.error(`D1 migrations failed (${migrate.error?.message ?? `exit ${migrate.status ?? migrate.signal}`}).`);
  process.exit(migrate.status || 1);
}

// 2. The dev server. Not detached: it must stay in the terminal's foreground process
// group, or reading its hotkeys from the TTY would stop it (SIGTTIN).
const child = spawn(node, [wrangler, "dev", "--ip", host, "--port", String(port), ...process.argv.slice(2)], {
  cwd: root,
  env,
  // ipc: wrangler posts {"event":"DEV_SERVER_READY",ip,port} once *it* listens (a health
  // poll alone could be answered by some other server already holding the port).
  stdio: ["inherit", "inherit", "inherit", "ipc"],
});

let announced = false;
child.on("message", (msg) => {
  let m;
  try {
    m = typeof msg === "string" ? JSON.parse(msg) : msg;
  } catch {
    return;
  }
  if (announced || m?.event !== "DEV_SERVER_READY" || !m.port) return;
  announced = true;
  void announceWhenServing(`http://${host}:${m.port}`);
});

/**
 * wrangler's "ready" means its proxy listens; wait (bounded) until the Worker itself
 * answers, then print the URL where it cannot be missed.
 */
async function announceWhenServing(at) {
  for (let i = 0; i < 240 && child.exitCode === null && child.signalCode === null; i++) {
    try {
      const res = await fetch(`${at}/api/health`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) break;
    } catch {
      // still starting
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (child.exitCode !== null || child.signalCode !== null) return;
  const line = `Chat is running at ${at}`;
  const bar = "─".repeat(line.length + 4);
  console.log(`\n┌${bar}┐\n│  ${line}  │\n└${bar}┘\n`);
}

// 3. Signals: forward once; a second one, or 10 s of waiting, forces the issue.
/** pids under `pid` (wrangler's launcher → wrangler → workerd ×2, esbuild), from /proc. */
function descendants(pid) {
  const kids = new Map();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(e)]);
    } catch {
      // exited meanwhile
    }
  }
  const out = [];
  for (let todo = [pid]; todo.length; ) for (const k of kids.get(todo.pop()) ?? []) out.push(k), todo.push(k);
  return out;
}
function forceKill() {
  let pids = [];
  try {
    pids = descendants(child.pid);
  } catch {
    // no /proc: the launcher alone
  }
  for (const p of [child.pid, ...pids]) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
let forwarded = 0;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    forwarded++;
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (forwarded === 1) {
      child.kill(sig);
      setTimeout(forceKill, 10_000).unref();
    } else {
      forceKill();
    }
  });
}
child.on("error", (e) => {
  console.error(`Could not start wrangler: ${e.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal === "SIGINT" || signal === "SIGTERM" || (forwarded > 0 && code !== null)) process.exit(0);
  process.exit(code ?? 1);
});
