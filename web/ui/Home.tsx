import { useSignal } from "@preact/signals";
import { useEffect, useId } from "preact/hooks";
import { MAX_NAME, MAX_ROOM_NAME } from "../../worker/protocol";
import { api } from "../api";
import { loadLastName } from "../state/storage";
import { useApp } from "./context";

export function Home() {
  const app = useApp();
  const user = app.session.value;
  const name = useSignal(loadLastName());
  const roomName = useSignal("");
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const nameId = useId();
  const roomId = useId();

  useEffect(() => {
    document.title = "Chat";
  }, []);

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (busy.value) return;
    busy.value = true;
    error.value = null;
    try {
      if (!app.session.value) {
        const failed = await app.signIn(name.value.trim());
        if (failed) return void (error.value = failed.message);
      }
      const r = await api.createRoom(roomName.value.trim() ? { name: roomName.value.trim() } : {});
      if (!r.ok) {
        if (r.status === 401) app.sessionLost();
        return void (error.value = r.status === 0 ? "Can't reach the server. Check your connection." : r.message);
      }
      app.navigate(`/r/${r.data.room.id}`);
    } finally {
      busy.value = false;
    }
  }

  return (
    <main class="center-page">
      <form class="card" onSubmit={onSubmit}>
        <div class="brand" aria-hidden="true">
          <ChatIcon />
        </div>
        <h1>Chat</h1>
        <p class="muted">Start a room, share its link, talk in real time.</p>
        {user === undefined && !app.sessionError.value ? (
          <p class="muted">Loading…</p>
        ) : (
          <>
            {user ? (
              <p class="signed-in">
                You are <strong>{user.name}</strong>
              </p>
            ) : (
              <div class="field">
                <label for={nameId}>Display name</label>
                <input
                  id={nameId}
                  value={name.value}
                  onInput={(e) => (name.value = e.currentTarget.value)}
                  required
                  maxLength={MAX_NAME}
                  autoComplete="nickname"
                  placeholder="How others will see you"
                  autoFocus
                />
              </div>
            )}
            <div class="field">
              <label for={roomId}>
                Room name <span class="muted">(optional)</span>
              </label>
              <input
                id={roomId}
                value={roomName.value}
                onInput={(e) => (roomName.value = e.currentTarget.value)}
                maxLength={MAX_ROOM_NAME}
                autoComplete="off"
                placeholder="e.g. Weekend plans"
              />
            </div>
            <button type="submit" class="button primary wide" disabled={busy.value}>
              {busy.value ? "Creating…" : "New room"}
            </button>
          </>
        )}
        {(error.value ?? app.sessionError.value) && (
          <p class="error" role="alert">
            {error.value ?? app.sessionError.value}
          </p>
        )}
      </form>
    </main>
  );
}

export function ChatIcon() {
  return (
    <svg viewBox="0 0 32 32" width="40" height="40" aria-hidden="true">
      <rect width="32" height="32" rx="9" fill="currentColor" />
      <path d="M8 10h16v10H14l-5 4v-4H8z" fill="#fff" />
    </svg>
  );
}
