import type { RoomStore } from "../../state/room";

/** "Alice is typing…" under the messages; announced politely to screen readers. */
export function TypingLine({ store }: { store: RoomStore }) {
  return (
    <div class="typing" role="status" aria-live="polite">
      {store.typingText}
    </div>
  );
}
