/** Helpers for the media and reaction tests: uploads through the real routes. */
import type { Attachment, CreateUploadResponse, UploadDoneResponse, UploadPartResponse } from "../protocol";
import { api } from "./helpers";

/** Deterministic bytes (not all zero, so a shifted range shows). */
export function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3, 4]);
export const WEBP = new Uint8Array([...new TextEncoder().encode("RIFF"), 0, 0, 0, 0, ...new TextEncoder().encode("WEBPVP8 "), 9, 9, 9]);

export const path = (roomId: string, rest = "") => `/api/rooms/${roomId}${rest}`;

export async function createUpload(
  roomId: string,
  cookie: string,
  meta: { name: string; type: string; size: number; width?: number; height?: number; durationMs?: number },
): Promise<Response> {
  return api(path(roomId, "/uploads"), { method: "POST", cookie, body: JSON.stringify(meta) });
}

export function putBytes(url: string, cookie: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return api(url, {
    method: "PUT",
    cookie,
    body,
    headers: { "content-type": "application/octet-stream", "content-length": String(body.length), ...headers },
  });
}

/** A whole upload (single or multipart, as the server says); returns the attachment. */
export async function upload(
  roomId: string,
  cookie: string,
  name: string,
  type: string,
  data: Uint8Array,
  extra: { width?: number; height?: number; thumb?: Uint8Array } = {},
): Promise<Attachment> {
  const { thumb, ...dims } = extra;
  const res = await createUpload(roomId, cookie, { name, type, size: data.length, ...dims });
  if (res.status !== 201) throw new Error(`create upload: ${res.status} ${await res.text()}`);
  const u = (await res.json()) as CreateUploadResponse;
  const base = path(roomId, `/uploads/${u.id}`);
  if (thumb) {
    const t = await putBytes(`${base}/thumb`, cookie, thumb, { "content-type": "image/webp" });
    if (t.status !== 204) throw new Error(`thumb: ${t.status} ${await t.text()}`);
  }
  if (u.mode === "single") {
    const r = await putBytes(base, cookie, data);
    if (r.status !== 200) throw new Error(`put: ${r.status} ${await r.text()}`);
    return ((await r.json()) as UploadDoneResponse).attachment;
  }
  const parts: UploadPartResponse[] = [];
  for (let n = 1; n <= u.parts; n++) {
    const r = await putBytes(`${base}/parts/${n}`, cookie, data.subarray((n - 1) * u.partSize, n * u.partSize));
    if (r.status !== 200) throw new Error(`part ${n}: ${r.status} ${await r.text()}`);
    parts.push(await r.json());
  }
  const r = await api(`${base}/complete`, { method: "POST", cookie, body: JSON.stringify({ parts }) });
  if (r.status !== 200) throw new Error(`complete: ${r.status} ${await r.text()}`);
  return ((await r.json()) as UploadDoneResponse).attachment;
}

export function download(roomId: string, id: string, cookie: string | undefined, headers: Record<string, string> = {}, thumb = false) {
  return api(path(roomId, `/attachments/${id}${thumb ? "/thumb" : ""}`), { cookie, headers });
}
