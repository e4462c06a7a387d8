/**
 * Files being attached in the composer: one chip each, uploaded at once through the Worker
 * (worker/protocol/media.ts has the flow). Images get their dimensions decoded and a small
 * WebP thumbnail made in the browser first. Cancel aborts the request and DELETEs the upload.
 * When every chip is done the composer sends the message with their attachment ids.
 *
 * The chips are here; the transfer (upload-transfer.ts) is in a chunk that loads with the first
 * file attached (`code`). A chip is "uploading" from the moment it is added, so Send waits for
 * it whether its code is here yet or not.
 */
import { signal } from "@preact/signals";
import { MAX_ATTACHMENTS, type Attachment } from "../../worker/protocol";
import { api } from "../api";
import { loadFailed, type Lazy } from "./lazy";
import type { TransferJob } from "./upload-transfer";

export type UploadItem = {
  key: string;
  name: string;
  size: number;
  type: string;
  /** 0…1 */
  progress: number;
  status: "uploading" | "done" | "failed";
  error?: string;
  attachment?: Attachment;
  /** A local preview (data: URL of the thumbnail) for images. */
  preview?: string;
};

/** What the upload code (upload-transfer.ts, in a chunk loaded with the first file) provides. */
export type UploadCode = { transfer(job: TransferJob): Promise<void> };

export type Uploads = ReturnType<typeof createUploads>;

export function createUploads(roomId: string, code: Lazy<UploadCode>) {
  const items = signal<readonly UploadItem[]>([]);
  const aborts = new Map<string, AbortController>();
  const ids = new Map<string, string>();
  let n = 0;

  function patch(key: string, p: Partial<UploadItem>) {
    items.value = items.value.map((it) => (it.key === key ? { ...it, ...p } : it));
  }
  const alive = (key: string) => items.value.some((it) => it.key === key);

  async function run(key: string, file: File, extra: { durationMs?: number } = {}) {
    const ctl = new AbortController();
    aborts.set(key, ctl);
    let m: UploadCode;
    try {
      m = await code.load();
    } catch (e) {
      loadFailed(e);
      if (alive(key)) patch(key, { status: "failed", error: "Couldn't load uploads. Check your connection." });
      return;
    }
    if (!alive(key)) return;
    await m.transfer({
      roomId,
      file,
      extra,
      signal: ctl.signal,
      alive: () => alive(key),
      patch: (p) => patch(key, p),
      created: (id) => ids.set(key, id),
    });
  }

  return {
    items: items as { readonly value: readonly UploadItem[] },
    /** Starts uploading `files` (at most MAX_ATTACHMENTS chips in all); returns how many were refused. */
    add(files: readonly File[], extra?: { durationMs?: number }): number {
      const room = MAX_ATTACHMENTS - items.value.length;
      const take = files.slice(0, Math.max(0, room));
      const fresh = take.map(
        (f): UploadItem => ({
          key: `u${++n}`,
          name: f.name || "file",
          size: f.size,
          type: f.type,
          progress: 0,
          status: "uploading",
        }),
      );
      items.value = [...items.value, ...fresh];
      fresh.forEach((it, i) => void run(it.key, take[i]!, extra));
      return files.length - take.length;
    },
    /** Cancels one chip: aborts its request and deletes the upload on the server. */
    cancel(key: string) {
      const it = items.value.find((x) => x.key === key);
      if (!it) return;
      items.value = items.value.filter((x) => x.key !== key);
      aborts.get(key)?.abort();
      aborts.delete(key);
      const aid = ids.get(key);
      ids.delete(key);
      if (aid) void api.cancelUpload(roomId, aid);
    },
    /** The finished attachments, in order. */
    done(): Attachment[] {
      return items.value.flatMap((it) => (it.attachment ? [it.attachment] : []));
    },
    /** Clears the chips without cancelling anything (they are on a message now). */
    clear(): void {
      items.value = [];
      aborts.clear();
      ids.clear();
    },
    dispose() {
      for (const it of items.value) this.cancel(it.key);
    },
  };
}
