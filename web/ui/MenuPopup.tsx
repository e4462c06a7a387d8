import type { ComponentChildren, RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { MenuItem } from "./Menu";

/**
 * The open menu of a Menu.tsx button, a chunk loaded when a menu first opens (or a pointer
 * comes over its button): focuses the first item, arrows move, Escape or a click elsewhere
 * closes and gives focus back.
 */
export function MenuPopup(props: {
  id: string;
  label: string;
  header?: ComponentChildren;
  items: MenuItem[];
  /** The menu button, whose parent holds button and popup. */
  button: RefObject<HTMLButtonElement | null>;
  /** Closes the menu; `refocus` gives the focus back to its button. */
  onClose: (refocus: boolean) => void;
}) {
  const popup = useRef<HTMLDivElement>(null);
  const items = () => [...(popup.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];

  useEffect(() => {
    items()[0]?.focus();
    const root = props.button.current?.parentElement;
    const onDown = (e: PointerEvent) => {
      if (!root?.contains(e.target as Node)) props.onClose(false);
    };
    document.addEventListener("pointerdown", onDown);
    return () => document.removeEventListener("pointerdown", onDown);
  }, []);

  function onKey(e: KeyboardEvent) {
    if (e.key === "Escape") {
      e.stopPropagation();
      return props.onClose(true);
    }
    if (e.key === "Tab") return props.onClose(false);
    const all = items();
    const i = all.indexOf(document.activeElement as HTMLElement);
    const to = e.key === "ArrowDown" ? i + 1 : e.key === "ArrowUp" ? i - 1 : e.key === "Home" ? 0 : e.key === "End" ? -1 : null;
    if (to === null || all.length === 0) return;
    e.preventDefault();
    all[(to + all.length) % all.length]?.focus();
  }

  return (
    <div class="menu-popup" id={props.id} role="menu" aria-label={props.label} ref={popup} onKeyDown={onKey}>
      {props.header && <div class="menu-header">{props.header}</div>}
      {props.items.map((it) => (
        <button
          key={it.label}
          type="button"
          role="menuitem"
          tabIndex={-1}
          class={it.danger ? "menu-item danger" : "menu-item"}
          onClick={() => {
            props.onClose(true);
            it.onSelect();
          }}
        >
          {it.label}
        </button>
      ))}
    </div>
  );
}
