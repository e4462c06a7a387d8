/**
 * CSRF and cross-site WebSocket hijacking defence: cookie-authenticated requests
 * that change state, and every WebSocket upgrade, must carry an `Origin` equal to
 * this site's own. Browsers always send it on such requests, so a missing Origin
 * is refused too (non-browser clients can simply set it).
 *
 * "This site" is SITE_ORIGIN from [vars] when set: a script (not a browser) can send any
 * `Host` with a matching `Origin`, so the request's own URL proves nothing about the site.
 * Empty, it is the request's origin: fine for local development, and on Cloudflare, where
 * only the hostnames routed to this Worker reach it.
 */
import type { MiddlewareHandler } from "hono";
import { ApiErrorCode } from "../protocol";
import { HttpError } from "./errors";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export const sameOrigin: MiddlewareHandler<{ Bindings: Pick<Env, "SITE_ORIGIN"> }> = async (c, next) => {
  const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
  if (SAFE.has(c.req.method) && !upgrade) return next();
  const origin = c.req.header("origin");
  if (origin !== siteOrigin(c.env.SITE_ORIGIN, c.req.url)) {
    throw new HttpError(
      403,
      ApiErrorCode.FORBIDDEN,
      upgrade ? "cross-site WebSocket upgrade refused" : "cross-site request refused: Origin must be this site",
    );
  }
  return next();
};

/** The site's origin: the configured one, else the request's (see above). */
export function siteOrigin(configured: string | undefined, url: string): string {
  return configured ? new URL(configured).origin : new URL(url).origin;
}
