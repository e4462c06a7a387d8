/**
 * Room ids are 128 random bits in base64url (22 chars): unguessable, never sequential.
 * Used by the Worker to make ids and by both sides to reject malformed ones early.
 */
export const ROOM_ID_RE = /^[A-Za-z0-9_-]{22}$/;

export function isRoomId(s: string): boolean {
  return ROOM_ID_RE.test(s);
}

/** A fresh random id of `bytes` random bytes, base64url without padding. */
export function randomId(bytes = 16): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Bytes as base64url without padding (ids, Web Push keys). */
export function toBase64Url(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** base64url (padding optional) to bytes; null when it is not base64url. */
export function fromBase64Url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s)) return null;
  try {
    const bin = atob(s.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
