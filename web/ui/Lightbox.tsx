/** The full-size image in a dialog, with a download link (loaded on demand: Media.tsx). */
import { useLayoutEffect, useRef } from "preact/hooks";
import { attachmentUrl, type Attachment } from "../../worker/protocol";

export function Lightbox({ roomId, a, onClose }: { roomId: string; a: Attachment; onClose: () => void }) {
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
