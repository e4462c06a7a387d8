import { useSignal, type ReadonlySignal } from "@preact/signals";
import { useEffect, useLayoutEffect, useMemo, useRef } from "preact/hooks";
import { MAX_ATTACHMENTS, MAX_BODY, type Presence } from "../../../worker/protocol";
import { lazy, loadFailed, prefetch } from "../../state/lazy";
import type { RoomStore } from "../../state/room";
import { loadDraft, saveDraft } from "../../state/storage";
import { decodeMentions, encodeMentions, mentionQuery, type MentionQuery } from "../../state/mentions";
import type { Candidate } from "../../state/mention-picker";
import { createUploads } from "../../state/uploads";
import { SendIcon } from "../Icons";
import { lazyComponent } from "../Lazy";
import { EmojiPicker, emojiCode } from "../Media";
import { Quote } from "./MessageRow";
import { useFileDrop } from "./useFileDrop";

/** What the composer loads on demand: the file transfer and its chips, the voice recorder. */
const attachCode = lazy(() => import("./attach"));
const UploadChips = lazyComponent(attachCode, (m) => m.UploadChips);
const voiceCode = lazy(() => import("../Voice"));
const VoiceRecorder = lazyComponent(voiceCode, (m) => m.VoiceRecorder);
/** The mention picker, its list and logic, loaded with the first `@` (until then it stays closed). */
const mentionCode = lazy(() => import("./MentionPicker"));

/** The counter appears this close to the limit. */
const COUNTER_FROM = MAX_BODY - 500;

/** Leading blank lines and trailing whitespace go; indentation on the first line stays. */
export function cleanText(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, "").trimEnd();
}

/**
 * Enter sends, Shift+Enter breaks the line. Replying shows the quote above the field (✕ or
 * Esc drops it); editing one of ours (its menu, or ↑ in an empty field for the newest) puts
 * its text in the field, Enter saves and Esc cancels, and the draft comes back after. While offline it looks subdued but keeps
 * working: messages queue in the outbox and go out on reconnect. The draft is saved per
 * room on every keystroke, so a reload or a crash loses nothing.
 */
