/**
 * Notifications in the page (issue 10, items 1–3), loaded after the shell shows (a part of
 * its own: web/ui/Notifications.tsx). One notifier per signed-in user:
 *
 * - a system notification for a new message in a room that is not in front (the sidebar's
 *   `activity` news), per the room's level (worker/protocol/notify.ts), grouped per room
 *   (`tag`); a click focuses the tab and opens the room; a short tone (WebAudio), switchable;
 * - the unread count drawn on the favicon (the title has it already: app.setUnread);
 * - the prompt: offered only once the person has sent a message or opened a second room,
 *   never on first load; "Enable" asks the browser, then registers the service worker
 *   (/sw.js) and subscribes to Web Push, so that messages reach them with the tab closed;
 * - the service worker's "open this room" (after a click on a push notification).
 */
import { effect, signal, type ReadonlySignal } from "@preact/signals";
import { PushKeyResponse, PushSubscriptionResponse, preview, shouldNotify, type Me, type RoomSummary } from "../../worker/protocol";
import { call } from "../api";
import type { AppModel } from "./app";
import { notificationIcon } from "./notify-icon";
import { isMuted, type SidebarStore } from "./sidebar";

export type Notifier = ReturnType<typeof createNotifier>;

const KEY = { on: "notify:on", sound: "notify:sound", dismissed: "notify:dismissed", sub: "notify:sub" };
const read = (k: string) => {
  try {
    return localStorage.getItem(k);
  } catch {
    return null;
  }
};
const write = (k: string, value: string | null) => {
  try {
    if (value === null) localStorage.removeItem(k);
    else localStorage.setItem(k, value);
  } catch {
    // private mode: the choice lasts for this page
  }
};

const supported = () => typeof Notification !== "undefined";
const permission = () => (supported() ? Notification.permission : "denied");

