import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";

/** Copies the room's link: Clipboard API, then execCommand, then a selected field to copy by hand. */
export function CopyLink({ roomId }: { roomId: string }) {
  const state = useSignal<"idle" | "copied" | "manual">("idle");
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const field = useRef<HTMLInputElement>(null);
  const url = `${location.origin}/r/${roomId}`;

  useEffect(() => () => clearTimeout(timer.current), []);
  useEffect(() => {
    if (state.value === "manual") field.current?.select();
  }, [state.value]);

  async function copy() {
    let ok = false;
    try {
      await navigator.clipboard.writeText(url);
      ok = true;
    } catch {
      ok = legacyCopy(url);
    }
    clearTimeout(timer.current);
    state.value = ok ? "copied" : "manual";
    timer.current = setTimeout(() => (state.value = "idle"), ok ? 2000 : 15000);
  }

  return (
    <div class="copy-link">
      <button type="button" class="button" onClick={copy}>
        <LinkIcon />
        <span aria-live="polite">{state.value === "copied" ? "Copied" : "Copy link"}</span>
      </button>
      {state.value === "manual" && (
        <div class="popover">
          <label>
            Copy this link
            <input ref={field} readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
          </label>
        </div>
      )}
    </div>
  );
}

/** For browsers or contexts without the async Clipboard API (plain http on a LAN address). */
function legacyCopy(text: string): boolean {
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.className = "offscreen";
  document.body.append(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

function LinkIcon() {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
      <path d="M10 14a4.5 4.5 0 0 0 6.4 0l3-3a4.5 4.5 0 0 0-6.4-6.4l-1 1" />
      <path d="M14 10a4.5 4.5 0 0 0-6.4 0l-3 3a4.5 4.5 0 0 0 6.4 6.4l1-1" />
    </svg>
  );
}
