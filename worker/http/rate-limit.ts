/**
 * Login and signup throttling with the Workers rate-limiting binding (per IP and
 * per username). The binding's windows are 10 or 60 s; `Retry-After` is the window.
 */
import type { Context } from "hono";
import { ApiErrorCode } from "../protocol";
import { HttpError } from "./errors";

export const AUTH_WINDOW_S = 60;

/** The client's address as Cloudflare saw it; one shared bucket when absent (local dev). */
export const clientIp = (c: Context) => c.req.header("cf-connecting-ip") ?? "unknown";

/** Throws 429 with Retry-After unless every (binding, key) pair has room. */
export async function limitOrThrow(pairs: ReadonlyArray<readonly [RateLimit, string]>): Promise<void> {
  for (const [binding, key] of pairs) {
    const { success } = await binding.limit({ key });
    if (!success) {
      throw new HttpError(429, ApiErrorCode.RATE_LIMITED, `too many attempts; try again in ${AUTH_WINDOW_S} seconds`, {
        "Retry-After": String(AUTH_WINDOW_S),
      });
    }
  }
}
