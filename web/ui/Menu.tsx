import type { ComponentChildren } from "preact";
import { useSignal } from "@preact/signals";
import { useEffect, useId, useRef } from "preact/hooks";

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

/**
 * A menu button (WAI-ARIA menu pattern): opens below its button, focuses the first item,
 * arrows move, Escape or a click elsewhere closes and gives focus back.
 */
export function Menu(props: {
  /** The button's accessible name. */
  label: string;
  /** What the button shows (an icon, or avatar and name). */
  children: ComponentChildren;
  items: MenuItem[];
  class?: string;
  /** Extra, non-interactive content at the top of the menu (who is signed in). */
  header?: ComponentChildren;
}) {
  const open = useSignal(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menuId = useId();

  const items = () => [...(root.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
  const close = (refocus: boolean) => {
    open.value = false;
    if (refocus) button.current?.focus();
  };

  useEffect(() => {
    if (!open.value) return;
    items()[0]?.focus();
    const onDown = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) close(false);
    };
    document.addEventListener("pointerdown", onDown);
    return () => document.removeEventListener("pointerdown", onDown);
  }, [open.value]);

  function onKey(e: KeyboardEvent) {
    if (e.key === "Escape") {
      e.stopPropagation();
      return close(true);
    }
    if (e.key === "Tab") return close(false);
    const all = items();
    const i = all.indexOf(document.activeElement as HTMLElement);
    const to = e.key === "ArrowDown" ? i + 1 : e.key === "ArrowUp" ? i - 1 : e.key === "Home" ? 0 : e.key === "End" ? -1 : null;
    if (to === null || all.length === 0) return;
    e.preventDefault();
    all[(to + all.length) % all.length]?.focus();
  }

  return (
    <div class={props.class ? `menu ${props.class}` : "menu"} ref={root} onKeyDown={onKey}>
      <button
        ref={button}
        type="button"
        class="button ghost menu-button"
        aria-haspopup="menu"
        aria-expanded={open.value}
        aria-controls={open.value ? menuId : undefined}
        aria-label={props.label}
        onClick={() => (open.value = !open.value)}
      >
        {props.children}
      </button>
      {open.value && (
        <div class="menu-popup" id={menuId} role="menu" aria-label={props.label}>
          {props.header && <div class="menu-header">{props.header}</div>}
          {props.items.map((it) => (
            <button
              key={it.label}
              type="button"
              role="menuitem"
              tabIndex={-1}
              class={it.danger ? "menu-item danger" : "menu-item"}
              onClick={() => {
                close(true);
                it.onSelect();
              }}
            >
              {it.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
