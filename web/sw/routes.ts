/**
 * What the service worker does with a request (pure, so that the rules are tested without a
 * worker): the app's files are served from its cache, a page load tries the network and falls
 * back to the cached shell, and everything else is none of its business. Each build caches in
 * a cache of its own, and the worker of a new build deletes the older ones.
 */
export type Strategy =
  /** The network, or the cached shell (index.html) when it fails: the app opens offline. */
  | "network-first"
  /** The cache, else the network (the precached shell and content-hashed /assets/*). */
  | "cache-first"
  /** Not handled: the browser fetches it as if there were no service worker. */
  | "pass";

/** The parts of a Request the routing reads. */
export interface RequestInfo {
  method: string;
  url: string;
  mode: string;
}

/** Never from a cache: the API (sockets included) and the worker's own script. */
const NEVER = /^\/(api(\/|$)|sw\.js$)/;

export function strategyFor(req: RequestInfo, origin: string, precached: ReadonlySet<string>): Strategy {
  if (req.method !== "GET") return "pass";
  const url = new URL(req.url);
  if (url.origin !== origin || NEVER.test(url.pathname)) return "pass";
  if (req.mode === "navigate") return "network-first";
  if (precached.has(url.pathname) || (url.pathname.startsWith("/assets/") && !url.pathname.endsWith(".map"))) return "cache-first";
  return "pass";
}

/** The cache of the build whose precache list hashes to `version`. */
export const cacheName = (version: string) => `shell-${version}`;

/** The caches that `activate` deletes: earlier builds' shells, nothing else on the origin. */
export const staleCaches = (names: readonly string[], current: string) => names.filter((n) => n.startsWith("shell-") && n !== current);
