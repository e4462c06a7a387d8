/**
 * A local Web Push service: the receiving side of RFC 8291 / RFC 8292, written on WebCrypto
 * alone, independently of worker/push/webpush.ts (so that a shared mistake cannot pass).
 *
 * - `subscriber()` makes what a browser makes when it subscribes: a P-256 key pair and a
 *   16-byte auth secret.
 * - `decryptPush(body, sub)` opens an `aes128gcm` body with the subscriber's private key.
 * - `verifyVapid(authorization, publicKey)` checks the ES256 JWT of `vapid t=…, k=…`.
 * - `startPushService()` is a loopback HTTP endpoint for tests and `npm start`:
 *     POST /push/<id>   a push: recorded (headers, body); decrypted when <id> is one of its
 *                       own subscribers; answered 201, or 410 for ids starting "gone",
 *                       404 for ids starting "missing" (an expired subscription)
 *     GET  /push/<id>   the pushes recorded for <id> (JSON; bodies base64url; `text` when decrypted)
 *     POST /subscribe   a new subscriber of its own: the PushSubscription JSON to register
 *                       (POST /api/push/subscriptions) so pushes to it are decrypted and logged
 *
 * Runs in Node (≥ 20) and in workerd (the tests import it there too).
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

export const b64url = (bytes) => {
  let s = "";
  for (const x of bytes) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
export const unb64url = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

const join = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};

/** What a browser keeps for one subscription: the key pair and the auth secret (keys base64url). */
export async function subscriber() {
  const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const p256dh = b64url(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
  const auth = b64url(crypto.getRandomValues(new Uint8Array(16)));
  return { p256dh, auth, privateKey: pair.privateKey };
}

async function hkdfBits(salt, ikm, info, bytes) {
  const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, bytes * 8));
}

/**
 * Decrypts an `aes128gcm` push body (RFC 8188 header, one record) for `sub` ({ p256dh, auth,
 * privateKey }). Throws on anything malformed: a wrong key fails the GCM tag.
 */
export async function decryptPush(body, sub) {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const salt = body.slice(0, 16);
  const rs = view.getUint32(16);
  const idlen = body[20];
  const asPublic = body.slice(21, 21 + idlen);
  const record = body.slice(21 + idlen);
  if (idlen !== 65 || record.byteLength > rs) throw new Error(`bad aes128gcm header (idlen ${idlen}, rs ${rs}, record ${record.byteLength})`);
  const as = await crypto.subtle.importKey("raw", asPublic, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const ecdh = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: as }, sub.privateKey, 256));
  const uaPublic = unb64url(sub.p256dh);
  const ikm = await hkdfBits(unb64url(sub.auth), ecdh, join(enc.encode("WebPush: info\0"), uaPublic, asPublic), 32);
  const cek = await hkdfBits(salt, ikm, enc.encode("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdfBits(salt, ikm, enc.encode("Content-Encoding: nonce\0"), 12);
  const key = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["decrypt"]);
  const padded = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, record));
  // The last record ends in 0x02, then zero padding: strip from the end.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("missing the last-record delimiter");
  return padded.slice(0, end);
}

/**
 * Checks `vapid t=<jwt>, k=<key>`: k is `publicKey`, the JWT is ES256 over its header and
 * claims and verifies with that key, its `aud` is `audience`, it has not expired and
 * expires within 24 h. Returns the claims.
 */
export async function verifyVapid(authorization, publicKey, audience, nowMs = Date.now()) {
  const m = /^vapid t=([\w-]+)\.([\w-]+)\.([\w-]+), k=([\w-]+)$/.exec(authorization ?? "");
  if (!m) throw new Error(`not a vapid authorization: ${authorization}`);
  const [, h, c, s, k] = m;
  if (k !== publicKey) throw new Error("k is not the server's public key");
  const header = JSON.parse(dec.decode(unb64url(h)));
  if (header.alg !== "ES256") throw new Error(`alg ${header.alg}`);
  const raw = unb64url(k);
  const key = await crypto.subtle.importKey(
    "jwk",
    { kty: "EC", crv: "P-256", x: b64url(raw.slice(1, 33)), y: b64url(raw.slice(33)) },
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
  const ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, unb64url(s), enc.encode(`${h}.${c}`));
  if (!ok) throw new Error("the JWT's signature does not verify");
  const claims = JSON.parse(dec.decode(unb64url(c)));
  const now = nowMs / 1000;
  if (claims.aud !== audience) throw new Error(`aud ${claims.aud}, expected ${audience}`);
  if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw new Error(`exp ${claims.exp} out of range`);
  if (typeof claims.sub !== "string" || !/^(mailto:|https:)/.test(claims.sub)) throw new Error(`sub ${claims.sub}`);
  return claims;
}

/** A fresh VAPID key pair in the secrets' format: base64url raw public point and private scalar d. */
export async function vapidKeys() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"]);
  const publicKey = b64url(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
  const { d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { publicKey, privateKey: d };
}

/**
 * Starts the loopback push service (Node only). `log` gets one line per push received.
 * Resolves to { url, close() }.
 */
export async function startPushService({ host = "127.0.0.1", port = 0, log = () => {} } = {}) {
  const { createServer } = await import("node:http");
  /** id → pushes received; id → own subscriber. */
  const pushes = new Map();
  const own = new Map();
  let url = "";
  const server = createServer(async (req, res) => {
    const reply = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    try {
      const path = new URL(req.url ?? "/", url).pathname;
      if (req.method === "POST" && path === "/subscribe") {
        const id = b64url(crypto.getRandomValues(new Uint8Array(12)));
        const sub = await subscriber();
        own.set(id, sub);
        return reply(201, { endpoint: `${url}/push/${id}`, keys: { p256dh: sub.p256dh, auth: sub.auth } });
      }
      const m = /^\/push\/([\w-]{1,64})$/.exec(path);
      if (!m) return reply(404, { error: "no such path" });
      const id = m[1];
      if (req.method === "GET") return reply(200, pushes.get(id) ?? []);
      if (req.method !== "POST") return reply(405, { error: "POST or GET" });
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const body = new Uint8Array(Buffer.concat(chunks));
      const entry = { headers: req.headers, body: b64url(body), at: Date.now() };
      const sub = own.get(id);
      if (sub) {
        entry.text = dec.decode(await decryptPush(body, sub));
        log(`push to ${id} (${req.headers.topic ?? "no topic"}): ${entry.text}`);
      }
      pushes.set(id, [...(pushes.get(id) ?? []), entry]);
      if (id.startsWith("gone")) return reply(410, { error: "gone" });
      if (id.startsWith("missing")) return reply(404, { error: "no such subscription" });
      return reply(201);
    } catch (err) {
      reply(400, { error: String(err) });
    }
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  url = `http://${host}:${server.address().port}`;
  server.unref();
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}
