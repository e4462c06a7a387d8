/**
 * Attaching files, in a chunk loaded with the first file attached (Composer.tsx): the transfer
 * (state/upload-transfer.ts) and the chips that show each file's progress.
 */
import { humanSize } from "../../state/messages";
import type { UploadItem } from "../../state/uploads";

export { transfer } from "../../state/upload-transfer";

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
