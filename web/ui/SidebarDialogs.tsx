/**
 * The sidebar's dialogs, in a chunk loaded when one first opens (Sidebar.tsx): a new room, a
 * new direct message, saving a guest's account, and the guest's log-out warning.
 */
import type { Me } from "../../worker/protocol";
import type { SidebarStore } from "../state/sidebar";
import { AccountForm } from "./AuthForms";
import { ConfirmDialog, Dialog } from "./Dialog";
import { NewDmDialog, NewRoomDialog } from "./NewDialogs";

export type SidebarDialog = "room" | "dm" | "save" | "logout";

export function SidebarDialogs(props: {
  open: SidebarDialog;
  me: Me;
  store: SidebarStore;
  onClose: () => void;
  logout: () => Promise<string | null>;
}) {
  const { open, me, store, onClose: close, logout } = props;
  return (
    <>
      {open === "room" && <NewRoomDialog sidebar={store} onClose={close} />}
      {open === "dm" && <NewDmDialog sidebar={store} onClose={close} />}
      {open === "save" && (
        <Dialog title="Save your account" onClose={close}>
          <p class="dialog-text muted">Choose a username and password. Your rooms and messages stay yours.</p>
          <AccountForm mode="signup" upgrade defaultName={me.name} onDone={close} />
          <button type="button" class="button ghost wide" onClick={close}>
            Not now
          </button>
        </Dialog>
      )}
      {open === "logout" && (
        <ConfirmDialog
          title="Log out of a guest account?"
          text="Guests can't sign in again: once logged out, you lose access to your rooms and messages. Save your account first to keep them."
          confirm="Log out"
          danger
          onConfirm={logout}
          onClose={close}
        />
      )}
    </>
  );
}
