import { useSignal } from "@preact/signals";
import { useId } from "preact/hooks";
import { MAX_NAME } from "../../worker/protocol";
import { loadLastName } from "../state/storage";
import { useApp } from "./context";
import { ChatIcon } from "./Home";

/** Shown when someone opens a room link without a session: pick a name, then join. */
export function NameForm() {
  const app = useApp();
  const name = useSignal(loadLastName());
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const id = useId();

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (busy.value) return;
    busy.value = true;
    error.value = null;
    const failed = await app.signIn(name.value.trim());
    busy.value = false;
    if (failed) error.value = failed.status === 0 ? "Can't reach the server. Check your connection." : failed.message;
  }

  return (
    <main class="center-page">
      <form class="card" onSubmit={onSubmit}>
        <div class="brand" aria-hidden="true">
          <ChatIcon />
        </div>
        <h1>Join the chat</h1>
        <p class="muted">You were invited to a room. Choose the name others will see.</p>
        <div class="field">
          <label for={id}>Display name</label>
          <input
            id={id}
            value={name.value}
            onInput={(e) => (name.value = e.currentTarget.value)}
            required
            maxLength={MAX_NAME}
            autoComplete="nickname"
            autoFocus
          />
        </div>
        <button type="submit" class="button primary wide" disabled={busy.value}>
          {busy.value ? "Joining…" : "Join room"}
        </button>
        {error.value && (
          <p class="error" role="alert">
            {error.value}
          </p>
        )}
      </form>
    </main>
  );
}
