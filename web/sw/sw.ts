/**
 * The service worker (served at /sw.js, scope "/"; built by scripts/build-web.mjs as its own
 * bundle). Web Push with the tab closed: `push` shows the room's notification (one per room:
 * `tag`), unless a visible tab of the app shows that room already; `notificationclick` focuses
 * a tab of the app and opens the room there, or opens a new one.
 *
 * It caches nothing yet: serving the app shell offline (issue 10, item 4) comes with the manifest.
 */
import * as v from "valibot";
import { PushPayload } from "../../worker/protocol/notify";
import { notificationIcon } from "../state/notify-icon";

declare const self: ServiceWorkerGlobalScope;

/** What a notification carries for its click. */
const NotificationData = v.object({ url: v.string() });

self.addEventListener("install", () => void self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

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
