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

/** The largest JSON body an API route reads, in bytes. */
export const MAX_JSON_BODY = 16 * 1024;

const tooLarge = () => new HttpError(413, ApiErrorCode.TOO_LARGE, `request body is too large (at most ${MAX_JSON_BODY / 1024} KiB)`);

/**
 * Reads a JSON body of at most MAX_JSON_BODY bytes, or throws: 413 when it is larger (a
 * declared Content-Length over the limit is refused before a byte is read, and an
 * undeclared one is read only up to the limit), 400 when it is not JSON.
 */
export async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/json")) throw badRequest("expected a JSON body (content-type: application/json)");
  const declared = Number(c.req.header("content-length") ?? 0);
  if (declared > MAX_JSON_BODY) throw tooLarge();
  const text = await readAtMost(c.req.raw, MAX_JSON_BODY);
  try {
    return text === "" ? {} : JSON.parse(text);
  } catch {
    throw badRequest("request body is not valid JSON");
  }
}

/** The body as text, read chunk by chunk and abandoned as soon as it passes `max` bytes (413). */
async function readAtMost(req: Request, max: number): Promise<string> {
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
