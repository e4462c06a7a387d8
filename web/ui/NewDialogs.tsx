import type { ComponentChildren } from "preact";
import { useSignal } from "@preact/signals";
import { useId } from "preact/hooks";
import * as v from "valibot";
import { MAX_ROOM_NAME, MAX_TOPIC, StartDmBody, type RoomDetail } from "../../worker/protocol";
import { api, failureText, sentence, type ApiFailure } from "../api";
import type { SidebarStore } from "../state/sidebar";
import { useApp } from "./context";
import { Dialog } from "./Dialog";

/** A dialog holding one form: busy flag, error line, Cancel + submit buttons. */
function FormDialog(props: {
  title: string;
  submit: string;
  onClose: () => void;
  /** Returns an error text (the dialog stays open) or null (done). */
  onSubmit: () => Promise<string | null>;
  children: ComponentChildren;
}) {
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          if (busy.value) return;
          busy.value = true;
          error.value = null;
          const failed = await props.onSubmit();
          busy.value = false;
          error.value = failed;
        }}
      >
        {props.children}
        {error.value && (
          <p class="error" role="alert">
            {error.value}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={busy.value}>
            {props.submit}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RoomFields(props: { name: { value: string }; topic: { value: string } }) {
  const id = useId();
  return (
    <>
      <div class="field">
        <label for={`${id}-n`}>Room name</label>
        <input
          id={`${id}-n`}
          value={props.name.value}
          onInput={(e) => (props.name.value = e.currentTarget.value)}
          maxLength={MAX_ROOM_NAME}
          autoComplete="off"
          placeholder="e.g. Weekend plans"
          required
          autoFocus
        />
      </div>
      <div class="field">
        <label for={`${id}-t`}>
          Topic <span class="muted">(optional)</span>
        </label>
        <input
          id={`${id}-t`}
          value={props.topic.value}
          onInput={(e) => (props.topic.value = e.currentTarget.value)}
          maxLength={MAX_TOPIC}
          autoComplete="off"
          placeholder="What it's about"
        />
      </div>
    </>
  );
}

/** The session went away under a dialog: sign out instead of showing an error. */
function handle(r: ApiFailure, sessionLost: () => void): string {
  if (r.status === 401) sessionLost();
  return failureText(r);
}

export function NewRoomDialog(props: { sidebar: SidebarStore; onClose: () => void }) {
  const app = useApp();
  const name = useSignal("");
  const topic = useSignal("");
  return (
    <FormDialog
      title="New room"
      submit="Create room"
      onClose={props.onClose}
      onSubmit={async () => {
        if (!name.value.trim()) return "Give the room a name.";
        const r = await api.createRoom({ name: name.value.trim(), ...(topic.value.trim() ? { topic: topic.value.trim() } : {}) });
        if (!r.ok) return handle(r, app.sessionLost);
        void props.sidebar.load();
        props.onClose();
        app.navigate(`/r/${r.data.room.id}`);
        return null;
      }}
    >
      <RoomFields name={name} topic={topic} />
    </FormDialog>
  );
}

export function NewDmDialog(props: { sidebar: SidebarStore; onClose: () => void }) {
  const app = useApp();
  const username = useSignal("");
  const id = useId();
  return (
    <FormDialog
      title="New message"
      submit="Start conversation"
      onClose={props.onClose}
      onSubmit={async () => {
        const body = v.safeParse(StartDmBody, { username: username.value.replace(/^@/, "") });
        if (!body.success) return sentence(body.issues[0].message);
        const r = await api.startDm(body.output.username);
        if (!r.ok) {
          if (r.status === 404) return `No one has the username “${body.output.username}”.`;
          return handle(r, app.sessionLost);
        }
        void props.sidebar.load();
        props.onClose();
        app.navigate(`/r/${r.data.room.id}`);
        return null;
      }}
    >
      <div class="field">
        <label for={id}>Username</label>
        <input
          id={id}
          value={username.value}
          onInput={(e) => (username.value = e.currentTarget.value)}
          autoComplete="off"
          autoCapitalize="none"
          autoCorrect="off"
          spellcheck={false}
          placeholder="e.g. alice"
          required
          autoFocus
          aria-describedby={`${id}-h`}
        />
        <p id={`${id}-h`} class="hint">
          Guests have no username: invite them to a room with its link instead.
        </p>
      </div>
    </FormDialog>
  );
}

export function EditRoomDialog(props: {
  room: RoomDetail;
  save: (body: { name: string; topic: string }) => Promise<ApiFailure | null>;
  onClose: () => void;
}) {
  const app = useApp();
  const name = useSignal(props.room.name);
  const topic = useSignal(props.room.topic);
  return (
    <FormDialog
      title="Edit room"
      submit="Save"
      onClose={props.onClose}
      onSubmit={async () => {
        if (!name.value.trim()) return "Give the room a name.";
        const failed = await props.save({ name: name.value.trim(), topic: topic.value.trim() });
        if (failed) return handle(failed, app.sessionLost);
        props.onClose();
        return null;
      }}
    >
      <RoomFields name={name} topic={topic} />
    </FormDialog>
  );
}
