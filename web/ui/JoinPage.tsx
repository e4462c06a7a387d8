import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { InvitePreviewResponse } from "../../worker/protocol";
import { api, failureText } from "../api";
import { AuthForms } from "./AuthForms";
import { useApp } from "./context";
import { ChatIcon } from "./Icons";
import { Link } from "./Link";

export const INVALID_INVITE = "This invite link is invalid or has been reset.";

type State =
  | { kind: "loading" }
  | { kind: "invalid" }
  | { kind: "error"; message: string }
  | { kind: "preview"; room: InvitePreviewResponse["room"] };

/**
 * /join/<code>: what the link leads to (no session needed), then sign in or continue as
 * a guest if need be, then join and open the room. Someone who signs in here came to
 * join, so that happens at once; someone already signed in confirms with a button.
 */
export function JoinPage({ code }: { code: string }) {
  const app = useApp();
  const user = app.session.value;
  const state = useSignal<State>({ kind: "loading" });
  const joining = useSignal(false);
  const joinError = useSignal<string | null>(null);
  const attempt = useSignal(0);

  useEffect(() => {
    let cancelled = false;
    state.value = { kind: "loading" };
    void api.invitePreview(code).then((r) => {
      if (cancelled) return;
      if (r.ok) state.value = { kind: "preview", room: r.data.room };
      else if (r.status === 404 || r.status === 400) state.value = { kind: "invalid" };
      else state.value = { kind: "error", message: failureText(r) };
    });
    return () => {
      cancelled = true;
    };
  }, [code, attempt.value]);

  const s = state.value;
  useEffect(() => {
    app.setTitle(s.kind === "preview" ? `Join ${s.room.name} · Chat` : s.kind === "invalid" ? "Invalid invite · Chat" : "Chat");
  }, [s]);

  async function join() {
    if (joining.value) return;
    joining.value = true;
    joinError.value = null;
    const r = await api.joinInvite(code);
    joining.value = false;
    if (r.ok) return app.navigate(`/r/${r.data.room.id}`, { replace: true });
    if (r.status === 404) state.value = { kind: "invalid" };
    else if (r.status === 401) app.sessionLost();
    else joinError.value = failureText(r);
  }

  if (s.kind === "invalid") {
    return (
      <main class="center-page">
        <div class="card">
          <h1>Invite link not valid</h1>
          <p class="muted" role="alert">
            {INVALID_INVITE} Ask whoever invited you for a new link.
          </p>
          <div class="card-actions">
            <Link href="/" class="button primary">
              Go home
            </Link>
          </div>
        </div>
      </main>
    );
  }

  return (
    <main class="center-page">
      <div class="card">
        <div class="brand" aria-hidden="true">
          <ChatIcon />
        </div>
        {s.kind === "loading" && (
          <p class="muted" aria-busy="true">
            Loading invite…
          </p>
        )}
        {s.kind === "error" && (
          <>
            <h1>Couldn't open this invite</h1>
            <p class="error" role="alert">
              {s.message}
            </p>
            <button type="button" class="button primary" onClick={() => attempt.value++}>
              Try again
            </button>
          </>
        )}
        {s.kind === "preview" && (
          <>
            <p class="muted">You're invited to join</p>
            <h1 class="join-name">{s.room.name}</h1>
            <p class="join-meta">
              {s.room.memberCount === 1 ? "1 member" : `${s.room.memberCount} members`}
              {s.room.topic && <span class="muted"> · {s.room.topic}</span>}
            </p>
            {user === undefined ? (
              <p class="muted">Loading…</p>
            ) : user === null ? (
              <>
                <p class="join-step">Sign in, create an account, or continue as a guest to join.</p>
                <AuthForms initial="signup" onDone={join} />
              </>
            ) : (
              <>
                <p class="signed-in">
                  Joining as <strong>{user.name}</strong>
                </p>
                <button type="button" class="button primary wide" disabled={joining.value} onClick={join}>
                  {joining.value ? "Joining…" : `Join ${s.room.name}`}
                </button>
              </>
            )}
            {joinError.value && (
              <p class="error" role="alert">
                {joinError.value}
              </p>
            )}
          </>
        )}
      </div>
    </main>
  );
}
