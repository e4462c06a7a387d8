/**
 * The room's dialogs, in a chunk loaded when one first opens (RoomView.tsx): edit the name and
 * topic, reset the invite link, delete the room (the owner's), leave it, remove (or remove and ban) a member.
 */
import { failureText } from "../api";
import type { MemberRow, RoomStore } from "../state/room";
import { ConfirmDialog } from "./Dialog";
import { EditRoomDialog } from "./NewDialogs";

export type RoomDialog = "edit" | "reset" | "delete" | "leave" | { remove: MemberRow };

export function RoomDialogs({ open, store, onClose: close, onGone }: { open: RoomDialog; store: RoomStore; onClose: () => void; onGone: () => void }) {
  const room = store.room.value;
  return (
    <>
      {open === "edit" && <EditRoomDialog room={room} save={store.update} onClose={close} />}
      {open === "reset" && (
        <ConfirmDialog
          title="Reset the invite link?"
          text="The current link stops working at once: people who have it but haven't joined yet will need the new one. Members stay."
          confirm="Reset link"
          onConfirm={async () => {
            const failed = await store.resetInvite();
            return failed && failureText(failed);
          }}
          onClose={close}
        />
      )}
      {open === "delete" && (
        <ConfirmDialog
          title={`Delete ${room.name}?`}
          text="The room and all its messages are deleted for everyone. This can't be undone."
          confirm="Delete room"
          danger
          onConfirm={async () => {
            const failed = await store.remove();
            if (failed) return failureText(failed);
            onGone();
            return null;
          }}
          onClose={close}
        />
      )}
      {open === "leave" && (
        <ConfirmDialog
          title={`Leave ${room.name}?`}
          text="You'll need a new invite link to come back."
          confirm="Leave room"
          danger
          onConfirm={async () => {
            const failed = await store.leave();
            if (failed) return failureText(failed);
            onGone();
            return null;
          }}
          onClose={close}
        />
      )}
      {typeof open === "object" && (
        <ConfirmDialog
          title={`Remove ${open.remove.name}?`}
          text={`${open.remove.name} leaves ${room.name} at once. Removed, they can come back with the invite link; banned, no link lets them in until you lift the ban.`}
          also={{
            label: "Remove and ban",
            run: async () => {
              const failed = await store.removeMember(open.remove.id, true);
              return failed && failureText(failed);
            },
          }}
          confirm="Remove"
          danger
          onConfirm={async () => {
            const failed = await store.removeMember(open.remove.id);
            return failed && failureText(failed);
          }}
          onClose={close}
        />
      )}
    </>
  );
}
