import type { ComponentChildren } from "preact";
import { useApp } from "./context";

/** An in-app link: a real <a href> (middle-click, copy address) that navigates without a reload. */
export function Link(props: {
  href: string;
  class?: string;
  children: ComponentChildren;
  /** aria-current="page": the conversation on screen. */
  current?: boolean;
  label?: string;
  title?: string;
}) {
  const app = useApp();
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props.current ? "page" : undefined}
      aria-label={props.label}
      title={props.title}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        app.navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}
