/**
 * App-level model: the current path (client-side routing over history.pushState) and
 * the signed-in guest. Created once in main.tsx and handed down through context;
 * everything room-specific lives in the per-room store (room.ts).
 */
import { signal, computed, type ReadonlySignal } from "@preact/signals";
import type { Peer } from "../../worker/protocol";
import { api, type ApiFailure } from "../api";
import { saveLastName } from "./storage";

export type Route = { name: "home" } | { name: "room"; id: string } | { name: "unknown" };

export function routeOf(path: string): Route {
  if (path === "/" || path === "") return { name: "home" };
  const m = /^\/r\/([^/]+)\/?$/.exec(path);
  if (m?.[1]) return { name: "room", id: decodeURIComponent(m[1]) };
  return { name: "unknown" };
}

export type AppModel = ReturnType<typeof createAppModel>;

export function createAppModel() {
  const path = signal(location.pathname);
  /** undefined while we ask the server, null when there is no session. */
  const session = signal<Peer | null | undefined>(undefined);
  /** Set when the session could not even be checked (server unreachable). */
  const sessionError = signal<string | null>(null);

  window.addEventListener("popstate", () => (path.value = location.pathname));

  async function checkSession(): Promise<void> {
    sessionError.value = null;
    const r = await api.getSession();
    if (r.ok) session.value = r.data.user;
    else if (r.status === 401) session.value = null;
    else sessionError.value = r.status === 0 ? "Can't reach the server. Check your connection." : r.message;
  }

  return {
    route: computed(() => routeOf(path.value)),
    session: session as ReadonlySignal<Peer | null | undefined>,
    sessionError: sessionError as ReadonlySignal<string | null>,
    checkSession,

    navigate(to: string) {
      if (to === location.pathname) return;
      history.pushState(null, "", to);
      path.value = to;
      window.scrollTo(0, 0);
    },

    /** Becomes a guest named `name`. */
    async signIn(name: string): Promise<ApiFailure | null> {
      const r = await api.createSession({ name });
      if (!r.ok) return r;
      saveLastName(name);
      session.value = r.data.user;
      return null;
    },

    /** The server says our session is gone (401 on a room call): ask for a name again. */
    sessionLost() {
      session.value = null;
    },
  };
}
