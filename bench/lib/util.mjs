/** Small helpers shared by the bench's targets and scenarios. Linux only (/proc). */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.now();

/** Nearest-rank percentile of a sorted array. */
export function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** p50/p90/p99/max of a list of numbers (sorted in place). */
export function summary(list) {
  list.sort((a, b) => a - b);
  return { n: list.length, p50: pct(list, 50), p90: pct(list, 90), p99: pct(list, 99), max: list.at(-1) ?? NaN };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool(items, limit, fn) {
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

/** Rejects with `what` after `ms` unless `p` settles first. */
export function within(p, ms, what) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${what}: not done within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** CPU seconds (user + system) used so far by a process, from /proc; null if gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** Sum of CPU seconds of these pids (the ones still alive). */
export function cpuOf(pids) {
  let s = 0;
  for (const p of pids) s += cpuSeconds(p) ?? 0;
  return s;
}

/** VmRSS and VmHWM (peak) of a process, KiB; zeros if it is gone. */
export function memOf(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field) => Number(st.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
    return { rssKiB: kib("VmRSS"), peakKiB: kib("VmHWM") };
  } catch {
    return { rssKiB: 0, peakKiB: 0 };
  }
}

/**
 * Waits (bounded) until these processes are quiet: less than `busy` CPU seconds per
 * second over a `stepMs` window, so that one target's leftover work (closing sockets,
 * a flush) does not run into the next target's measurement. Returns the ms waited.
 */
export async function quiesce(pids, { maxMs = 15_000, stepMs = 500, busy = 0.1 } = {}) {
  const t0 = now();
  let c0 = cpuOf(pids);
  while (now() - t0 < maxMs) {
    await sleep(stepMs);
    const c1 = cpuOf(pids);
    if ((c1 - c0) / (stepMs / 1000) < busy) break;
    c0 = c1;
  }
  return now() - t0;
}

/** Formatting. */
export const fmt = {
  ms: (x) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : "n/a"),
  mib: (kib) => (Number.isFinite(kib) ? (kib / 1024).toFixed(1) : "n/a"),
  int: (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "n/a"),
  s: (x) => (Number.isFinite(x) ? x.toFixed(1) : "n/a"),
};
