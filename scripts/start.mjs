#!/usr/bin/env node
/**
 * `npm start`: run the whole app locally on workerd.
 *
 *   1. apply D1 migrations to the local database (.wrangler/state, wrangler's default);
 *   2. `wrangler dev --ip 127.0.0.1 --port $PORT` (default 8787), stdio inherited, so its
 *      hotkeys and logs work as usual; the [build] step in wrangler.toml bundles web/;
 *   3. print the URL once the server is ready; forward SIGINT/SIGTERM to wrangler and exit
 *      with its status.
 *
 * Extra arguments go to `wrangler dev`: `npm start -- --var MSG_RATE_PER_SEC:50`.
 *
 * Written for any Node ≥ 18 so that `node scripts/start.mjs` at least explains itself on
 * the machine's Node 20; wrangler itself always runs on the pinned node_modules/.bin/node.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
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
const url = `http://${host}:${port}`;
const child = spawn(
  node,
  [wrangler, "dev", "--ip", host, "--port", String(port), ...process.argv.slice(2)],
  // ipc: wrangler posts {"event":"DEV_SERVER_READY",ip,port} when it listens.
  { cwd: root, env, stdio: ["inherit", "inherit", "inherit", "ipc"] },
);

let announced = false;
function announce(actualUrl) {
  if (announced) return;
  announced = true;
  const line = `Chat is running at ${actualUrl}`;
  const bar = "─".repeat(line.length + 4);
  // A beat later, so the box lands below wrangler's own "Ready on" line.
  setTimeout(() => console.log(`\n┌${bar}┐\n│  ${line}  │\n└${bar}┘\n`), 150);
}
child.on("message", (msg) => {
  try {
    const m = typeof msg === "string" ? JSON.parse(msg) : msg;
    if (m && m.event === "DEV_SERVER_READY" && m.port) announce(`http://${host}:${m.port}`);
  } catch {
    // not a message for us
  }
});
// Fallback in case a wrangler version stops sending the IPC message: poll the port.
(async () => {
  for (let i = 0; i < 600 && !announced && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 500));
    try {
      await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
      announce(url);
    } catch {
      // not listening yet
    }
  }
})();

// 3. Signals: forward once; a second one, or 10 s of waiting, forces the issue.
let forwarded = 0;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    forwarded++;
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (forwarded === 1) {
      child.kill(sig);
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    } else {
      child.kill("SIGKILL");
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
