import { effect, useSignal } from "@preact/signals";
import { useEffect, useMemo } from "preact/hooks";
import type { Me } from "../../worker/protocol";
import type { Route } from "../state/app";
import { pageCalls } from "../state/call";
import { createSidebarStore } from "../state/sidebar";
import { HeldCall, RingingElsewhere, callBasics } from "./calls/code";
import { useApp } from "./context";
import { ChatIcon } from "./Icons";
import { lazyComponent } from "./Lazy";
import { RoomPage } from "./RoomPage";
import { notifyPart } from "./notify-part";
import { lazy, loadFailed } from "../state/lazy";
import type { Notifier } from "../state/notify";

/** The switcher (search) loads when it first opens: only the key that opens it is here. */
const switcherPart = lazy(() => import("./search/Switcher"));
const Switcher = lazyComponent(switcherPart, (m) => m.Switcher);

/**
 * The sidebar's UI loads on demand, asked for at the shell's first render: showing a room and
 * sending in it do not need it, and its list waits for its own fetch (`GET /api/rooms`)
 * anyway. Meanwhile an empty sidebar holds its place, so nothing moves when it comes.
 */
const Sidebar = lazyComponent(
  lazy(() => import("./Sidebar")),
  (m) => m.Sidebar,
  () => <aside class="sidebar" aria-label="Sidebar" aria-busy="true" />,
);

/**
 * The signed-in app: the sidebar beside the open conversation. On phones only one of
 * the two shows: the list at "/", the room (with a back button) at "/r/<id>".
 * One sidebar store (and user socket) per signed-in user.
 */
export function Shell({ user, route }: { user: Me; route: Extract<Route, { name: "home" | "room" }> }) {
  const app = useApp();
  // The page's calls (rings, the one-call lock, the held call) hear the user channel's rings.
  // Their code comes in a small chunk fetched now (state/call/page.ts); rings wait for it.
  const calls = useMemo(() => pageCalls(callBasics), [user.id]);
  const sidebar = useMemo(
    () =>
      createSidebarStore(user, {
        onSessionLost: app.sessionLost,
        onRing: calls.receive,
        onReconnect: calls.reset,
        // Opened offline: the server is reachable again, so confirm who is signed in.
        onOpen: () => void (app.offline.peek() && app.checkSession()),
      }),
    [user.id],
  );
  useEffect(() => () => calls.dispose(), [calls]);
  const searching = useSignal(false);
  // The browser is offline, or the app opened without reaching the server (and has not since).
  const offline = app.offline.value || !app.online.value;
  // Ctrl+K (⌘K on a Mac) opens the switcher from anywhere in the app, the composer included.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        searching.value = true;
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  // Notifications load once the shell shows: nothing of them is needed to open a room.
  const notifier = useSignal<Notifier | null>(null);
  useEffect(() => {
    let n: Notifier | null = null;
    let live = true;
    notifyPart.load().then((m) => {
      if (live) notifier.value = n = m.createNotifier(app, sidebar, user);
    }, loadFailed);
    return () => {
      live = false;
      n?.dispose();
      notifier.value = null;
    };
  }, [sidebar]);
  useEffect(() => {
    const stops = [
      effect(() => app.setUnread(sidebar.totalUnread.value)),
      // A guest saved their account: a new session token, which the user channel must carry.
      app.onSessionChanged(() => sidebar.reconnect()),
    ];
    return () => {
      stops.forEach((stop) => stop());
      app.setUnread(0);
      sidebar.dispose();
    };
  }, [sidebar]);

  const page = calls.calls.value;
  return (
    <div class="app-frame">
      {offline && <OfflineBar saved={app.offline.value} />}
      <div class={route.name === "room" ? "shell in-room" : "shell at-home"}>
        {page && <HeldCall holder={page.holder} />}
        {page && <RingingElsewhere rings={page.rings} currentId={route.name === "room" ? route.id : null} />}
        <Sidebar
          store={sidebar}
          currentId={route.name === "room" ? route.id : null}
          notifier={notifier.value}
          onSearch={() => (searching.value = true)}
          onSearchHint={() => switcherPart.load()}
        />
        {searching.value && <Switcher rooms={sidebar.rooms} onClose={() => (searching.value = false)} />}
        <main class="main">
          {route.name === "room" ? (
            // Keyed by id: a different room gets a fresh store and socket.
            <RoomPage key={route.id} id={route.id} user={user} sidebar={sidebar} calls={calls} />
          ) : (
            <Welcome name={user.name} />
          )}
        </main>
      </div>
    </div>
  );
}

/** `saved`: the app opened without the server, from what the device kept. */
function OfflineBar({ saved }: { saved: boolean }) {
  return (
    <p class="offline-bar" role="status">
      {saved ? "You're offline — showing what this device saved. Messages will send when you're back." : "You're offline — messages will send when you're back."}
    </p>
  );
}

function Welcome({ name }: { name: string }) {
  const app = useApp();
  useEffect(() => app.setTitle("Chat"), []);
  return (
    <div class="pane-message">
      <div class="welcome">
        <div class="brand" aria-hidden="true">
          <ChatIcon />
        </div>
        <h1>Welcome, {name}</h1>
        <p class="muted">Pick a conversation, or start one: a room for a group (invite people with its link), or a direct message to someone's username.</p>
      </div>
    </div>
  );
}
