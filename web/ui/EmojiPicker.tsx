import { useSignal } from "@preact/signals";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { EMOJI, QUICK, recentEmoji, rememberEmoji, searchEmoji } from "./emoji";

/**
 * The emoji picker popover: quick row, recent first, search by name/keyword. Closes on
 * Escape or a click outside. In a chunk of its own with the emoji data (Media.tsx loads it).
 */
export function EmojiPicker({ onPick, onClose, label = "Emoji" }: { onPick: (e: string) => void; onClose: () => void; label?: string }) {
  const q = useSignal("");
  const box = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  // Inside the message list: open upwards when there is no room below (the last messages).
  useLayoutEffect(() => {
    const el = box.current;
    const scroller = el?.closest(".messages");
    if (!el || !scroller) return;
    const r = el.getBoundingClientRect();
    const s = scroller.getBoundingClientRect();
    if (r.bottom > s.bottom && r.height < r.top - s.top) el.classList.add("up");
  }, []);
  useEffect(() => {
    input.current?.focus({ preventScroll: true });
    const down = (e: PointerEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) onClose();
    };
    const key = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        onClose();
      }
    };
    // On the next tick: the click that opened the picker must not close it.
    const t = setTimeout(() => document.addEventListener("pointerdown", down), 0);
    document.addEventListener("keydown", key, true);
    return () => {
      clearTimeout(t);
      document.removeEventListener("pointerdown", down);
      document.removeEventListener("keydown", key, true);
    };
  }, []);
  const recent = recentEmoji();
  const found = searchEmoji(q.value);
  const pick = (e: string) => {
    rememberEmoji(e);
    onPick(e);
  };
  const grid = (list: readonly string[], names?: Map<string, string>) =>
    list.map((e) => (
      <button key={e} type="button" class="emoji" title={names?.get(e) ?? e} aria-label={names?.get(e) ?? e} onClick={() => pick(e)}>
        {e}
      </button>
    ));
  const names = new Map(EMOJI.map((x) => [x.e, x.k.split(" ")[0]!]));
  return (
    <div class="emoji-picker" ref={box} role="dialog" aria-label={label}>
      <input
        ref={input}
        type="search"
        class="emoji-search"
        placeholder="Search emoji"
        aria-label="Search emoji"
        value={q.value}
        onInput={(e) => (q.value = e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && found[0]) {
            e.preventDefault();
            pick(found[0].e);
          }
        }}
      />
      <div class="emoji-scroll">
        {!q.value && (
          <>
            <div class="emoji-head">{recent.length ? "Recent" : "Frequent"}</div>
            <div class="emoji-grid">{grid(recent.length ? recent : QUICK, names)}</div>
            <div class="emoji-head">All</div>
          </>
        )}
        <div class="emoji-grid">{grid(found.map((x) => x.e), names)}</div>
        {found.length === 0 && <p class="muted emoji-none">No emoji found</p>}
      </div>
    </div>
  );
}
