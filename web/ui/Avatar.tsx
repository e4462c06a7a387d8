import { avatarColor, initials } from "../state/messages";

/** Initials on a color derived from the user id (stable across renames and devices). */
export function Avatar(props: { uid: string; name: string; size?: "sm" | "md" }) {
  return (
    <span class={props.size === "sm" ? "avatar sm" : "avatar"} style={{ backgroundColor: avatarColor(props.uid) }} aria-hidden="true">
      {initials(props.name)}
    </span>
  );
}
