/**
 * Web Push crypto (worker/push/webpush.ts) checked by the receiving side, written
 * independently (test/support/push-service.mjs): what the Worker encrypts, a browser's
 * key pair decrypts; the VAPID JWT verifies against the public key.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { MAX_PAYLOAD, RECORD_SIZE, encryptPayload, importVapid, pushRequest, vapidAuthorization } from "../push/webpush";
import { fromBase64Url } from "../protocol";
import { decryptPush, subscriber, unb64url, verifyVapid, vapidKeys } from "../../test/support/push-service.mjs";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

describe("aes128gcm payload encryption (RFC 8291)", () => {
  it("decrypts with the subscription's private key and auth secret", async () => {
    const sub = await subscriber();
    const body = await encryptPayload(bytes('{"hello":"wörld"}'), unb64url(sub.p256dh), unb64url(sub.auth));
    // The header: salt (16), record size 4096, the 65-byte ephemeral key.
    expect(new DataView(body.buffer).getUint32(16)).toBe(RECORD_SIZE);
    expect(body[20]).toBe(65);
    expect(text(await decryptPush(body, sub))).toBe('{"hello":"wörld"}');
  });

  it("uses a fresh key and salt per message", async () => {
    const sub = await subscriber();
    const [a, b] = await Promise.all([1, 2].map(() => encryptPayload(bytes("same"), unb64url(sub.p256dh), unb64url(sub.auth))));
    expect(a!.slice(0, 86)).not.toEqual(b!.slice(0, 86));
  });

  it("cannot be opened by another subscription", async () => {
    const [sub, other] = [await subscriber(), await subscriber()];
    const body = await encryptPayload(bytes("secret"), unb64url(sub.p256dh), unb64url(sub.auth));
    await expect(decryptPush(body, { ...other, p256dh: sub.p256dh, auth: sub.auth })).rejects.toThrow();
    await expect(decryptPush(body, { ...sub, auth: other.auth })).rejects.toThrow();
  });

  it("takes a payload filling the one record, and refuses a larger one", async () => {
    const sub = await subscriber();
    const full = new Uint8Array(MAX_PAYLOAD).fill(120);
    const body = await encryptPayload(full, unb64url(sub.p256dh), unb64url(sub.auth));
    expect(await decryptPush(body, sub)).toEqual(full);
    await expect(encryptPayload(new Uint8Array(MAX_PAYLOAD + 1), unb64url(sub.p256dh), unb64url(sub.auth))).rejects.toThrow(/payload/);
  });
});

describe("VAPID (RFC 8292)", () => {
  it("signs an ES256 JWT for the push service's origin that verifies against the public key", async () => {
    const keys = await vapidKeys();
    const vapid = (await importVapid(keys.publicKey, keys.privateKey, "mailto:ops@chat.test"))!;
    const now = Date.now();
    const auth = await vapidAuthorization(vapid, "https://push.example.net/send/abc?x=1", now);
    const claims = await verifyVapid(auth, keys.publicKey, "https://push.example.net", now);
    expect(claims.sub).toBe("mailto:ops@chat.test");
    // Another key pair's public key does not verify it.
    const other = await vapidKeys();
    await expect(verifyVapid(auth.replace(keys.publicKey, other.publicKey), other.publicKey, "https://push.example.net", now)).rejects.toThrow(/signature/);
  });

  it("imports the keys the tests are configured with, and refuses malformed ones", async () => {
    expect(await importVapid(env.VAPID_PUBLIC_KEY, env.VAPID_PRIVATE_KEY, env.VAPID_SUBJECT)).not.toBeNull();
    expect(await importVapid(undefined, env.VAPID_PRIVATE_KEY, undefined)).toBeNull();
    expect(await importVapid(env.VAPID_PUBLIC_KEY, "not-a-key", undefined)).toBeNull();
    expect(await importVapid(env.VAPID_PRIVATE_KEY, env.VAPID_PRIVATE_KEY, undefined)).toBeNull();
  });

  it("a push request carries the encryption and delivery headers", async () => {
    const vapid = (await importVapid(env.VAPID_PUBLIC_KEY, env.VAPID_PRIVATE_KEY, env.VAPID_SUBJECT))!;
    const sub = await subscriber();
    const req = await pushRequest(
      vapid,
      { endpoint: "https://push.example.net/x", p256dh: fromBase64Url(sub.p256dh)!, auth: fromBase64Url(sub.auth)!, payload: bytes("hi"), ttl: 3600, urgency: "high", topic: "room1" },
      Date.now(),
    );
    expect(Object.fromEntries(["content-encoding", "ttl", "urgency", "topic"].map((h) => [h, req.headers.get(h)]))).toEqual({
      "content-encoding": "aes128gcm",
      ttl: "3600",
      urgency: "high",
      topic: "room1",
    });
    await verifyVapid(req.headers.get("authorization"), env.VAPID_PUBLIC_KEY!, "https://push.example.net");
    expect(text(await decryptPush(new Uint8Array(await req.arrayBuffer()), sub))).toBe("hi");
  });
});
