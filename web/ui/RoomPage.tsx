import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { isRoomId } from "../../worker/protocol";
import { api } from "../api";
import { createRoomStore, type RoomStore } from "../state/room";
import { useApp } from "./context";
import { NameForm } from "./NameForm";
import { NotFound } from "./NotFound";
import { RoomView } from "./RoomView";

type State =
  | { kind: "loading" }
  | { kind: "not_found" }
  | { kind: "error"; message: string }
  | { kind: "ready"; store: RoomStore };

/**
 * /r/<id>: makes sure there is a session (asking a guest for a name), joins the room
 * over HTTP, then opens the room's store (and socket) for as long as the page shows it.
 */
export function RoomPage({ id }: { id: string }) {
  const app = useApp();
  const user = app.session.value;
  const state = useSignal<State>(isRoomId(id) ? { kind: "loading" } : { kind: "not_found" });
  const attempt = useSignal(0);

  useEffect(() => {
    if (!user || !isRoomId(id)) return;
    let store: RoomStore | null = null;
    let cancelled = false;
    state.value = { kind: "loading" };
    void api.joinRoom(id).then((r) => {
      if (cancelled) return;
      if (r.ok) {
        store = createRoomStore(r.data.room, r.data.members, user);
        state.value = { kind: "ready", store };
      } else if (r.status === 404) state.value = { kind: "not_found" };
      else if (r.status === 401) app.sessionLost();
      else
        state.value = {
          kind: "error",
          message: r.status === 0 ? "Can't reach the server. Check your connection." : r.message,
        };
    });
    return () => {
      cancelled = true;
      store?.dispose();
    };
    // `user?.id`: a new identity means joining again; a renamed one does not.
  }, [id, user?.id, attempt.value]);

  const s = state.value;
  const lostSession = s.kind === "ready" && s.store.problem.value?.kind === "unauthorized";
  // The session ended under us (expired, signed out elsewhere): ask for a name again;
  // a new identity re-runs the join above.
  useEffect(() => {
    if (lostSession) app.sessionLost();
  }, [lostSession]);

  if (s.kind === "not_found") return <RoomNotFound />;
  if (user === null) return <NameForm />;
  if (user === undefined && app.sessionError.value) return <ErrorPage message={app.sessionError.value} retry={app.checkSession} />;
  if (s.kind === "error") return <ErrorPage message={s.message} retry={() => attempt.value++} />;
  if (s.kind === "loading" || !user) return <Loading />;
  if (s.store.problem.value?.kind === "not_found") return <RoomNotFound />;
  return <RoomView store={s.store} />;
}

function RoomNotFound() {
  return <NotFound title="Room not found" text="This room doesn't exist, or its link is mistyped." />;
}

function Loading() {
  return (
    <main class="center-page" aria-busy="true">
      <p class="muted">Loading…</p>
    </main>
  );
}

function ErrorPage(props: { message: string; retry: () => void }) {
  return (
    <main class="center-page">
      <div class="card">
        <h1>Something went wrong</h1>
        <p class="error" role="alert">
          {props.message}
        </p>
        <button type="button" class="button primary" onClick={props.retry}>
          Try again
        </button>
      </div>
    </main>
  );
}
