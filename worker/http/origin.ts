/**
 * CSRF and cross-site WebSocket hijacking defence: cookie-authenticated requests
 * that change state, and every WebSocket upgrade, must carry an `Origin` equal to
 * this site's own. Browsers always send it on such requests, so a missing Origin
 * is refused too (non-browser clients can simply set it).
 */
import type { MiddlewareHandler } from "hono";
import { ApiErrorCode } from "../protocol";
import { HttpError } from "./errors";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export const sameOrigin: MiddlewareHandler = async (c, next) => {
  const upgrade = c.req.header("upgrade")?.toLowerCase() === "websocket";
  if (SAFE.has(c.req.method) && !upgrade) return next();
  const origin = c.req.header("origin");
  if (origin !== new URL(c.req.url).origin) {
    throw new HttpError(
      403,
      ApiErrorCode.FORBIDDEN,
      upgrade ? "cross-site WebSocket upgrade refused" : "cross-site request refused: Origin must be this site",
    );
  }
  return next();
};
