/**
 * "Seen by…" (a message's menu): who has read the message, from the room's read receipts.
 * Its own chunk, loaded on the first open. It follows the receipts live while open.
 */
import type { RoomStore } from "../../state/room";
import { Avatar } from "../Avatar";
import { Dialog } from "../Dialog";
import { seenOf } from "./rows";

export function SeenByDialog({ store, seq, author, onClose }: { store: RoomStore; seq: number; author: string; onClose: () => void }) {
  const ids = seenOf(seq, author, store.receipts.value, store.me.value.id);
  return (
    <Dialog title="Seen by" onClose={onClose} class="seen-by-dialog">
      {ids.length === 0 ? (
        <p class="dialog-text">Nobody has seen it yet, or they don't share read receipts.</p>
      ) : (
        <ul class="seen-by-list">
          {ids.map((id) => (
            <li key={id}>
              <Avatar uid={id} name={store.nameOf(id)} size="sm" />
              <bdi>{store.nameOf(id)}</bdi>
            </li>
          ))}
        </ul>
      )}
      <div class="dialog-actions">
        <button type="button" class="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
