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
 * While connected it says so only to screen readers, as "Connected": the header's visible line
 * is about people (a DM's other person, a group's members), and a green "Online" there would
 * read as theirs. Anything else (connecting, offline…) shows.
 */
export function ConnectionBadge({ store }: { store: RoomStore }) {
  const state = store.connection.value;
  if (state === "online") {
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
