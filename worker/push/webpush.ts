/**
 * Web Push on WebCrypto alone (no Node library): the payload encryption of RFC 8291
 * (`aes128gcm`, RFC 8188 with one record) and the VAPID authorization of RFC 8292 (an
 * ES256 JWT). Pure: no I/O but the random numbers, so the tests decrypt what it makes
 * (test/support/push-service.mjs implements the receiving side).
 */
import { fromBase64Url, toBase64Url } from "../protocol";

/** RFC 8188 record size we declare; one record carries the whole payload. */
export const RECORD_SIZE = 4096;
/** Largest payload that fits the one record: rs − 16 (GCM tag) − 1 (delimiter). */
export const MAX_PAYLOAD = RECORD_SIZE - 16 - 1;
/** An uncompressed P-256 point (0x04 ‖ x ‖ y), as browsers give `p256dh`. */
export const P256_POINT_BYTES = 65;
/** The subscription's authentication secret. */
export const AUTH_SECRET_BYTES = 16;

const enc = new TextEncoder();

const concat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};

/** HKDF-SHA-256 (extract and expand) to `bytes` bytes. */
export async function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, bytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", concat(ikm), "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: concat(salt), info: concat(info) }, key, bytes * 8));
}

/**
 * ECDH's parameters. workers-types spells the peer key `$public` (a generator quirk); the
 * runtime, like the WebCrypto spec, reads `public`.
 */
const ecdhWith = (peer: CryptoKey) => ({ name: "ECDH", public: peer }) as unknown as SubtleCryptoDeriveKeyAlgorithm;

/**
 * The content key and nonce both sides derive (RFC 8291 §3.4): from the ECDH secret, the
 * auth secret and both public keys, then RFC 8188's CEK and NONCE under the record's salt.
 */
export async function contentKeys(o: {
  ecdhSecret: Uint8Array<ArrayBuffer>;
  authSecret: Uint8Array<ArrayBuffer>;
  uaPublic: Uint8Array<ArrayBuffer>;
  asPublic: Uint8Array<ArrayBuffer>;
  salt: Uint8Array<ArrayBuffer>;
}): Promise<{ cek: Uint8Array<ArrayBuffer>; nonce: Uint8Array<ArrayBuffer> }> {
  const keyInfo = concat(enc.encode("WebPush: info\0"), o.uaPublic, o.asPublic);
  const ikm = await hkdf(o.authSecret, o.ecdhSecret, keyInfo, 32);
  const cek = await hkdf(o.salt, ikm, enc.encode("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(o.salt, ikm, enc.encode("Content-Encoding: nonce\0"), 12);
  return { cek, nonce };
}

/**
 * Encrypts `payload` for a subscription (its `p256dh` and `auth`, raw bytes): a fresh
 * ephemeral key pair and salt per message. The body is the aes128gcm header (salt ‖ rs ‖
 * idlen ‖ the ephemeral public key) and one record (payload ‖ 0x02, sealed).
 */
export async function encryptPayload(payload: Uint8Array, p256dh: Uint8Array, auth: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  if (payload.byteLength > MAX_PAYLOAD) throw new Error(`push payload over ${MAX_PAYLOAD} bytes`);
  const uaPublic = concat(p256dh);
  const ua = await crypto.subtle.importKey("raw", uaPublic, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const as = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
  const asPublic = new Uint8Array((await crypto.subtle.exportKey("raw", as.publicKey)) as ArrayBuffer);
  const ecdhSecret = new Uint8Array(await crypto.subtle.deriveBits(ecdhWith(ua), as.privateKey, 256));
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const { cek, nonce } = await contentKeys({ ecdhSecret, authSecret: concat(auth), uaPublic, asPublic, salt });
  const key = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["encrypt"]);
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, key, concat(payload, Uint8Array.of(2))));
  const rs = new Uint8Array(4);
  new DataView(rs.buffer).setUint32(0, RECORD_SIZE);
  return concat(salt, rs, Uint8Array.of(asPublic.byteLength), asPublic, sealed);
}

/** The server's VAPID key pair: the public key as browsers take it, the private key for signing. */
export interface Vapid {
  /** base64url of the uncompressed P-256 point (PushManager.subscribe's applicationServerKey). */
  publicKey: string;
  key: CryptoKey;
  /** A `mailto:` or `https:` contact for the push services. */
  subject: string;
}

/**
 * Imports the VAPID keys as stored in secrets: VAPID_PUBLIC_KEY (base64url, 65-byte point)
 * and VAPID_PRIVATE_KEY (base64url, the 32-byte scalar d), the format `web-push` and most
 * tools print. Null when either is missing or malformed.
 */
export async function importVapid(publicKey: string | undefined, privateKey: string | undefined, subject: string | undefined): Promise<Vapid | null> {
  const pub = publicKey ? fromBase64Url(publicKey) : null;
  const d = privateKey ? fromBase64Url(privateKey) : null;
  if (!pub || !d || pub.byteLength !== P256_POINT_BYTES || pub[0] !== 4 || d.byteLength !== 32) return null;
  const jwk: JsonWebKey = { kty: "EC", crv: "P-256", d: toBase64Url(d), x: toBase64Url(pub.slice(1, 33)), y: toBase64Url(pub.slice(33)), ext: false };
  try {
    const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    return { publicKey: toBase64Url(pub), key, subject: subject || "mailto:admin@localhost" };
  } catch {
    return null;
  }
}

/** How long a VAPID token is good for (RFC 8292: at most 24 h). */
export const VAPID_TTL_S = 12 * 3600;

/** The `Authorization` header for a push to `endpoint`: `vapid t=<ES256 JWT>, k=<public key>`. */
export async function vapidAuthorization(vapid: Vapid, endpoint: string, nowMs: number): Promise<string> {
  const b64json = (o: unknown) => toBase64Url(enc.encode(JSON.stringify(o)));
  const claims = { aud: new URL(endpoint).origin, exp: Math.floor(nowMs / 1000) + VAPID_TTL_S, sub: vapid.subject };
  const unsigned = `${b64json({ typ: "JWT", alg: "ES256" })}.${b64json(claims)}`;
  // WebCrypto's ECDSA signature is r ‖ s (64 bytes): exactly JWS's ES256 form.
  const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, vapid.key, enc.encode(unsigned)));
  return `vapid t=${unsigned}.${toBase64Url(sig)}, k=${vapid.publicKey}`;
}

export type Urgency = "very-low" | "low" | "normal" | "high";

export interface PushRequest {
  endpoint: string;
  p256dh: Uint8Array;
  auth: Uint8Array;
  payload: Uint8Array;
  /** Seconds the push service keeps the message for an offline device. */
  ttl: number;
  urgency: Urgency;
  /** Replaces an undelivered push with the same topic (≤ 32 base64url characters). */
  topic?: string;
}

/** The request to the push service for one subscription (not sent: the caller fetches it). */
export async function pushRequest(vapid: Vapid, p: PushRequest, nowMs: number): Promise<Request> {
  const headers: Record<string, string> = {
    authorization: await vapidAuthorization(vapid, p.endpoint, nowMs),
    "content-encoding": "aes128gcm",
    "content-type": "application/octet-stream",
    ttl: String(p.ttl),
    urgency: p.urgency,
  };
  if (p.topic !== undefined) headers.topic = p.topic;
  return new Request(p.endpoint, { method: "POST", headers, body: await encryptPayload(p.payload, p.p256dh, p.auth) });
}
