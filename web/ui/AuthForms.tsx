import { useSignal } from "@preact/signals";
import { useId } from "preact/hooks";
import { MAX_NAME, MIN_PASSWORD, MIN_PASSWORD_VARIETY } from "../../worker/protocol";
import { failureText, type ApiFailure } from "../api";
import { loadLastName } from "../state/storage";
import { useApp } from "./context";

export type AuthMode = "login" | "signup" | "guest";

const TABS: { mode: AuthMode; label: string }[] = [
  { mode: "login", label: "Log in" },
  { mode: "signup", label: "Sign up" },
  { mode: "guest", label: "Guest" },
];

/**
 * Log in, sign up, or continue as a guest: three tabs over one form. `onDone` runs once
 * the app has a session (the join page joins the room then).
 */
export function AuthForms(props: { initial?: AuthMode; onDone?: () => void }) {
  const mode = useSignal<AuthMode>(props.initial ?? "login");
  const base = useId();

  function onTabKey(e: KeyboardEvent) {
    const i = TABS.findIndex((t) => t.mode === mode.value);
    const to = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
    if (to === null) return;
    e.preventDefault();
    const next = TABS[(to + TABS.length) % TABS.length]!;
    mode.value = next.mode;
    document.getElementById(`${base}-tab-${next.mode}`)?.focus();
  }

  return (
    <div class="auth">
      <div class="tabs" role="tablist" aria-label="How to sign in" onKeyDown={onTabKey}>
        {TABS.map((t) => (
          <button
            key={t.mode}
            id={`${base}-tab-${t.mode}`}
            type="button"
            role="tab"
            class="tab"
            aria-selected={mode.value === t.mode}
            aria-controls={`${base}-panel`}
            tabIndex={mode.value === t.mode ? 0 : -1}
            onClick={() => (mode.value = t.mode)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div id={`${base}-panel`} role="tabpanel" aria-labelledby={`${base}-tab-${mode.value}`}>
        {/* Keyed: switching tabs starts a fresh form (no half-filled password carried over). */}
        {mode.value === "guest" ? (
          <GuestForm key="guest" onDone={props.onDone} />
        ) : (
          <AccountForm key={mode.value} mode={mode.value} onDone={props.onDone} />
        )}
      </div>
    </div>
  );
}

/** Shared submit plumbing: busy flag, error text, one request at a time. */
function useSubmit(run: () => Promise<ApiFailure | null>, onDone?: () => void) {
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  async function onSubmit(e: Event) {
    e.preventDefault();
    if (busy.value) return;
    busy.value = true;
    error.value = null;
    const failed = await run();
    busy.value = false;
    if (failed) error.value = failureText(failed);
    else onDone?.();
  }
  return { busy, error, onSubmit };
}

/**
 * Username and password (and a display name when signing up). Also the guest's
 * "Save your account" form (`upgrade`): the same signup, which keeps the guest's rooms.
 */
export function AccountForm(props: { mode: "login" | "signup"; onDone?: () => void; upgrade?: boolean; defaultName?: string }) {
  const app = useApp();
  const username = useSignal("");
  const password = useSignal("");
  const name = useSignal(props.defaultName ?? "");
  const id = useId();
  const signup = props.mode === "signup";
  const { busy, error, onSubmit } = useSubmit(
    () =>
      signup
        ? app.signup({ username: username.value, password: password.value, ...(name.value.trim() ? { name: name.value } : {}) })
        : app.login({ username: username.value, password: password.value }),
    props.onDone,
  );
  const submitLabel = props.upgrade ? "Save account" : signup ? "Create account" : "Log in";
  return (
    <form class="auth-form" onSubmit={onSubmit} noValidate>
      <div class="field">
        <label for={`${id}-u`}>Username</label>
        <input
          id={`${id}-u`}
          value={username.value}
          onInput={(e) => (username.value = e.currentTarget.value)}
          autoComplete="username"
          autoCapitalize="none"
          autoCorrect="off"
          spellcheck={false}
          maxLength={64}
          required
          autoFocus
          aria-describedby={signup ? `${id}-uh` : undefined}
        />
        {signup && (
          <p id={`${id}-uh`} class="hint">
            3–24 letters, digits or _
          </p>
        )}
      </div>
      <div class="field">
        <label for={`${id}-p`}>Password</label>
        <input
          id={`${id}-p`}
          type="password"
          value={password.value}
          onInput={(e) => (password.value = e.currentTarget.value)}
          autoComplete={signup ? "new-password" : "current-password"}
          required
          aria-describedby={signup ? `${id}-ph` : undefined}
        />
        {signup && (
          <p id={`${id}-ph`} class="hint">
            At least {MIN_PASSWORD} characters, {MIN_PASSWORD_VARIETY} of them different; not your username or a common password
          </p>
        )}
      </div>
      {signup && (
        <div class="field">
          <label for={`${id}-n`}>
            Display name <span class="muted">(optional)</span>
          </label>
          <input
            id={`${id}-n`}
            value={name.value}
            onInput={(e) => (name.value = e.currentTarget.value)}
            maxLength={MAX_NAME}
            autoComplete="nickname"
            placeholder="How others will see you"
          />
        </div>
      )}
      <button type="submit" class="button primary wide" disabled={busy.value}>
        {busy.value ? "Please wait…" : submitLabel}
      </button>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
    </form>
  );
}

function GuestForm(props: { onDone?: () => void }) {
  const app = useApp();
  const name = useSignal(loadLastName());
  const id = useId();
  const { busy, error, onSubmit } = useSubmit(() => app.continueAsGuest(name.value.trim()), props.onDone);
  return (
    <form class="auth-form" onSubmit={onSubmit}>
      <div class="field">
        <label for={id}>Display name</label>
        <input
          id={id}
          value={name.value}
          onInput={(e) => (name.value = e.currentTarget.value)}
          required
          maxLength={MAX_NAME}
          autoComplete="nickname"
          placeholder="How others will see you"
          autoFocus
          aria-describedby={`${id}-h`}
        />
        <p id={`${id}-h`} class="hint">
          No password needed. You can save your account later to keep it on other devices.
        </p>
      </div>
      <button type="submit" class="button primary wide" disabled={busy.value}>
        {busy.value ? "Please wait…" : "Continue as guest"}
      </button>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
    </form>
  );
}
