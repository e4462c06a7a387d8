/**
 * Media helpers shared by the upload/download routes, the room object and the
 * sweep: R2 keys (one helper, room-scoped), file-name and type sanitizing, image
 * magic-byte sniffing, and the headers every piece of user content is served with.
 */
import { MAX_FILE_NAME, isInlineType } from "../protocol";

/** The one place R2 keys are made: `rooms/<roomId>/<attachmentId>` and its thumbnail `…/thumb`. */
export function mediaKey(roomId: string, attachmentId: string, thumb = false): string {
  return `rooms/${roomId}/${attachmentId}${thumb ? "/thumb" : ""}`;
}

/** The part after any path, without control/format characters, trimmed, at most MAX_FILE_NAME; "file" if nothing is left. */
export function sanitizeFileName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? "";
  const clean = base
    .replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^\.+/, "");
  const capped = [...clean].reduce((s, ch) => (s.length + ch.length <= MAX_FILE_NAME ? s + ch : s), "");
  return capped || "file";
}

const TOKEN = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;
/** A claimed content type lowercased without parameters, or application/octet-stream when it is not one. */
export function sanitizeType(raw: string): string {
  const t = raw.split(";")[0]!.trim().toLowerCase();
  return TOKEN.test(t) && t.length <= 127 ? t : "application/octet-stream";
}

export const OCTET = "application/octet-stream";
const SNIFFED = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/** The image type the first bytes show (PNG, JPEG, GIF, WebP), or null. */
export function sniffImage(b: Uint8Array): string | null {
  const at = (i: number, ...xs: number[]) => xs.every((x, j) => b[i + j] === x);
  const ascii = (i: number, s: string) => at(i, ...[...s].map((c) => c.charCodeAt(0)));
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (at(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  if (ascii(0, "GIF87a") || ascii(0, "GIF89a")) return "image/gif";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "image/webp";
  return null;
}

/** Bytes to read for sniffImage. */
export const SNIFF_BYTES = 16;

/**
 * The type to store for a claimed type and the file's first bytes: a claimed PNG/JPEG/GIF/WebP
 * whose bytes are not that image is a plain file (application/octet-stream), never inline.
 */
export function settleType(claimed: string, head: Uint8Array): string {
  if (!SNIFFED.includes(claimed)) return claimed;
  return sniffImage(head) === claimed ? claimed : OCTET;
}

/** RFC 5987 encoding for `filename*=UTF-8''…`. */
function rfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Headers for user content: inline only for the allow-list (never SVG or HTML), everything
 * else a download as application/octet-stream; always nosniff and a sandboxing CSP.
 */
export function contentHeaders(type: string, name: string, etag: string): Headers {
  const inline = isInlineType(type);
  return new Headers({
    "content-type": inline ? type : OCTET,
    "content-disposition": `${inline ? "inline" : "attachment"}; filename*=UTF-8''${rfc5987(name)}`,
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "private, max-age=86400",
    "accept-ranges": "bytes",
    etag,
  });
}

export type ByteRange = { offset: number; length: number };

/**
 * Parses a Range header against an object of `size` bytes: null to serve it whole
 * (no header, or one we do not honour such as several ranges), "unsatisfiable" for 416.
 */
export function parseRange(header: string | undefined | null, size: number): ByteRange | null | "unsatisfiable" {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a, b] = m;
  if (a === "" && b === "") return null;
  if (a === "") {
    const n = Number(b);
    if (n === 0 || size === 0) return "unsatisfiable";
    const length = Math.min(n, size);
    return { offset: size - length, length };
  }
  const start = Number(a);
  if (start >= size) return "unsatisfiable";
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return null;
  return { offset: start, length: end - start + 1 };
}
