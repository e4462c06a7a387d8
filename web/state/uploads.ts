/**
 * Files being attached in the composer: one chip each, uploaded at once through the Worker
 * (worker/protocol/media.ts has the flow). Images get their dimensions decoded and a small
 * WebP thumbnail made in the browser first. Cancel aborts the request and DELETEs the upload.
 * When every chip is done the composer sends the message with their attachment ids.
 */
import { signal } from "@preact/signals";
import * as v from "valibot";
import { MAX_ATTACHMENTS, MAX_THUMB_BYTES, UploadDoneResponse, UploadPartResponse, type Attachment, type CreateUploadBody } from "../../worker/protocol";
import { api, failureText, putBytes, uploadPath } from "../api";

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

const THUMB_MAX = 320;

/** Width/height and a WebP thumbnail of an image file; null when it can't be decoded. */
export async function imageInfo(file: Blob): Promise<{ width: number; height: number; thumb: Blob | null } | null> {
  if (typeof createImageBitmap !== "function") return null;
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(file);
  } catch {
    return null;
  }
  const { width, height } = bmp;
  let thumb: Blob | null = null;
  try {
    const scale = Math.min(1, THUMB_MAX / Math.max(width, height));
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    if (typeof OffscreenCanvas !== "undefined") {
      const c = new OffscreenCanvas(w, h);
      c.getContext("2d")!.drawImage(bmp, 0, 0, w, h);
      thumb = await c.convertToBlob({ type: "image/webp", quality: 0.8 });
    } else {
      const c = document.createElement("canvas");
      c.width = w;
      c.height = h;
      c.getContext("2d")!.drawImage(bmp, 0, 0, w, h);
      thumb = await new Promise<Blob | null>((r) => c.toBlob(r, "image/webp", 0.8));
    }
    if (thumb && thumb.size > MAX_THUMB_BYTES) thumb = null;
  } catch {
    thumb = null;
  }
  bmp.close();
  return { width, height, thumb };
}

function dataUrl(b: Blob): Promise<string | null> {
  return new Promise((resolve) => {
    const r = new FileReader();
    r.onload = () => resolve(typeof r.result === "string" ? r.result : null);
    r.onerror = () => resolve(null);
    r.readAsDataURL(b);
  });
}

export type Uploads = ReturnType<typeof createUploads>;

export function createUploads(roomId: string) {
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
    const type = file.type || "application/octet-stream";
    const body: CreateUploadBody = { name: file.name || "file", type, size: file.size, ...extra };
    const img = type.startsWith("image/") && type !== "image/svg+xml" ? await imageInfo(file) : null;
    if (img) {
      body.width = img.width;
      body.height = img.height;
      // The chip's preview is the thumbnail as a data: URL (the page's CSP allows no blob: images).
      if (img.thumb) {
        const url = await dataUrl(img.thumb);
        if (url && alive(key)) patch(key, { preview: url });
      }
    }
    if (!alive(key)) return;
    const fail = (message: string) => alive(key) && patch(key, { status: "failed", error: message });
    // Not aborted with the rest: if the server made the upload, a cancel meanwhile DELETEs it below.
    const created = await api.createUpload(roomId, body);
    if (!created.ok) return fail(failureText(created));
    const up = created.data;
    ids.set(key, up.id);
    if (!alive(key)) return void api.cancelUpload(roomId, up.id);
    if (img?.thumb) {
      // A thumbnail is a nicety: the upload goes on without one.
      await putBytes(uploadPath(roomId, up.id, "/thumb"), img.thumb, () => {}, ctl.signal);
    }
    let done: Attachment | null = null;
    if (up.mode === "single") {
      const r = await putBytes(uploadPath(roomId, up.id), file, (l) => patch(key, { progress: l / file.size }), ctl.signal);
      if (!r.ok) return ctl.signal.aborted ? undefined : fail(failureText(r));
      const parsed = v.safeParse(UploadDoneResponse, r.data);
      if (!parsed.success) return fail("Unexpected answer from the server.");
      done = parsed.output.attachment;
    } else {
      const parts: { partNumber: number; etag: string }[] = [];
      for (let i = 0; i < up.parts; i++) {
        const start = i * up.partSize;
        const blob = file.slice(start, Math.min(file.size, start + up.partSize));
        const r = await putBytes(
          uploadPath(roomId, up.id, `/parts/${i + 1}`),
          blob,
          (l) => patch(key, { progress: (start + l) / file.size }),
          ctl.signal,
        );
        if (!r.ok) return ctl.signal.aborted ? undefined : fail(failureText(r));
        const parsed = v.safeParse(UploadPartResponse, r.data);
        if (!parsed.success) return fail("Unexpected answer from the server.");
        parts.push(parsed.output);
      }
      const r = await api.completeUpload(roomId, up.id, { parts }, ctl.signal);
      if (!r.ok) return ctl.signal.aborted ? undefined : fail(failureText(r));
      done = r.data.attachment;
    }
    if (alive(key)) patch(key, { status: "done", progress: 1, attachment: done });
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
