import { useSignal } from "@preact/signals";
import { useLayoutEffect, useRef } from "preact/hooks";
import { MAX_BODY } from "../../worker/protocol";
import type { RoomStore } from "../state/room";
import { loadDraft, saveDraft } from "../state/storage";
import { SendIcon } from "./Icons";

/** The counter appears this close to the limit. */
const COUNTER_FROM = MAX_BODY - 500;

/** Leading blank lines and trailing whitespace go; indentation on the first line stays. */
export function cleanText(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();
}

/**
 * Enter sends, Shift+Enter breaks the line. While offline it looks subdued but keeps
 * working: messages queue in the outbox and go out on reconnect. The draft is saved per
 * room on every keystroke, so a reload or a crash loses nothing.
 */
export function Composer({ store }: { store: RoomStore }) {
  const roomId = store.id;
  const uid = store.user.id;
  const text = useSignal(loadDraft(uid, roomId));
  const area = useRef<HTMLTextAreaElement>(null);
  const conn = store.connection.value;
  const offline = conn === "offline" || conn === "reconnecting" || conn === "closed";
  const length = text.value.length;
  const over = length > MAX_BODY;
  const empty = cleanText(text.value) === "";

  // Grow with the content up to a cap (CSS max-height), shrink back after sending.
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${el.scrollHeight + (el.offsetHeight - el.clientHeight)}px`;
  }, [text.value]);

  function update(value: string) {
    text.value = value;
    saveDraft(uid, roomId, value);
    store.setTyping(value.trim() !== "");
  }

  function submit() {
    const body = cleanText(text.value);
    if (!body || body.length > MAX_BODY) return;
    if (store.send(body)) {
      text.value = "";
      saveDraft(uid, roomId, "");
    }
    area.current?.focus();
  }

  return (
    <form
      class={offline ? "composer offline" : "composer"}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {offline && (
        <p class="composer-hint" role="note">
          {conn === "offline"
            ? "You're offline. Messages will be sent when you're back online."
            : conn === "reconnecting"
              ? "Connection lost. Messages will be sent once it's back."
              : "Disconnected. Messages you write here are kept for when you reconnect."}
          {conn === "reconnecting" && (
            <button type="button" class="link-button" onClick={store.reconnectNow}>
              Retry now
            </button>
          )}
        </p>
      )}
      <div class="composer-row">
        <textarea
          ref={area}
          rows={1}
          aria-label="Message"
          placeholder="Write a message…"
          value={text.value}
          onInput={(e) => update(e.currentTarget.value)}
          onBlur={() => store.setTyping(false)}
          onKeyDown={(e) => {
            // isComposing: Enter confirms an IME candidate, it must not send.
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
              e.preventDefault();
              submit();
            }
          }}
          enterkeyhint="send"
          aria-describedby={length > COUNTER_FROM ? "composer-counter" : undefined}
          aria-invalid={over}
        />
        <button type="submit" class="button primary send" disabled={empty || over}>
          <SendIcon />
          <span class="send-label">Send</span>
        </button>
      </div>
      {length > COUNTER_FROM && (
        <p id="composer-counter" class={over ? "counter over" : "counter"} aria-live="polite">
          {over ? `${chars(length - MAX_BODY)} over the ${MAX_BODY} limit` : `${chars(MAX_BODY - length)} left`}
        </p>
      )}
    </form>
  );
}

const chars = (n: number) => (n === 1 ? "1 character" : `${n} characters`);
