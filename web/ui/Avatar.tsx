import { avatarColor, initials } from "../state/messages";

/**
 * Initials on a color derived from an id (stable across renames and devices). People are
 * rounded squares as in the message list; `round` draws a circle (a DM in the sidebar).
 */
export function Avatar(props: { uid: string; name: string; size?: "sm" | "md" | "lg"; round?: boolean }) {
  const cls = `avatar${props.size && props.size !== "md" ? " " + props.size : ""}${props.round ? " round" : ""}`;
  return (
    <span class={cls} style={{ backgroundColor: avatarColor(props.uid) }} aria-hidden="true">
      {initials(props.name)}
    </span>
  );
}
