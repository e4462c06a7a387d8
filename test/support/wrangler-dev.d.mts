/** Types for wrangler-dev.mjs (plain ESM so that node scripts can import it too). */

export interface StartDevOptions {
  /** Port to listen on; 0 (default) lets wrangler pick a free one, read from its ready line. */
  port?: number;
  /** Local state directory (D1, DO storage). Default: a fresh temp dir, removed by stop(). */
  persistTo?: string;
  /** Extra `--var KEY:VALUE` overrides of wrangler.toml [vars], e.g. `{ MSG_RATE_PER_SEC: "1000" }`. */
  vars?: Record<string, string>;
  /** Project root holding wrangler.toml and node_modules. Default: this repository. */
  root?: string;
  /** A wrangler config other than `<root>/wrangler.toml` (relative to root). */
  config?: string;
  /** Bound on waiting for wrangler's "Ready on" line (includes the web build). Default 120 s. */
  readyTimeoutMs?: number;
  /** Bound on polling the health path for a 200 after ready. Default 30 s. */
  healthTimeoutMs?: number;
  /** Default "/api/health". */
  healthPath?: string;
  /** Apply D1 migrations to the state dir first. Default true. */
  migrate?: boolean;
  /** Echo wrangler's output to stderr (also on with WRANGLER_DEV_LOG=1). */
  log?: boolean;
}

export interface WorkerdPeak {
  pid: number;
  /** "worker" runs the app; "proxy" is wrangler's proxy in front of it. */
  role: "worker" | "proxy";
  /** VmHWM: peak resident set size, KiB. */
  peakKiB: number;
  /** VmRSS now, KiB. */
  rssKiB: number;
}

export interface DevServer {
  /** e.g. "http://127.0.0.1:41631" (no trailing slash). */
  url: string;
  port: number;
  /** pid of the wrangler process; also its process group id. */
  pid: number;
  /** The state directory in use. */
  persistTo: string;
  /** Kills the whole process group (SIGTERM, then SIGKILL), waits, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Sum of the peak RSS (VmHWM) of the workerd processes under this wrangler, KiB. After stop(): the last reading. */
  peakRssKiB(): number;
  /** Per-process breakdown of peakRssKiB(). */
  workerdPeaks(): WorkerdPeak[];
  /** The last lines wrangler printed (for failure messages). */
  output(): string;
}

export const PROJECT_ROOT: string;
export const CHROMIUM_ARGS: readonly string[];
export function findChromium(): string | null;
export function startDev(options?: StartDevOptions): Promise<DevServer>;