/** `presence`: the people's presence our hub knows (a dot in the mention picker). */
export function Composer({ store, presence }: { store: RoomStore; presence?: ReadonlySignal<ReadonlyMap<string, Presence>> }) {
  const roomId = store.id;
  const uid = store.user.id;
  const text = useSignal(loadDraft(uid, roomId));
  const area = useRef<HTMLTextAreaElement>(null);
  const conn = store.connection.value;
  const offline = conn === "offline" || conn === "reconnecting" || conn === "closed";
  const length = text.value.length;
  const over = length > MAX_BODY;
  const uploads = useMemo(() => createUploads(roomId, attachCode), [roomId]);
  useEffect(() => () => uploads.dispose(), [uploads]);
  const files = uploads.items.value;
  const uploading = files.some((f) => f.status === "uploading");
  const ready = files.filter((f) => f.status === "done").length;
  const empty = cleanText(text.value) === "" && ready === 0;
  const picker = useSignal(false);
  const recording = useSignal(false);
  /** A voice message goes out by itself once its upload is done (text typed so far goes with it). */
  const autoSend = useSignal(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const form = useRef<HTMLFormElement>(null);
  const replying = store.replying.value;
  const editing = store.editing.value;
  const wasEditing = useRef(false);

  // Editing starts: the message's text replaces the draft, which comes back when it ends (the
  // stored draft: nothing typed while editing is saved as the draft).
  useLayoutEffect(() => {
    if (editing) {
      // Its mention tokens read as `@Name` while edited; the picked names turn them back on save.
      text.value = decodeMentions(editing.text, editing.mentions, store.memberName, picked.current);
      focusEnd();
    } else if (wasEditing.current) {
      text.value = loadDraft(uid, roomId);
    }
    wasEditing.current = editing !== null;
  }, [editing?.seq]);
  useEffect(() => {
    if (replying) area.current?.focus();
  }, [replying?.seq]);

  function focusEnd() {
    requestAnimationFrame(() => {
      const el = area.current;
      if (!el) return;
      el.focus();
      el.selectionStart = el.selectionEnd = el.value.length;
    });
  }

  // ── mentions (state/mentions.ts) ──
  /** The `@query` at the caret, while the picker is open. */
  const mention = useSignal<MentionQuery | null>(null);
  const mentionIndex = useSignal(0);
  /** Where the `@` of a query closed with Esc is: it stays closed until another `@`. */
  const dismissed = useRef(-1);
  /** Names chosen in the picker → their ids (two members may share a name). */
  const picked = useRef(new Map<string, string>());
  const members = store.members.value;
  const pickerCode = mentionCode.module.value;
  const choices =
    pickerCode && mention.value ? pickerCode.candidates(members, mention.value.query, pickerCode.canMentionRoom(store.room.value.role, members.length)) : [];
  const picking = choices.length > 0;

  /** Follows the caret: opens, filters or closes the picker. */
  function followCaret() {
    const el = area.current;
    const q = el && el.selectionStart === el.selectionEnd ? mentionQuery(text.value, el.selectionStart) : null;
    if (!q) dismissed.current = -1;
    else if (q.start === dismissed.current) return void (mention.value = null);
    if (q?.query !== mention.value?.query || q?.start !== mention.value?.start) mentionIndex.value = 0;
    if (q) prefetch(mentionCode);
    mention.value = q;
  }

  function chooseMention(c: Candidate) {
    const el = area.current;
    const q = mention.value;
    if (!el || !q || !pickerCode) return;
    const next = pickerCode.insertMention(text.value, q, el.selectionStart, c);
    picked.current.set(c.name, c.id);
    update(next.text);
    mention.value = null;
    requestAnimationFrame(() => {
      el.focus();
      el.selectionStart = el.selectionEnd = next.caret;
    });
  }

  /** The picker's keys (true: the key was its). */
  function mentionKey(e: KeyboardEvent): boolean {
    if (!mention.value || !pickerCode || e.isComposing) return false;
    const r = pickerCode.pickerKey(e.key, mentionIndex.value, choices.length);
    if (r === null) return false;
    e.preventDefault();
    if (r === "close") {
      dismissed.current = mention.value.start;
      mention.value = null;
    } else if (r === "choose") chooseMention(choices[mentionIndex.value]!);
    else mentionIndex.value = r.index;
    return true;
  }

  function addFiles(list: readonly File[]) {
    if (list.length === 0) return;
    const refused = uploads.add(list);
    if (refused) alertNote.value = `At most ${MAX_ATTACHMENTS} files per message.`;
  }
  const alertNote = useSignal<string | null>(null);

  // Drop files anywhere on the conversation (pasting is the textarea's onPaste).
  useFileDrop(form, addFiles);

  useEffect(() => {
    if (!autoSend.value || uploading) return;
    autoSend.value = false;
    if (files.length > 0 && files.every((f) => f.status === "done")) submit();
  }, [autoSend.value, uploading, files]);

  function insertAtCursor(s: string) {
    const el = area.current;
    const v = text.value;
    const start = el?.selectionStart ?? v.length;
    const end = el?.selectionEnd ?? v.length;
    update(v.slice(0, start) + s + v.slice(end));
    requestAnimationFrame(() => {
      if (!el) return;
      el.focus();
      el.selectionStart = el.selectionEnd = start + s.length;
    });
  }

  // Grow with the content up to a cap (CSS max-height), shrink back after sending.
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${el.scrollHeight + (el.offsetHeight - el.clientHeight)}px`;
  }, [text.value]);

  function update(value: string) {
    text.value = value;
    if (store.editing.peek()) return; // The draft is put aside meanwhile; an edit is not typing.
    saveDraft(uid, roomId, value);
    store.setTyping(value.trim() !== "");
  }

  function submit() {
    const clean = cleanText(text.value);
    if (clean.length > MAX_BODY) return;
    // `@Name` → `@[Name](id)`: the tokens are longer than the names.
    const body = encodeMentions(clean, picked.current, store.members.peek()).text;
    if (body.length > MAX_BODY) return void (alertNote.value = `Too long with its mentions (${body.length} of ${MAX_BODY} characters).`);
    if (store.editing.peek()) {
      if (clean) store.saveEdit(body);
      return;
    }
    const attached = uploads.items.value.some((f) => f.status === "done");
    if ((!clean && !attached) || uploading) return;
    // Chips go only once the message is in the outbox (a full outbox refuses it and keeps them).
    if (store.sendMessage(body, attached ? uploads.done() : undefined)) {
      uploads.clear();
      text.value = "";
      saveDraft(uid, roomId, "");
      picked.current.clear();
      mention.value = null;
    }
    area.current?.focus();
  }

  return (
    <form
      ref={form}
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
      {files.length > 0 && <UploadChips items={files} onCancel={uploads.cancel} />}
      {alertNote.value && (
        <p class="composer-hint" role="alert">
          {alertNote.value}{" "}
          <button type="button" class="link-button" onClick={() => (alertNote.value = null)}>
            OK
          </button>
        </p>
      )}
      {(replying || editing) && (
        <div class="compose-strip">
          {replying ? (
            <>
              <span class="compose-strip-label">Replying to</span>
              <Quote q={replying} />
            </>
          ) : (
            <span class="compose-strip-label">Editing your message · Enter to save, Esc to cancel</span>
          )}
          <button type="button" class="button ghost composer-icon" aria-label={replying ? "Cancel reply" : "Cancel edit"} title="Cancel" onClick={() => store.cancelCompose()}>
            ✕
          </button>
        </div>
      )}
      {recording.value ? (
        <VoiceRecorder
          onDone={(file, durationMs) => {
            recording.value = false;
            if (file) {
              uploads.add([file], { durationMs });
              autoSend.value = true;
            }
          }}
          onError={(msg) => {
            recording.value = false;
            alertNote.value = msg;
          }}
        />
      ) : (
      <div class="composer-row">
        {picking && pickerCode && <pickerCode.MentionPicker items={choices} index={mentionIndex.value} onChoose={chooseMention} presence={presence?.value} />}
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          aria-label="Attach files"
          onChange={(e) => {
            addFiles(Array.from(e.currentTarget.files ?? []));
            e.currentTarget.value = "";
          }}
        />
        {!editing && <button
          type="button"
          class="button ghost composer-icon attach"
          aria-label="Attach files"
          title="Attach files"
          onPointerEnter={() => prefetch(attachCode)}
          onClick={() => fileInput.current?.click()}
        >
          <ClipIcon />
        </button>}
        <div class="emoji-anchor">
          <button
            type="button"
            class="button ghost composer-icon"
            aria-label="Emoji"
            title="Emoji"
            aria-expanded={picker.value}
            onPointerEnter={() => prefetch(emojiCode)}
            onClick={() => (picker.value = !picker.value)}
          >
            <SmileIcon />
          </button>
          {picker.value && (
            <EmojiPicker
              onClose={() => (picker.value = false)}
              onPick={(e) => {
                picker.value = false;
                insertAtCursor(e);
              }}
            />
          )}
        </div>
        <textarea
          ref={area}
          rows={1}
          aria-label="Message"
          placeholder="Write a message…"
          value={text.value}
          onInput={(e) => {
            update(e.currentTarget.value);
            followCaret();
          }}
          onKeyUp={(e) => {
            if (e.key.startsWith("Arrow") && !picking) followCaret();
          }}
          onClick={followCaret}
          onBlur={() => {
            store.setTyping(false);
            mention.value = null;
          }}
          onPaste={(e) => {
            const pasted = Array.from(e.clipboardData?.files ?? []);
            if (pasted.length === 0) return;
            e.preventDefault();
            // A pasted screenshot is called image.png everywhere: give it a useful name.
            addFiles(
              pasted.map((f) =>
                f.name === "image.png" || !f.name ? new File([f], `pasted-${new Date().toISOString().slice(0, 19).replace(/[T:]/g, "-")}.png`, { type: f.type }) : f,
              ),
            );
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape" && (store.editing.peek() || store.replying.peek())) {
              e.preventDefault();
              store.cancelCompose();
              return;
            }
            // ↑ in an empty field edits our newest message.
            if (e.key === "ArrowUp" && text.value === "" && files.length === 0 && !store.editing.peek() && store.editLast()) {
              e.preventDefault();
              return;
            }
            if (mentionKey(e)) return;
            // isComposing: Enter confirms an IME candidate, it must not send.
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
              e.preventDefault();
              submit();
            }
          }}
          enterkeyhint="send"
          aria-expanded={picking ? true : undefined}
          aria-controls={picking ? "mention-picker" : undefined}
          aria-activedescendant={picking ? `mention-${mentionIndex.value}` : undefined}
          aria-describedby={length > COUNTER_FROM ? "composer-counter" : undefined}
          aria-invalid={over}
        />
        {empty && !uploading && !editing ? (
          <button
            type="button"
            class="button ghost composer-icon mic"
            aria-label="Record a voice message"
            title="Record a voice message"
            onPointerEnter={() => prefetch(voiceCode)}
            // The recorder replaces this row once its code is here: the row stays until then.
            onClick={() =>
              voiceCode.load().then(
                () => (recording.value = true),
                (e: unknown) => {
                  loadFailed(e);
                  alertNote.value = "Couldn't load the voice recorder. Check your connection.";
                },
              )
            }
          >
            <MicSmallIcon />
          </button>
        ) : (
          <button type="submit" class="button primary send" disabled={empty || over || uploading} title={uploading ? "Waiting for uploads to finish" : undefined}>
            <SendIcon />
            <span class="send-label">{editing ? "Save" : "Send"}</span>
          </button>
        )}
      </div>
      )}
      {length > COUNTER_FROM && (
        <p id="composer-counter" class={over ? "counter over" : "counter"} aria-live="polite">
          {over ? `${chars(length - MAX_BODY)} over the ${MAX_BODY} limit` : `${chars(MAX_BODY - length)} left`}
        </p>
      )}
    </form>
  );
}

const chars = (n: number) => (n === 1 ? "1 character" : `${n} characters`);

const ClipIcon = () => (
  <svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
    <path d="M21.4 11.1l-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5" />
  </svg>
);
const SmileIcon = () => (
  <svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true">
    <circle cx="12" cy="12" r="10" />
    <path d="M8 14s1.5 2 4 2 4-2 4-2" />
    <path d="M9 9h.01M15 9h.01" />
  </svg>
);
const MicSmallIcon = () => (
  <svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true">
    <rect x="9" y="2" width="6" height="12" rx="3" />
    <path d="M5 10v1a7 7 0 0 0 14 0v-1M12 18v4" />
  </svg>
);
