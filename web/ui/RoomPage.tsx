import type { ComponentChildren } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { isRoomId, type Me } from "../../worker/protocol";
import { api, failureText } from "../api";
import type { PageCalls, RoomCallSlot } from "../state/call";
import { NOT_MEMBER, createRoomStore, type RoomProblem, type RoomStore } from "../state/room";
import { loadRoom } from "../state/offline";
import type { SidebarStore } from "../state/sidebar";
import { useApp } from "./context";
import { Link } from "./Link";
import { prefetchMedia } from "./Media";
import { RoomView } from "./RoomView";

type State =
  | { kind: "loading" }
  | { kind: "problem"; problem: RoomProblem }
  | { kind: "error"; message: string }
  | { kind: "ready"; store: RoomStore; call: RoomCallSlot };

const NOT_FOUND: RoomProblem = { kind: "not_found", message: "This room doesn't exist, or its link is mistyped." };

/**
 * /r/<id> inside the app shell: loads the room over HTTP (members only), then opens its
 * store (and socket) for as long as the page shows it. The store, told it is shown, does
 * the rest with the sidebar and the app (active room, mark read, refresh, session, removal).
 */
export function RoomPage({ id, user, sidebar, calls }: { id: string; user: Me; sidebar: SidebarStore; calls: PageCalls }) {
  const app = useApp();
  const state = useSignal<State>(isRoomId(id) ? { kind: "loading" } : { kind: "problem", problem: NOT_FOUND });
  const attempt = useSignal(0);

  useEffect(() => {
    if (!isRoomId(id)) return;
    prefetchMedia();
    let store: RoomStore | null = null;
    let call: RoomCallSlot | null = null;
    let cancelled = false;
    // Back to the room whose call went on while we were elsewhere: the same stores.
    const kept = calls.take(id);
    if (kept) {
      store = kept.room;
      call = calls.forRoom(store, kept.call);
      state.value = { kind: "ready", store, call };
    } else state.value = { kind: "loading" };
    if (!kept) void api.getRoom(id).then((r) => {
      if (cancelled) return;
      // No answer (offline): the room as the device kept it, shown until its socket's welcome.
      const opened = r.ok ? { room: r.data, messages: undefined } : r.status === 0 ? loadRoom(user.id, id) : null;
      if (!opened) {
        if (r.ok) return;
        if (r.status === 401) app.sessionLost();
        else if (r.status === 403) state.value = { kind: "problem", problem: { kind: "forbidden", message: NOT_MEMBER } };
        else if (r.status === 404) state.value = { kind: "problem", problem: NOT_FOUND };
        else state.value = { kind: "error", message: failureText(r) };
        return;
      }
      store = createRoomStore(opened.room, user, { app, sidebar }, opened.messages);
      call = calls.forRoom(store);
      state.value = { kind: "ready", store, call };
    });
    return () => {
      cancelled = true;
      // In its call, the room's stores stay alive off screen; otherwise they go (a call
      // being prepared is hung up first, while the socket is still open).
      call?.dispose();
      const c = call?.call.peek() ?? null;
      if (store && calls.keep(store, c)) return;
      c?.dispose();
      store?.dispose();
    };
  }, [id, attempt.value]);

  const s = state.value;
  const store = s.kind === "ready" ? s.store : null;
  // Couldn't load it offline (nothing kept on this device): try again once the browser is back online.
  const online = app.online.value;
  useEffect(() => {
    if (online && state.peek().kind === "error") attempt.value++;
  }, [online]);

  // On screen: the room is the sidebar's active one and marks what it shows read (in a visible tab).
  useEffect(() => store?.show(), [store]);
  // Opened at a message (a search result), now or while already open.
  const target = app.target.value;
  useEffect(() => {
    const seq = store ? app.takeTarget(id) : null;
    if (store && seq !== null) void store.jumpTo(seq);
  }, [store, target]);

  const name = store?.room.value.name;
  // Ringing: the tab says so (a background tab is where a call is most easily missed).
  const caller = s.kind === "ready" ? s.call.call.value?.incoming.value?.caller.name : undefined;
  useEffect(() => {
    app.setTitle(caller ? `${caller} is calling… · Chat` : name ? `${name} · Chat` : "Chat");
  }, [name, caller]);

  if (s.kind === "loading") return <Centered busy>Loading…</Centered>;
  if (s.kind === "error") {
    return (
      <Gone title="Couldn't open this conversation" text={s.message}>
        <button type="button" class="button primary" onClick={() => attempt.value++}>
          Try again
        </button>
      </Gone>
    );
  }
  if (s.kind === "problem") return <ProblemPage problem={s.problem} />;
  const p = s.store.problem.value;
  if (p && p.kind !== "closed" && p.kind !== "unauthorized") return <ProblemPage problem={p} />;
  return (
    <RoomView
      store={s.store}
      call={s.call}
      sidebar={sidebar}
      onGone={() => {
        sidebar.forget(id);
        app.navigate("/", { replace: true });
      }}
    />
  );
}

function ProblemPage({ problem }: { problem: RoomProblem }) {
  switch (problem.kind) {
    case "removed":
    case "deleted":
      return <Gone title={problem.message} text="Its messages are no longer available to you." />;
    case "forbidden":
      return <Gone title="You can't open this room" text={problem.message} />;
    default:
      return <Gone title="Room not found" text={problem.message} />;
  }
}

/** A full-height message in the main pane, with the way back. */
function Gone(props: { title: string; text: string; children?: ComponentChildren }) {
  return (
    <div class="pane-message">
      <div class="card">
        <h1>{props.title}</h1>
        <p class="muted">{props.text}</p>
        <div class="card-actions">
          {props.children}
          <Link href="/" class="button">
            Back to conversations
          </Link>
        </div>
      </div>
    </div>
  );
}

function Centered(props: { children: ComponentChildren; busy?: boolean }) {
  return (
    <div class="pane-message" aria-busy={props.busy}>
      <p class="muted">{props.children}</p>
    </div>
  );
}
