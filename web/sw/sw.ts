/**
 * The service worker (served at /sw.js, scope "/"; built by scripts/build-web.mjs as its own
 * bundle). Web Push with the tab closed: `push` shows the room's notification (one per room:
 * `tag`), unless a visible tab of the app shows that room already; `notificationclick` focuses
 * a tab of the app and opens the room there, or opens a new one.
 *
 * The app opens offline: `install` caches the shell (index.html as "/", the entry, the chunks
 * it imports, every part loaded on demand, the stylesheet, the manifest and icons: the build's
 * list, `PRECACHE`) in a cache
 * named after that build (`CACHE_VERSION`, a hash of the list and its bytes); `activate`
 * deletes the caches of earlier builds. `fetch` routes by `strategyFor` (routes.ts): a page
 * load goes to the network and, when that fails, gets the cached shell (which then says it is
 * offline); the shell's files and content-hashed assets come from the cache; the API and its
 * sockets never do.
 */
import * as v from "valibot";
import { PushPayload } from "../../worker/protocol/notify";
import { notificationIcon } from "../state/notify-icon";
import { cacheName, staleCaches, strategyFor } from "./routes";

declare const self: ServiceWorkerGlobalScope;
/** Set by scripts/build-web.mjs (esbuild `define`). */
declare const PRECACHE: readonly string[];
declare const CACHE_VERSION: string;

const CACHE = cacheName(CACHE_VERSION);
const PRECACHED: ReadonlySet<string> = new Set(PRECACHE);

/** What a notification carries for its click. */
const NotificationData = v.object({ url: v.string() });

self.addEventListener("install", (e) => {
  // Revalidated, not from the HTTP cache: the shell must be this build's.
  e.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(PRECACHE.map((u) => new Request(u, { cache: "no-cache" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (e) => {
  e.waitUntil(
    (async () => {
      for (const name of staleCaches(await caches.keys(), CACHE)) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (e) => {
  const strategy = strategyFor(e.request, self.location.origin, PRECACHED);
  if (strategy === "network-first") e.respondWith(fetch(e.request).catch(() => cached("/")));
  else if (strategy === "cache-first") e.respondWith(cacheFirst(e.request));
});

async function cached(path: string): Promise<Response> {
  return (await (await caches.open(CACHE)).match(path)) ?? Response.error();
}

/** From the cache; a hashed asset not there yet (a part loaded on demand) is added when fetched. */
async function cacheFirst(req: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok && new URL(req.url).pathname.startsWith("/assets/")) await cache.put(req, res.clone());
  return res;
}

self.addEventListener("push", (e) => {
  let payload: PushPayload;
  try {
    payload = v.parse(PushPayload, e.data?.json());
  } catch {
    return;
  }
  e.waitUntil(show(payload));
});

async function show(p: PushPayload): Promise<void> {
  const url = `/r/${encodeURIComponent(p.roomId)}`;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  if (windows.some((w) => w.visibilityState === "visible" && new URL(w.url).pathname === url)) return;
  await self.registration.showNotification(p.title, {
    body: p.kind === "dm" ? p.text : `${p.sender}: ${p.text}`,
    tag: p.roomId,
    icon: notificationIcon(p.sender, p.roomId),
    data: { url },
    timestamp: p.ts,
  } as NotificationOptions);
}

self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const data = v.safeParse(NotificationData, e.notification.data);
  e.waitUntil(openRoom(data.success ? data.output.url : "/"));
});

/** Focuses a tab of the app and has it open `url` (client-side routing), else opens a new one. */
async function openRoom(url: string): Promise<void> {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const tab = windows.find((w) => w.focused) ?? windows[0];
  if (tab) {
    await tab.focus().catch(() => undefined);
    tab.postMessage({ type: "open", url });
    return;
  }
  await self.clients.openWindow(url);
}
