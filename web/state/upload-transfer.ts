/**
 * The bytes of one chip, in a chunk of its own (loaded with the first file attached: the
 * composer's uploads in uploads.ts say when): the image's size and WebP thumbnail decoded in the
 * browser, the create, the thumbnail and the bytes in one PUT or in parts (XMLHttpRequest, for
 * progress), the completion. A chip cancelled meanwhile stops it (`alive`), and an upload the
 * server made for it is deleted.
 */
import * as v from "valibot";
import { ApiError, MAX_THUMB_BYTES, UploadDoneResponse, UploadPartResponse, type Attachment, type CreateUploadBody } from "../../worker/protocol";
import { api, failureText, roomPath, type ApiResult } from "../api";
import type { UploadItem } from "./uploads";

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

/** PUT of raw bytes with upload progress (XMLHttpRequest: fetch has none). */
function putBytes(
  path: string,
  body: Blob,
  onProgress: (loaded: number) => void,
  signal: AbortSignal,
): Promise<ApiResult<unknown>> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", path);
    xhr.setRequestHeader("content-type", body.type || "application/octet-stream");
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    const fail = (code: string, message: string) => resolve({ ok: false, status: xhr.status, code, message });
    xhr.onload = () => {
      let json: unknown = null;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve({ ok: true, data: json });
      const err = v.safeParse(ApiError, json);
      if (err.success) resolve({ ok: false, status: xhr.status, ...err.output.error });
      else fail("http_" + xhr.status, xhr.statusText || "upload failed");
    };
    xhr.onerror = () => resolve({ ok: false, status: 0, code: "network", message: "network error" });
    xhr.onabort = () => resolve({ ok: false, status: 0, code: "aborted", message: "cancelled" });
    if (signal.aborted) return xhr.onabort(new ProgressEvent("abort"));
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

const uploadPath = (roomId: string, aid: string, suffix = "") =>
  `${roomPath(roomId)}/uploads/${encodeURIComponent(aid)}${suffix}`;

/** One chip's upload, as its store hands it over. */
export type TransferJob = {
  roomId: string;
  file: File;
  extra: { durationMs?: number };
  /** Aborted when the chip is cancelled. */
  signal: AbortSignal;
  /** The chip is still there. */
  alive(): boolean;
  patch(p: Partial<UploadItem>): void;
  /** The server made the upload: its id (what a cancel deletes). */
  created(id: string): void;
};

export async function transfer(job: TransferJob): Promise<void> {
  const { file, roomId, signal } = job;
  const type = file.type || "application/octet-stream";
  const body: CreateUploadBody = { name: file.name || "file", type, size: file.size, ...job.extra };
  const img = type.startsWith("image/") && type !== "image/svg+xml" ? await imageInfo(file) : null;
  if (img) {
    body.width = img.width;
    body.height = img.height;
    // The chip's preview is the thumbnail as a data: URL (the page's CSP allows no blob: images).
    if (img.thumb) {
      const url = await dataUrl(img.thumb);
      if (url && job.alive()) job.patch({ preview: url });
    }
  }
  if (!job.alive()) return;
  const fail = (message: string) => {
    if (job.alive()) job.patch({ status: "failed", error: message });
  };
  // Not aborted with the rest: if the server made the upload, a cancel meanwhile DELETEs it below.
  const created = await api.createUpload(roomId, body);
  if (!created.ok) return fail(failureText(created));
  const up = created.data;
  job.created(up.id);
  if (!job.alive()) return void api.cancelUpload(roomId, up.id);
  if (img?.thumb) {
    // A thumbnail is a nicety: the upload goes on without one.
    await putBytes(uploadPath(roomId, up.id, "/thumb"), img.thumb, () => {}, signal);
  }
  let done: Attachment | null = null;
  if (up.mode === "single") {
    const r = await putBytes(uploadPath(roomId, up.id), file, (l) => job.patch({ progress: l / file.size }), signal);
    if (!r.ok) return signal.aborted ? undefined : fail(failureText(r));
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
        (l) => job.patch({ progress: (start + l) / file.size }),
        signal,
      );
      if (!r.ok) return signal.aborted ? undefined : fail(failureText(r));
      const parsed = v.safeParse(UploadPartResponse, r.data);
      if (!parsed.success) return fail("Unexpected answer from the server.");
      parts.push(parsed.output);
    }
    const r = await api.completeUpload(roomId, up.id, { parts }, signal);
    if (!r.ok) return signal.aborted ? undefined : fail(failureText(r));
    done = r.data.attachment;
  }
  if (job.alive()) job.patch({ status: "done", progress: 1, attachment: done });
}
