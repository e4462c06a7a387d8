/**
 * Media on messages: attachments (inline images with their aspect ratio reserved, video and
 * audio players, file cards with a download link), the full-size image dialog, reaction chips,
 * the emoji picker, and the composer's upload chips.
 */
import { useSignal } from "@preact/signals";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { attachmentUrl, isInlineType, type Attachment, type Reaction } from "../../worker/protocol";
import { formatDuration, humanSize } from "../state/messages";
import type { UploadItem } from "../state/uploads";
import { EMOJI, QUICK, recentEmoji, rememberEmoji, searchEmoji } from "./emoji";

export function Attachments({ roomId, files }: { roomId: string; files: readonly Attachment[] }) {
  const open = useSignal<Attachment | null>(null);
  return (
    <div class="attachments">
      {files.map((a) => {
        const url = attachmentUrl(roomId, a.id);
        const inline = isInlineType(a.type);
        if (inline && a.type.startsWith("image/")) {
          const w = a.width ?? 4;
          const h = a.height ?? 3;
          return (
            <button
              key={a.id}
              type="button"
              class="att-image"
              style={{ aspectRatio: `${w} / ${h}`, width: `min(100%, ${Math.round(Math.min(320, (w / h) * 240, w))}px)` }}
              onClick={() => (open.value = a)}
              aria-label={`Open ${a.name}`}
            >
              <img src={a.thumb ? attachmentUrl(roomId, a.id, true) : url} alt={a.name} width={w} height={h} loading="lazy" />
            </button>
          );
        }
        if (inline && a.type.startsWith("video/")) {
          return (
            <video
              key={a.id}
              class="att-video"
              controls
              preload="metadata"
              src={url}
              style={a.width && a.height ? { aspectRatio: `${a.width} / ${a.height}` } : undefined}
              aria-label={a.name}
            />
          );
        }
        if (inline && a.type.startsWith("audio/")) {
          return (
            <div key={a.id} class="att-audio">
              <audio controls preload="metadata" src={url} aria-label={a.name} />
              {a.durationMs !== undefined && <span class="muted">{formatDuration(a.durationMs)}</span>}
            </div>
          );
        }
        return (
          <a key={a.id} class="att-file" href={url} download={a.name} title={`Download ${a.name}`}>
            <span class="att-icon" aria-hidden="true">
              {fileLabel(a)}
            </span>
            <span class="att-name">{a.name}</span>
            <span class="att-size muted">{humanSize(a.size)}</span>
          </a>
        );
      })}
      {open.value && <Lightbox roomId={roomId} a={open.value} onClose={() => (open.value = null)} />}
    </div>
  );
}

/** A short type label for the file icon: "PDF", "ZIP", "DOC"… */
function fileLabel(a: Attachment): string {
  const ext = /\.([a-z0-9]{1,4})$/i.exec(a.name)?.[1];
  return (ext ?? a.type.split("/")[1] ?? "file").slice(0, 4).toUpperCase();
}

function Lightbox({ roomId, a, onClose }: { roomId: string; a: Attachment; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useLayoutEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  const url = attachmentUrl(roomId, a.id);
  return (
    <dialog
      ref={ref}
      class="lightbox"
      aria-label={a.name}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => e.target === e.currentTarget && onClose()}
    >
      <div class="lightbox-bar">
        <span class="lightbox-name">{a.name}</span>
        <a class="button small" href={url} download={a.name}>
          Download
        </a>
        <button type="button" class="button small" onClick={onClose}>
          Close
        </button>
      </div>
      <img class="lightbox-img" src={url} alt={a.name} width={a.width} height={a.height} />
    </dialog>
  );
}

export function Reactions(props: {
  reactions: readonly Reaction[];
  me: string;
  nameOf: (uid: string) => string;
  onToggle: (emoji: string, on: boolean) => void;
}) {
  return (
    <div class="reactions">
      {props.reactions.map((r) => {
        const mine = r.users.includes(props.me);
        const who = r.users.map(props.nameOf).join(", ");
        return (
          <button
            key={r.emoji}
            type="button"
            class={mine ? "reaction mine" : "reaction"}
            aria-pressed={mine}
            title={`${who} reacted with ${r.emoji}`}
            aria-label={`${r.emoji} ${r.users.length}, ${who}`}
            onClick={() => props.onToggle(r.emoji, !mine)}
          >
            <span class="reaction-emoji">{r.emoji}</span>
            <span class="reaction-count">{r.users.length}</span>
          </button>
        );
      })}
    </div>
  );
}

