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
}
declare namespace Cloudflare {
  interface Env extends __Secrets_Env {}
}
interface Env extends __Secrets_Env {}
