import { lazy } from "../state/lazy";
import { useApp } from "./context";
import { lazyComponent } from "./Lazy";
import { NotFound } from "./NotFound";
import { Shell } from "./Shell";

/**
 * The pages for someone without a session (sign in, sign up, guest) and an invite link's page
 * load when shown: neither is needed to open a room once signed in.
 */
const loading = () => <Loading />;
const SignedOut = lazyComponent(lazy(() => import("./SignedOut")), (m) => m.SignedOut, loading);
const JoinPage = lazyComponent(lazy(() => import("./JoinPage")), (m) => m.JoinPage, loading);

export function App() {
  const app = useApp();
  const route = app.route.value;
  const user = app.session.value;
  switch (route.name) {
    case "join":
      // Keyed: another invite is another page.
      return <JoinPage key={route.code} code={route.code} />;
    case "home":
    case "room":
      if (user === undefined) return <Pending />;
      if (user === null) return <SignedOut note={route.name === "room" ? "Sign in to open this conversation." : undefined} />;
      return <Shell key={user.id} user={user} route={route} />;
    case "unknown":
      return <NotFound title="Page not found" text="There is nothing at this address." />;
  }
}

/**
 * Before we know who is signed in (or when we could not ask). Opened without a network (the
 * service worker serves the shell), it says so, and the app model asks again when it is back.
 */
function Pending() {
  const app = useApp();
  const error = app.sessionError.value;
  const offline = error !== null && !navigator.onLine;
  return (
    <main class="center-page" aria-busy={!error}>
      {error ? (
        <div class="card">
          <h1>{offline ? "You're offline" : "Can't connect"}</h1>
          <p class="error" role="alert">
            {offline ? "Chat connects again as soon as you are back online." : error}
          </p>
          <button type="button" class="button primary" onClick={() => void app.checkSession()}>
            Try again
          </button>
        </div>
      ) : (
        <p class="muted">Loading…</p>
      )}
    </main>
  );
}

function Loading() {
  return (
    <main class="center-page" aria-busy="true">
      <p class="muted">Loading…</p>
    </main>
  );
}
