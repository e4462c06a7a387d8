import type { ComponentChildren } from "preact";
import { useSignal } from "@preact/signals";
import { useId, useLayoutEffect, useRef } from "preact/hooks";

/**
 * A modal dialog on the native <dialog> (focus trap, Escape, top layer and inertness of
 * the page for free). Mounted while open: `onClose` runs on Escape, on a click on the
 * backdrop and from the dialog's own buttons.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; class?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useLayoutEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class={props.class ? `dialog ${props.class}` : "dialog"}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
      // The dialog element itself is only hit on its backdrop: the content fills it.
      onClick={(e) => e.target === e.currentTarget && props.onClose()}
    >
      <div class="dialog-body">
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
      </div>
    </dialog>
  );
}

/** A confirming button: `run` returns an error text to show (the dialog stays open) or null (done). */
type Confirm = { label: string; run: () => Promise<string | null> };

/**
 * "Are you sure?" for destructive actions. `onConfirm` returns an error text to show
 * (the dialog stays open) or null (done: the dialog closes). `also` is a second way to
 * confirm, shown before the main one (e.g. "Remove and ban" beside "Remove").
 */
export function ConfirmDialog(props: {
  title: string;
  text: ComponentChildren;
  confirm: string;
  danger?: boolean;
  onConfirm: () => Promise<string | null>;
  also?: Confirm;
  onClose: () => void;
}) {
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const actions: Confirm[] = [...(props.also ? [props.also] : []), { label: props.confirm, run: props.onConfirm }];
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <p class="dialog-text">{props.text}</p>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      <div class="dialog-actions">
        <button type="button" class="button" onClick={props.onClose}>
          Cancel
        </button>
        {actions.map((a) => (
          <button
            key={a.label}
            type="button"
            class={props.danger ? "button danger" : "button primary"}
            disabled={busy.value}
            onClick={async () => {
              busy.value = true;
              error.value = null;
              const failed = await a.run();
              busy.value = false;
              if (failed) error.value = failed;
              else props.onClose();
            }}
          >
            {a.label}
          </button>
        ))}
      </div>
    </Dialog>
  );
}
