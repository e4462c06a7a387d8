import type { ConnectionState, RoomStore } from "../state/room";

const LABEL: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  online: "Online",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  closed: "Disconnected",
};

/** Socket state merged with the browser's online/offline events (the connection tracks both). */
export function ConnectionBadge({ store }: { store: RoomStore }) {
  const state = store.connection.value;
  return (
    <span class={`conn conn-${state}`} role="status" aria-live="polite">
      <span class="conn-dot" aria-hidden="true" />
      {LABEL[state]}
    </span>
  );
}
