/**
 * Password hashing with PBKDF2-SHA-256 through WebCrypto.
 *
 * Production Workers cap PBKDF2 at 100,000 iterations (local workerd does not, so
 * a test pins PARAMS within the cap). The parameters are stored with each hash,
 * `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`, so raising them later only
 * needs `needsRehash` on the next successful login.
 */
export const PBKDF2_MAX_ITERATIONS = 100_000;
export const PARAMS = { iterations: 100_000, saltBytes: 16, hashBytes: 32 } as const;

const enc = new TextEncoder();
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const unb64 = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));

async function derive(password: string, salt: Uint8Array, iterations: number, bytes: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password.normalize("NFKC")), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, bytes * 8);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, params: { iterations: number; saltBytes: number; hashBytes: number } = PARAMS): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(params.saltBytes));
  const hash = await derive(password, salt, params.iterations, params.hashBytes);
  return `pbkdf2-sha256$${params.iterations}$${b64(salt)}$${b64(hash)}`;
}

export interface Verdict {
  ok: boolean;
  /** The stored hash uses weaker parameters than PARAMS: store a fresh one. */
  needsRehash: boolean;
}

/** Checks `password` against a stored hash in constant time. Unknown formats never match. */
export async function verifyPassword(password: string, stored: string): Promise<Verdict> {
  const [scheme, iter, saltB64, hashB64] = stored.split("$");
  const iterations = Number(iter);
  if (scheme !== "pbkdf2-sha256" || !Number.isInteger(iterations) || iterations < 1 || iterations > PBKDF2_MAX_ITERATIONS || !saltB64 || !hashB64) {
    return { ok: false, needsRehash: false };
  }
  const expected = unb64(hashB64);
  const actual = await derive(password, unb64(saltB64), iterations, expected.length);
  const ok = actual.length === expected.length && crypto.subtle.timingSafeEqual(actual, expected);
  return { ok, needsRehash: ok && (iterations < PARAMS.iterations || expected.length < PARAMS.hashBytes) };
}

/**
 * A hash of a random password, verified against when the username does not exist,
 * so that "no such user" takes as long as "wrong password".
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(crypto.randomUUID());
  return decoy;
}
