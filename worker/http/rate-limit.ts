/**
 * Throttling across requests with the Workers rate-limiting binding (limits and periods
 * in wrangler.toml [[ratelimits]]). The binding's windows are 10 or 60 s; `Retry-After`
 * is the window.
 */
import type { Context } from "hono";
import { ApiErrorCode } from "../protocol";
import { HttpError } from "./errors";

export const AUTH_WINDOW_S = 60;

/** The client's address as Cloudflare saw it; one shared bucket when absent (local dev). */
export const clientIp = (c: Context) => c.req.header("cf-connecting-ip") ?? "unknown";

const tooMany = () =>
  new HttpError(429, ApiErrorCode.RATE_LIMITED, `too many attempts; try again in ${AUTH_WINDOW_S} seconds`, {
    "Retry-After": String(AUTH_WINDOW_S),
  });

/** Throws 429 with Retry-After unless every (binding, key) pair has room. */
export async function limitOrThrow(pairs: ReadonlyArray<readonly [RateLimit, string]>): Promise<void> {
  for (const [binding, key] of pairs) {
    const { success } = await binding.limit({ key });
    if (!success) throw tooMany();
  }
}

/**
 * Login throttling an attacker cannot turn against the account's owner. Before the
 * password is checked: per address, and per username *from that address*, so that guesses
 * from elsewhere never use up the owner's tries.
 */
export function limitLoginAttempt(c: Context<{ Bindings: Env }>, username: string): Promise<void> {
  const ip = clientIp(c);
  return limitOrThrow([
    [c.env.AUTH_IP_LIMITER, `login:${ip}`],
    [c.env.LOGIN_USER_LIMITER, `login:${username}:${ip}`],
  ]);
}

/**
 * After the password is checked: the looser per-username ceiling over every address. Each
 * wrong password is charged to it, and so is a right one from an address that failed
 * recently; once it is spent they are answered 429 alike, so a spent ceiling does not tell
 * a right guess from a wrong one. A right password from an address with no recent failure
 * never touches it: a distributed attack cannot lock the owner out.
 *
 * "Failed recently" is LOGIN_FAILED_MARK (limit 1 per window): a failure calls it, so any
 * later call in the window is refused. Asking calls it too, so a second login from the same
 * address within the window is charged to the ceiling as well (refused only while it is spent).
 */
export async function settleLogin(c: Context<{ Bindings: Env }>, username: string, passwordOk: boolean): Promise<void> {
  const key = `login:${username}:${clientIp(c)}`;
  const clean = (await c.env.LOGIN_FAILED_MARK.limit({ key })).success;
  if (passwordOk && clean) return;
  await limitOrThrow([[c.env.LOGIN_USER_CEILING, `login:${username}`]]);
}
