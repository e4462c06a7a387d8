/**
 * Secrets: set with `wrangler secret put NAME` (production) or in `.dev.vars`
 * (local). `wrangler types` only sees [vars] in wrangler.toml, so they are
 * declared here, optional: the Worker must run without them.
 */
interface __Secrets_Env {
  /** coturn's static-auth-secret (`use-auth-secret`): TURN credentials are minted from it. Never sent to a browser. */
  TURN_SECRET?: string;
  /** Cloudflare Realtime TURN: the key's API token (with CF_TURN_KEY_ID in [vars]). Never sent to a browser. */
  CF_TURN_API_TOKEN?: string;
  /**
   * Web Push (RFC 8292): the server's P-256 key pair, base64url — the public key as the
   * 65-byte uncompressed point (browsers subscribe with it), the private key as the 32-byte
   * scalar. `npm start` generates both into .dev.vars on first run. Without them no push is sent.
   */
  VAPID_PUBLIC_KEY?: string;
  VAPID_PRIVATE_KEY?: string;
  /** A contact for push services, `mailto:` or `https:` (default mailto:admin@localhost). */
  VAPID_SUBJECT?: string;
}
declare namespace Cloudflare {
  interface Env extends __Secrets_Env {}
}
interface Env extends __Secrets_Env {}
