/**
 * Attachments on messages: inline images with their aspect ratio reserved, video and audio
 * players, file cards with a download link. In the messages' extras chunk (messages/extras.tsx,
 * loaded as a room opens: Media.tsx). The full-size image
 * dialog (Lightbox.tsx) loads when first opened (or when a pointer comes over an image).
 */
import { useSignal } from "@preact/signals";
import { attachmentUrl, isInlineType, type Attachment } from "../../worker/protocol";
import { lazy, prefetch } from "../state/lazy";
import { formatDuration, humanSize } from "../state/messages";
import { lazyComponent } from "./Lazy";

const lightboxCode = lazy(() => import("./Lightbox"));
const Lightbox = lazyComponent(lightboxCode, (m) => m.Lightbox);

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
              onPointerEnter={() => prefetch(lightboxCode)}
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
