/**
 * Typed calls to the Worker's /api/*. Every response body is parsed with the shared
 * protocol schema (parse, never cast); failures come back as values, not exceptions.
 */
import * as v from "valibot";
import {
  ApiError,
  HistoryResponse,
  RoomResponse,
  SessionResponse,
  type CreateRoomBody,
  type CreateSessionBody,
} from "../worker/protocol";

export type ApiFailure = {
  ok: false;
  /** HTTP status; 0 when the request never got an answer (offline, DNS, reset). */
  status: number;
  code: string;
  message: string;
};
export type ApiResult<T> = { ok: true; data: T } | ApiFailure;

async function call<S extends v.GenericSchema>(
  method: "GET" | "POST",
  path: string,
  schema: S,
  body?: unknown,
  signal?: AbortSignal,
): Promise<ApiResult<v.InferOutput<S>>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    return { ok: false, status: 0, code: "network", message: e instanceof Error ? e.message : "network error" };
  }
  let json: unknown = null;
  try {
    json = await res.json();
  } catch {
    // Non-JSON body: handled below by status.
  }
  if (!res.ok) {
    const err = v.safeParse(ApiError, json);
    return err.success
      ? { ok: false, status: res.status, ...err.output.error }
      : { ok: false, status: res.status, code: "http_" + res.status, message: res.statusText || "request failed" };
  }
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) {
    return { ok: false, status: res.status, code: "bad_response", message: `unexpected response from ${path}` };
  }
  return { ok: true, data: parsed.output };
}

const roomPath = (id: string) => `/api/rooms/${encodeURIComponent(id)}`;

export const api = {
  getSession: () => call("GET", "/api/session", SessionResponse),
  createSession: (body: CreateSessionBody) => call("POST", "/api/session", SessionResponse, body),
  createRoom: (body: CreateRoomBody) => call("POST", "/api/rooms", RoomResponse, body),
  getRoom: (id: string) => call("GET", roomPath(id), RoomResponse),
  joinRoom: (id: string) => call("POST", `${roomPath(id)}/join`, RoomResponse, {}),
  history: (id: string, before: number, limit: number, signal?: AbortSignal) =>
    call("GET", `${roomPath(id)}/messages?before=${before}&limit=${limit}`, HistoryResponse, undefined, signal),
};

/** The room's WebSocket URL on this origin. */
export function socketUrl(roomId: string, protocol: number, since: number | null): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const q = new URLSearchParams({ v: String(protocol) });
  if (since !== null) q.set("since", String(since));
  return `${scheme}//${location.host}${roomPath(roomId)}/ws?${q}`;
}
