import type { ConnectionState, RoomStore } from "../state/room";

const LABEL: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  online: "Online",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  closed: "Disconnected",
};

/**
 * Socket state merged with the browser's online/offline events (the connection tracks both).
 * `quiet` (a DM, whose header shows the other person's presence): while connected, it says
 * so only to screen readers, as "Connected", so that no "Online" reads as theirs.
 */
export function ConnectionBadge({ store, quiet }: { store: RoomStore; quiet?: boolean }) {
  const state = store.connection.value;
  if (quiet && state === "online") {
    return (
      <span class="conn conn-online sr-only" role="status">
        Connected
      </span>
    );
  }
  return (
    <span class={`conn conn-${state}`} role="status" aria-live="polite">
      <span class="conn-dot" aria-hidden="true" />
      {LABEL[state]}
    </span>
  );
}
