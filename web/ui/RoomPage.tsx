import type { ComponentChildren } from "preact";
import { effect, signal, untracked, useSignal } from "@preact/signals";
import { useEffect, useMemo } from "preact/hooks";
import { isRoomId, type Me } from "../../worker/protocol";
import { api, failureText } from "../api";
import { callRoom, createCallModel, type CallModel, type Calls } from "../state/call";
import { NOT_MEMBER, createRoomStore, type RoomProblem, type RoomStore } from "../state/room";
import type { SidebarStore } from "../state/sidebar";
import { useApp } from "./context";
import { Link } from "./Link";
import { RoomView } from "./RoomView";

type State =
  | { kind: "loading" }
  | { kind: "problem"; problem: RoomProblem }
  | { kind: "error"; message: string }
  | { kind: "ready"; store: RoomStore; call: CallModel };

const NOT_FOUND: RoomProblem = { kind: "not_found", message: "This room doesn't exist, or its link is mistyped." };

/**
 * /r/<id> inside the app shell: loads the room over HTTP (members only), then opens its
 * store (and socket) for as long as the page shows it. While open it is the sidebar's
 * active room: it reports what has been seen (mark read) and refreshes its details when
 * the user's room list changes (renamed, removed…).
 */
export function RoomPage({ id, user, sidebar, calls }: { id: string; user: Me; sidebar: SidebarStore; calls: Calls }) {
  const app = useApp();
  const state = useSignal<State>(isRoomId(id) ? { kind: "loading" } : { kind: "problem", problem: NOT_FOUND });
  const attempt = useSignal(0);

  useEffect(() => {
    if (!isRoomId(id)) return;
    let store: RoomStore | null = null;
    let call: CallModel | null = null;
    let cancelled = false;
    // Back to the room whose call went on while we were elsewhere: the same stores.
    const kept = calls.holder.take(id);
    if (kept) {
      store = kept.room;
      call = kept.call;
      state.value = { kind: "ready", store, call };
    } else state.value = { kind: "loading" };
    if (!kept) void api.getRoom(id).then((r) => {
      if (cancelled) return;
      if (r.ok) {
        store = createRoomStore(r.data, user);
        call = createCallModel(callRoom(store), calls);
        state.value = { kind: "ready", store, call };
      } else if (r.status === 401) app.sessionLost();
      else if (r.status === 403) state.value = { kind: "problem", problem: { kind: "forbidden", message: NOT_MEMBER } };
      else if (r.status === 404) state.value = { kind: "problem", problem: NOT_FOUND };
      else state.value = { kind: "error", message: failureText(r) };
    });
    return () => {
      cancelled = true;
      // In its call, the room's stores stay alive off screen; otherwise they go (a call
      // being prepared is hung up first, while the socket is still open).
      if (store && call && calls.holder.keep(store, call)) return;
      call?.dispose();
      store?.dispose();
    };
  }, [id, attempt.value]);

  // Looked at = on screen in a visible tab. A hidden tab counts unread (the tab title shows it).
  const visible = useMemo(visibilitySignal, []);
  useEffect(() => {
    const stop = effect(() => sidebar.setActive(visible.value ? id : null));
    return () => {
      stop();
      visible.dispose();
      sidebar.setActive(null);
    };
  }, [id]);

  const s = state.value;
  const store = s.kind === "ready" ? s.store : null;

  useEffect(() => {
    if (!store) return;
    let seenChanges = sidebar.roomsChanged.peek();
    let seenSession = app.sessionEpoch.peek();
    const stops = [
      // Seen = on screen in a visible tab: the newest message we show is read.
      effect(() => {
        const last = store.messages.value[store.messages.value.length - 1];
        if (store.ready.value && last && visible.value) untracked(() => sidebar.markRead(id, last.seq));
      }),
      // Our room list changed: this room may have been renamed or re-topiced.
      effect(() => {
        const n = sidebar.roomsChanged.value;
        if (n !== seenChanges) {
          seenChanges = n;
          untracked(() => void store.refresh());
        }
      }),
      // A new session for the same person (a guest saved their account, or another tab
      // logged in again): redial with it, or start over if the old one's end stopped us.
      effect(() => {
        const n = app.sessionEpoch.value;
        if (n !== seenSession) {
          seenSession = n;
          untracked(() => (store.problem.value?.kind === "unauthorized" ? attempt.value++ : store.reconnectNow()));
        }
      }),
      // Removed, deleted or signed out while open.
      effect(() => {
        const p = store.problem.value;
        untracked(() => {
          if (p?.kind === "unauthorized") app.sessionLost();
          else if (p?.kind === "removed" || p?.kind === "deleted") sidebar.forget(id);
        });
      }),
    ];
    return () => stops.forEach((stop) => stop());
  }, [store]);

  const name = store?.room.value.name;
  // Ringing: the tab says so (a background tab is where a call is most easily missed).
  const caller = s.kind === "ready" ? s.call.incoming.value?.caller.name : undefined;
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

/** document.visibilityState as a signal, with a dispose that stops listening. */
function visibilitySignal() {
  const visible = signal(document.visibilityState === "visible");
  const on = () => (visible.value = document.visibilityState === "visible");
  document.addEventListener("visibilitychange", on);
  return Object.assign(visible, { dispose: () => document.removeEventListener("visibilitychange", on) });
}
