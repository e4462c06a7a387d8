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
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
