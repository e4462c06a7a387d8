/**
 * App-level model: the current path (client-side routing over history.pushState) and
 * who is signed in, with the actions that change it (guest, sign up, log in, log out).
 * Created once in main.tsx and handed down through context; the sidebar and each open
 * room have their own stores (sidebar.ts, room/).
 */
import { batch, computed, effect, signal, type ReadonlySignal } from "@preact/signals";
import * as v from "valibot";
import { LoginBody, SignupBody, type Me } from "../../worker/protocol";
import { api, type ApiFailure } from "../api";
import { Emitter } from "./emitter";
import { forgetDevice, rememberUser, rememberedUser } from "./offline";
import { forgetUser, saveLastName } from "./storage";

export type Route =
  | { name: "home" }
  | { name: "room"; id: string }
  | { name: "join"; code: string }
  | { name: "unknown" };

export function routeOf(path: string): Route {
  if (path === "/" || path === "") return { name: "home" };
  const m = /^\/(r|join)\/([^/]+)\/?$/.exec(path);
  if (m?.[2]) {
    let value: string;
    try {
      value = decodeURIComponent(m[2]);
    } catch {
      return { name: "unknown" };
    }
    return m[1] === "r" ? { name: "room", id: value } : { name: "join", code: value };
  }
  return { name: "unknown" };
}

export type AppModel = ReturnType<typeof createAppModel>;

/** A failure found before asking the server (the shared schema said no). */
function invalid(message: string): ApiFailure {
  return { ok: false, status: 400, code: "invalid", message };
}

