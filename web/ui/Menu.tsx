import type { ComponentChildren } from "preact";
import { useSignal } from "@preact/signals";
import { useId, useRef } from "preact/hooks";
import { lazy, prefetch } from "../state/lazy";
import { lazyComponent } from "./Lazy";

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

/** The open menu (MenuPopup.tsx) loads when a menu first opens, or a pointer comes over its button. */
const popupCode = lazy(() => import("./MenuPopup"));
const MenuPopup = lazyComponent(popupCode, (m) => m.MenuPopup);

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
  const button = useRef<HTMLButtonElement>(null);
  const menuId = useId();
  const close = (refocus: boolean) => {
    open.value = false;
    if (refocus) button.current?.focus();
  };

  return (
    <div class={props.class ? `menu ${props.class}` : "menu"}>
      <button
        ref={button}
        type="button"
        class="button ghost menu-button"
        aria-haspopup="menu"
        aria-expanded={open.value}
        aria-controls={open.value ? menuId : undefined}
        aria-label={props.label}
        onPointerEnter={() => prefetch(popupCode)}
        onClick={() => (open.value = !open.value)}
      >
        {props.children}
      </button>
      {open.value && <MenuPopup id={menuId} label={props.label} header={props.header} items={props.items} button={button} onClose={close} />}
    </div>
  );
}
