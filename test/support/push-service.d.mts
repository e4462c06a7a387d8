/** Types for push-service.mjs (plain ESM so that node scripts, the workerd tests and the e2e tests share it). */

export interface Subscriber {
  /** base64url of the uncompressed P-256 public point. */
  p256dh: string;
  /** base64url of the 16-byte auth secret. */
  auth: string;
  privateKey: CryptoKey;
}

export interface RecordedPush {
  headers: Record<string, string | undefined>;
  /** base64url of the encrypted body. */
  body: string;
  at: number;
  /** The decrypted payload, for the service's own subscribers. */
  text?: string;
}

export interface PushService {
  url: string;
  close(): Promise<void>;
}

export function b64url(bytes: Uint8Array): string;
export function unb64url(s: string): Uint8Array<ArrayBuffer>;
export function subscriber(): Promise<Subscriber>;
export function decryptPush(body: Uint8Array, sub: Subscriber): Promise<Uint8Array>;
export function verifyVapid(authorization: string | null | undefined, publicKey: string, audience: string, nowMs?: number): Promise<{ aud: string; exp: number; sub: string }>;
export function vapidKeys(): Promise<{ publicKey: string; privateKey: string }>;
export function startPushService(o?: { host?: string; port?: number; log?: (line: string) => void }): Promise<PushService>;
