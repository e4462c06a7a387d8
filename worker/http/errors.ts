import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";
import { ApiErrorCode, type ApiError } from "../protocol";

/** An expected failure with a status, a stable code and a message safe to show. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ApiErrorCode,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new HttpError(400, ApiErrorCode.BAD_REQUEST, message);
export const unauthorized = (message = "sign in first") => new HttpError(401, ApiErrorCode.UNAUTHORIZED, message);
export const forbidden = (message = "you are not a member of this room") => new HttpError(403, ApiErrorCode.FORBIDDEN, message);
export const conflict = (message: string) => new HttpError(409, ApiErrorCode.CONFLICT, message);
export const notFound = (message = "not found") => new HttpError(404, ApiErrorCode.NOT_FOUND, message);
export const tooManyRequests = (message: string, retryAfterS: number) =>
  new HttpError(429, ApiErrorCode.RATE_LIMITED, message, { "Retry-After": String(retryAfterS) });

/** The JSON response for `err` where there is no Hono context: a room object answering the upgrade the Worker forwarded. */
export function errorJson(err: HttpError): Response {
  const body: ApiError = { error: { code: err.code, message: err.message } };
  return Response.json(body, { status: err.status, headers: err.headers });
}

/** Every API error leaves as `{ error: { code, message } }`; never a stack or SQL. */
export function errorResponse(err: unknown, c: Context): Response {
  if (err instanceof HttpError) {
    const body: ApiError = { error: { code: err.code, message: err.message } };
    return c.json(body, err.status, err.headers);
  }
  console.error("unhandled error", c.req.method, c.req.path, err);
  const body: ApiError = { error: { code: ApiErrorCode.INTERNAL, message: "something went wrong" } };
  return c.json(body, 500);
}

/** Parses `input` with `schema` or throws a 400 naming the first problem. */
export function parseOr400<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const r = v.safeParse(schema, input);
  if (r.success) return r.output;
  const issue = r.issues[0];
  const path = v.getDotPath(issue);
  throw badRequest(path ? `${path}: ${issue.message}` : issue.message);
}

/** Reads a JSON body (≤ 16 KiB) or throws a 400. */
export async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/json")) throw badRequest("expected a JSON body (content-type: application/json)");
  const text = await c.req.text();
  if (text.length > 16 * 1024) throw badRequest("request body is too large");
  try {
    return text === "" ? {} : JSON.parse(text);
  } catch {
    throw badRequest("request body is not valid JSON");
  }
}
