import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { LinkIcon } from "./Icons";

/** Copies a link: Clipboard API, then execCommand, then a selected field to copy by hand. */
export function CopyLink({ url, label }: { url: string; label: string }) {
  const state = useSignal<"idle" | "copied" | "manual">("idle");
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const field = useRef<HTMLInputElement>(null);

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
        <span class="copy-label" aria-live="polite">
          {state.value === "copied" ? "Copied" : label}
        </span>
      </button>
      {state.value === "manual" && (
        <div class="popover">
          <label>
            Copy this link and send it to whoever you invite
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