export function createAppModel() {
  const path = signal(location.pathname);
  /** undefined while we ask the server, null when there is no session. */
  const session = signal<Me | null | undefined>(undefined);
  /** Set when the session could not even be checked (server unreachable). */
  const sessionError = signal<string | null>(null);
  /** A new session token for the same user (a guest saved their account): sockets redial. */
  const sessionChanged = new Emitter();
  /** The page's own title, and the unread count shown before it ("(3) Team · Chat"). */
  const title = signal("Chat");
  const unread = signal(0);
  /**
   * A message to open its room at (a search result), until the room's page takes it. It
   * travels here, not in the URL: /r/<id> stays the room's one address (a reload opens the
   * room as usual).
   */
  const target = signal<{ roomId: string; seq: number } | null>(null);

  /**
   * The session is the one this device remembers, not confirmed by the server (which could not
   * be reached): the shell shows what was kept on the device (offline.ts) and says it is offline.
   */
  const offline = signal(false);
  /** The browser's online/offline events. */
  const online = signal(navigator.onLine !== false);

  let checking: Promise<void> | null = null;

  window.addEventListener("popstate", () => (path.value = location.pathname));
  window.addEventListener("offline", () => (online.value = false));
  // Opened offline (the service worker's cached shell): ask again once the network is back.
  window.addEventListener("online", () => {
    online.value = true;
    if (sessionError.peek() !== null || offline.peek()) void checkSession();
  });

  // What the device keeps for opening offline follows the session: the server's answer is
  // remembered, and no session (sign-out, a 401) clears it, whoever it belonged to.
  effect(() => {
    const me = session.value;
    if (me === null) forgetDevice();
    else if (me && !offline.value) rememberUser(me);
  });

  async function checkSession(): Promise<void> {
    sessionError.value = null;
    const r = await api.getSession();
    const kept = !r.ok && r.status === 0 ? rememberedUser() : null;
    batch(() => {
      offline.value = kept !== null;
      if (r.ok) session.value = r.data.user;
      else if (r.status === 401) session.value = null;
      // No answer at all: the person this device remembers, with what was kept for them.
      else if (kept) session.value = kept;
      else sessionError.value = r.status === 0 ? "Can't reach the server. Check your connection." : r.message;
    });
  }

  return {
    route: computed(() => routeOf(path.value)),
    session: session as ReadonlySignal<Me | null | undefined>,
    /**
     * A new session for the same person (a guest saved their account, another tab logged in
     * again): sockets opened under the old one redial. Returns the unsubscribe.
     */
    onSessionChanged: sessionChanged.on,
    sessionError: sessionError as ReadonlySignal<string | null>,
    /** Signed in as the person this device remembers, the server not reached yet (see `offline` above). */
    offline: offline as ReadonlySignal<boolean>,
    /** The browser says it is online (its online/offline events). */
    online: online as ReadonlySignal<boolean>,
    checkSession,
    /** document.title, as main.tsx writes it. */
    documentTitle: computed(() => (unread.value > 0 ? `(${unread.value}) ${title.value}` : title.value)),
    setTitle(t: string) {
      title.value = t;
    },
    setUnread(n: number) {
      unread.value = n;
    },

    target: target as ReadonlySignal<{ roomId: string; seq: number } | null>,
    /** Opens room `roomId` at message `seq` (its page loads the history around it and highlights it). */
    openMessage(roomId: string, seq: number) {
      target.value = { roomId, seq };
      this.navigate(`/r/${encodeURIComponent(roomId)}`);
    },
    /** The room's page took the target (returns it, or null when it is another room's). */
    takeTarget(roomId: string): number | null {
      const t = target.peek();
      if (t?.roomId !== roomId) return null;
      target.value = null;
      return t.seq;
    },

    navigate(to: string, opts: { replace?: boolean } = {}) {
      if (to === location.pathname) return;
      if (opts.replace) history.replaceState(null, "", to);
      else history.pushState(null, "", to);
      path.value = to;
    },

    /** "Send read receipts" on or off (off: others don't see our reads, and we see no one's). */
    async setReadReceipts(on: boolean): Promise<ApiFailure | null> {
      const r = await api.setReadReceipts(on);
      if (!r.ok) return r;
      const was = session.peek();
      if (was) session.value = { ...was, receipts: r.data.on };
      return null;
    },

    /** Becomes a guest named `name`. */
    async continueAsGuest(name: string): Promise<ApiFailure | null> {
      const r = await api.createSession({ name });
      if (!r.ok) return r;
      saveLastName(name);
      session.value = r.data.user;
      return null;
    },

    /**
     * A new account; signed in as a guest, that guest becomes the account (same id,
     * rooms and history). The shared schema checks the policy before the server does.
     */
    async signup(input: { username: string; password: string; name?: string }): Promise<ApiFailure | null> {
      const body = v.safeParse(SignupBody, input);
      if (!body.success) return invalid(body.issues[0].message);
      const r = await api.signup(body.output);
      if (!r.ok) return r.status === 409 ? { ...r, message: "That username is taken. Choose another one." } : r;
      const upgraded = session.value?.id === r.data.user.id;
      session.value = r.data.user;
      if (upgraded) sessionChanged.emit();
      return null;
    },

    async login(input: { username: string; password: string }): Promise<ApiFailure | null> {
      const body = v.safeParse(LoginBody, input);
      if (!body.success) return invalid(body.issues[0].message);
      if (!body.output.username || !input.password) return invalid("Enter your username and password.");
      const r = await api.login(body.output);
      if (!r.ok) return r.status === 401 ? { ...r, message: "Wrong username or password." } : r;
      session.value = r.data.user;
      return null;
    },

    /** Ends the session on the server (every tab and socket of it), then here. */
    async logout(): Promise<ApiFailure | null> {
      const r = await api.logout();
      // 401: the session was already gone; either way we are signed out.
      if (!r.ok && r.status !== 401) return r;
      const me = session.value;
      if (me) forgetUser(me.id);
      session.value = null;
      return null;
    },

    /**
     * The server says our session is gone (a 401, or a socket closed with 4001). Another tab
     * may have replaced it with a newer one in this browser (logged in again, saved a guest
     * account): ask before signing out. Concurrent calls share one check.
     */
    sessionLost(): Promise<void> {
      checking ??= (async () => {
        const r = await api.getSession();
        const was = session.peek();
        if (r.ok) offline.value = false;
        if (!r.ok) session.value = null;
        else if (was?.id === r.data.user.id) {
          session.value = r.data.user;
          sessionChanged.emit();
        } else session.value = r.data.user;
      })().finally(() => (checking = null));
      return checking;
    },
  };
}
