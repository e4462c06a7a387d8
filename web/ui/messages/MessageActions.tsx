/**
 * A message's actions, a chunk of their own (MessageRow.tsx asks for it when the first row
 * draws): react (the emoji picker), reply, delete (ours, after a confirmation) and the menu
 * (reply, edit, mark as unread, seen by…). They float over the row on hover or focus, or stay
 * open after a long press on touch screens (`pressed`, which the row owns).
 */
import { useSignal, type Signal } from "@preact/signals";
import type { Message } from "../../../worker/protocol";
import { prefetch } from "../../state/lazy";
import type { RoomStore } from "../../state/room";
import { ConfirmDialog } from "../dialogs";
import { EmojiPicker, emojiCode } from "../Media";
import { Menu, type MenuItem } from "../Menu";
import type { MsgRow } from "./rows";

/** The row's message as the store's actions take it. */
const messageOf = (row: MsgRow): Message => ({ seq: row.seq!, cid: row.cid, uid: row.uid, name: row.name, text: row.text, ts: row.ts });

export function MessageActions({ row, store, pressed, onSeenBy }: { row: MsgRow; store: RoomStore; pressed: Signal<boolean>; onSeenBy: () => void }) {
  const picking = useSignal(false);
  const confirmDelete = useSignal(false);
  return (
    <>
      <div class={picking.value || pressed.value ? "msg-actions open" : "msg-actions"}>
        <button type="button" class="msg-action" aria-label="Add reaction" title="Add reaction" onPointerEnter={() => prefetch(emojiCode)} onClick={() => (picking.value = !picking.value)}>
          ☺︎+
        </button>
        <button
          type="button"
          class="msg-action"
          aria-label="Reply"
          title="Reply"
          onClick={() => {
            pressed.value = false;
            store.reply(messageOf(row));
          }}
        >
          ↩
        </button>
        {row.mine && (
          <button
            type="button"
            class="msg-action"
            aria-label="Delete message"
            title="Delete message"
            onClick={() => {
              pressed.value = false;
              confirmDelete.value = true;
            }}
          >
            🗑
          </button>
        )}
        <Menu label="More actions" class="msg-more" items={moreItems(row, store, onSeenBy)}>
          ⋯
        </Menu>
        {picking.value && (
          <EmojiPicker
            label="Add reaction"
            onClose={() => (picking.value = pressed.value = false)}
            onPick={(e) => {
              picking.value = pressed.value = false;
              const mine = row.reactions?.find((r) => r.emoji === e)?.users.includes(store.me.value.id);
              store.react(row.seq!, e, !mine);
            }}
          />
        )}
      </div>
      {/* Beside the actions, not in them: they are hidden when the pointer leaves the row, and a
          modal <dialog> under a display:none ancestor is not drawn. */}
      {confirmDelete.value && (
        <ConfirmDialog
          title="Delete this message?"
          text="It is deleted for everyone, with its files and reactions. This can't be undone."
          confirm="Delete"
          danger
          onConfirm={async () => (store.deleteMessage(row.seq!) ? null : "Not connected. Try again when you're back online.")}
          onClose={() => (confirmDelete.value = false)}
        />
      )}
    </>
  );
}

/** The row's menu: reply, edit (ours, not a call's entry), mark as unread, seen by… (groups). */
function moreItems(row: MsgRow, store: RoomStore, showSeen: () => void): MenuItem[] {
  const m = messageOf(row);
  const items: MenuItem[] = [{ label: "Reply", onSelect: () => store.reply(m) }];
  if (row.mine && !row.call && row.text) items.push({ label: "Edit", onSelect: () => store.edit(m) });
  items.push({ label: "Mark as unread", onSelect: () => store.markUnread(m.seq) });
  if (store.room.value.kind === "group") items.push({ label: "Seen by…", onSelect: showSeen });
  return items;
}