/**
 * The emoji picker popover: quick row, recent first, search by name/keyword. Closes on
 * Escape or a click outside.
 */
export function EmojiPicker({ onPick, onClose, label = "Emoji" }: { onPick: (e: string) => void; onClose: () => void; label?: string }) {
  const q = useSignal("");
  const box = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  // Inside the message list: open upwards when there is no room below (the last messages).
  useLayoutEffect(() => {
    const el = box.current;
    const scroller = el?.closest(".messages");
    if (!el || !scroller) return;
    const r = el.getBoundingClientRect();
    const s = scroller.getBoundingClientRect();
    if (r.bottom > s.bottom && r.height < r.top - s.top) el.classList.add("up");
  }, []);
  useEffect(() => {
    input.current?.focus({ preventScroll: true });
    const down = (e: PointerEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) onClose();
    };
    const key = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        onClose();
      }
    };
    // On the next tick: the click that opened the picker must not close it.
    const t = setTimeout(() => document.addEventListener("pointerdown", down), 0);
    document.addEventListener("keydown", key, true);
    return () => {
      clearTimeout(t);
      document.removeEventListener("pointerdown", down);
      document.removeEventListener("keydown", key, true);
    };
  }, []);
  const recent = recentEmoji();
  const found = searchEmoji(q.value);
  const pick = (e: string) => {
    rememberEmoji(e);
    onPick(e);
  };
  const grid = (list: readonly string[], names?: Map<string, string>) =>
    list.map((e) => (
      <button key={e} type="button" class="emoji" title={names?.get(e) ?? e} aria-label={names?.get(e) ?? e} onClick={() => pick(e)}>
        {e}
      </button>
    ));
  const names = new Map(EMOJI.map((x) => [x.e, x.k.split(" ")[0]!]));
  return (
    <div class="emoji-picker" ref={box} role="dialog" aria-label={label}>
      <input
        ref={input}
        type="search"
        class="emoji-search"
        placeholder="Search emoji"
        aria-label="Search emoji"
        value={q.value}
        onInput={(e) => (q.value = e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && found[0]) {
            e.preventDefault();
            pick(found[0].e);
          }
        }}
      />
      <div class="emoji-scroll">
        {!q.value && (
          <>
            <div class="emoji-head">{recent.length ? "Recent" : "Frequent"}</div>
            <div class="emoji-grid">{grid(recent.length ? recent : QUICK, names)}</div>
            <div class="emoji-head">All</div>
          </>
        )}
        <div class="emoji-grid">{grid(found.map((x) => x.e), names)}</div>
        {found.length === 0 && <p class="muted emoji-none">No emoji found</p>}
      </div>
    </div>
  );
}

export function UploadChips({ items, onCancel }: { items: readonly UploadItem[]; onCancel: (key: string) => void }) {
  if (items.length === 0) return null;
  return (
    <ul class="upload-chips" aria-label="Attachments">
      {items.map((it) => (
        <li key={it.key} class={`upload-chip ${it.status}`}>
          {it.preview ? <img class="chip-thumb" src={it.preview} alt="" /> : <span class="chip-icon">📄</span>}
          <span class="chip-main">
            <span class="chip-name" title={it.name}>
              {it.name}
            </span>
            <span class="chip-sub muted">
              {it.status === "failed" ? <span class="error">{it.error ?? "Failed"}</span> : it.status === "done" ? humanSize(it.size) : `${Math.round(it.progress * 100)}% of ${humanSize(it.size)}`}
            </span>
            {it.status === "uploading" && (
              <progress class="chip-progress" max={1} value={it.progress} aria-label={`Uploading ${it.name}`} />
            )}
          </span>
          <button type="button" class="chip-cancel" aria-label={`Remove ${it.name}`} title={it.status === "uploading" ? "Cancel upload" : "Remove"} onClick={() => onCancel(it.key)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