export function createNotifier(app: AppModel, sidebar: SidebarStore, user: Me) {
  const enabled = signal(read(KEY.on) === "1" && permission() === "granted");
  const sound = signal(read(KEY.sound) !== "0");
  /** The in-app prompt is showing. */
  const prompt = signal(false);
  const opened = new Set<string>();
  let audio: AudioContext | null = null;

  function maybePrompt() {
    // Granted already (another visit, the browser's settings) still asks here: the app only notifies once turned on.
    if (!enabled.peek() && supported() && permission() !== "denied" && read(KEY.dismissed) !== "1") prompt.value = true;
  }

  function onNews(r: RoomSummary, viewing: boolean, mentioned: boolean) {
    const m = r.lastMessage;
    if (!m) return;
    if (m.uid === user.id) return maybePrompt();
    if (viewing || m.deleted) return;
    const level = isMuted(r) ? "none" : (r.notify ?? (r.kind === "dm" ? "all" : "mentions"));
    if (!shouldNotify({ uid: m.uid, text: m.text, ...(mentioned ? { mentions: [user.id] } : {}) }, user.id, r.kind, level)) return;
    if (sound.peek()) beep();
    if (!enabled.peek() || permission() !== "granted") return;
    const text = preview(m.text, m.files ?? 0);
    const url = `/r/${encodeURIComponent(r.id)}`;
    const options = { body: r.kind === "dm" ? text : `${m.name}: ${text}`, tag: r.id, icon: notificationIcon(m.name, r.id), data: { url } };
    let n: Notification;
    try {
      n = new Notification(r.name, options);
    } catch {
      // Where pages may not construct one (Android), the service worker shows it; its click opens the room.
      void navigator.serviceWorker?.getRegistration().then((reg) => reg?.showNotification(r.name, options));
      return;
    }
    n.onclick = () => {
      window.focus();
      app.navigate(url);
      n.close();
    };
  }

  /** A short two-note tone, made here (no audio file). Browsers allow it after the first click on the page. */
  function beep() {
    try {
      audio ??= new AudioContext();
      const t = audio.currentTime;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.setValueAtTime(880, t);
      osc.frequency.setValueAtTime(660, t + 0.09);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.22);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.24);
    } catch {
      // no audio here: the notification is enough
    }
  }

  async function subscribePush(): Promise<void> {
    if (!("serviceWorker" in navigator) || typeof PushManager === "undefined") return;
    const reg = await navigator.serviceWorker.register("/sw.js");
    const key = await call("GET", "/api/push/key", PushKeyResponse);
    if (!key.ok || !key.data.publicKey) return;
    await navigator.serviceWorker.ready;
    const sub = (await reg.pushManager.getSubscription()) ?? (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key.data.publicKey }));
    const r = await call("POST", "/api/push/subscriptions", PushSubscriptionResponse, sub.toJSON());
    if (r.ok) write(KEY.sub, r.data.id);
  }

  const pushFailed = (e: unknown) => console.warn("Notifications: Web Push is not available here", e);

  async function enable(): Promise<void> {
    prompt.value = false;
    if (!supported()) return;
    const p = permission() === "granted" ? "granted" : await Notification.requestPermission();
    if (p !== "granted") return write(KEY.dismissed, "1");
    write(KEY.on, "1");
    enabled.value = true;
    await subscribePush().catch(pushFailed);
  }

  async function disable(): Promise<void> {
    write(KEY.on, null);
    enabled.value = false;
    const id = read(KEY.sub);
    write(KEY.sub, null);
    if (id) await call("DELETE", `/api/push/subscriptions/${encodeURIComponent(id)}`, null);
    const reg = await navigator.serviceWorker?.getRegistration();
    await (await reg?.pushManager.getSubscription())?.unsubscribe();
  }

  const onWorkerMessage = (e: MessageEvent) => {
    const d: unknown = e.data;
    if (typeof d === "object" && d !== null && "type" in d && d.type === "open" && "url" in d && typeof d.url === "string" && d.url.startsWith("/r/")) {
      app.navigate(d.url);
    }
  };
  navigator.serviceWorker?.addEventListener("message", onWorkerMessage);
  if (enabled.peek()) subscribePush().catch(pushFailed);

  const stops = [
    sidebar.onNews(onNews),
    effect(() => {
      const route = app.route.value;
      if (route.name !== "room") return;
      opened.add(route.id);
      if (opened.size >= 2) maybePrompt();
    }),
    effect(() => drawFavicon(sidebar.totalUnread.value)),
  ];

  return {
    enabled: enabled as ReadonlySignal<boolean>,
    sound: sound as ReadonlySignal<boolean>,
    prompt: prompt as ReadonlySignal<boolean>,
    enable,
    disable,
    dismiss() {
      prompt.value = false;
      write(KEY.dismissed, "1");
    },
    toggleSound() {
      sound.value = !sound.peek();
      write(KEY.sound, sound.peek() ? null : "0");
    },
    dispose() {
      stops.forEach((stop) => stop());
      navigator.serviceWorker?.removeEventListener("message", onWorkerMessage);
      drawFavicon(0);
      void audio?.close();
    },
  };
}

let plainIcon: string | null = null;

/** The page's icon with the unread count on it (the plain icon at 0). */
function drawFavicon(count: number) {
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) return;
  plainIcon ??= link.href;
  if (count === 0) {
    link.href = plainIcon;
    delete link.dataset.unread;
    return;
  }
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const g = canvas.getContext("2d");
  if (!g) return;
  const img = new Image();
  img.onload = () => {
    g.drawImage(img, 0, 0, 64, 64);
    g.fillStyle = "#dc2626";
    g.beginPath();
    g.arc(44, 20, 20, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = "#fff";
    g.font = "bold 26px system-ui, sans-serif";
    g.textAlign = "center";
    g.textBaseline = "middle";
    g.fillText(count > 99 ? "99" : String(count), 44, 21);
    link.href = canvas.toDataURL("image/png");
    link.dataset.unread = String(count);
  };
  img.src = plainIcon;
}
