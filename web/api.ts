/**
 * Typed calls to the Worker's /api/*. Every response body is parsed with the shared
 * protocol schema (parse, never cast); failures come back as values, not exceptions.
 * State-changing calls are same-origin fetches: the browser adds the Origin header the
 * Worker's CSRF check wants.
 */
import * as v from "valibot";
import {
  ApiError,
  ApiErrorCode,
  HistoryResponse,
  IceServersResponse,
  InvitePreviewResponse,
  InviteResponse,
  RoomResponse,
  RoomsResponse,
  ReceiptsSettingResponse,
  SessionResponse,
  CreateUploadResponse,
  UploadDoneResponse,
  type CompleteUploadBody,
  type CreateUploadBody,
  type CreateRoomBody,
  type CreateSessionBody,
  type LoginBody,
  type SignupBody,
  type UpdateRoomBody,
} from "../worker/protocol";

export type ApiFailure = {
  ok: false;
  /** HTTP status; 0 when the request never got an answer (offline, DNS, reset). */
  status: number;
  code: string;
  message: string;
  /** Seconds, from a 429's Retry-After header. */
  retryAfter?: number;
};
export type ApiResult<T> = { ok: true; data: T } | ApiFailure;

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A schema for a JSON body, or null for an answer without one (204). Exported for parts loaded on demand (their calls stay in their chunk). */
export async function call<S extends v.GenericSchema | null>(
  method: Method,
  path: string,
  schema: S,
  body?: unknown,
  signal?: AbortSignal,
): Promise<ApiResult<S extends v.GenericSchema ? v.InferOutput<S> : null>> {
  type Out = S extends v.GenericSchema ? v.InferOutput<S> : null;
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
    // No body (204) or not JSON: handled below by status.
  }
  if (!res.ok) {
    const err = v.safeParse(ApiError, json);
    const failure: ApiFailure = err.success
      ? { ok: false, status: res.status, ...err.output.error }
      : { ok: false, status: res.status, code: "http_" + res.status, message: res.statusText || "request failed" };
    const retry = retryAfterSeconds(res.headers.get("retry-after"));
    if (retry !== undefined) failure.retryAfter = retry;
    return failure;
  }
  if (schema === null) return { ok: true, data: null as Out };
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) {
    return { ok: false, status: res.status, code: "bad_response", message: `unexpected response from ${path}` };
  }
  return { ok: true, data: parsed.output as Out };
}

/** Retry-After is delta-seconds or an HTTP date; whole seconds from now, at least 1. */
export function retryAfterSeconds(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const s = header.trim();
  if (/^\d+$/.test(s)) return Math.max(1, Number(s));
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(1, Math.ceil((at - now) / 1000));
}

export const roomPath = (id: string) => `/api/rooms/${encodeURIComponent(id)}`;
const invitePath = (code: string) => `/api/invites/${encodeURIComponent(code)}`;

export const api = {
  getSession: () => call("GET", "/api/session", SessionResponse),
  /** A guest session. */
  createSession: (body: CreateSessionBody) => call("POST", "/api/session", SessionResponse, body),
  /** A new account, or (signed in as a guest) that guest turned into an account. */
  signup: (body: SignupBody) => call("POST", "/api/auth/signup", SessionResponse, body),
  login: (body: LoginBody) => call("POST", "/api/auth/login", SessionResponse, body),
  logout: () => call("POST", "/api/auth/logout", null, {}),
  /** "Send read receipts": the viewer's own setting. */
  setReadReceipts: (on: boolean) => call("PUT", "/api/me/receipts", ReceiptsSettingResponse, { on }),

  rooms: (signal?: AbortSignal) => call("GET", "/api/rooms", RoomsResponse, undefined, signal),
  createRoom: (body: CreateRoomBody) => call("POST", "/api/rooms", RoomResponse, body),
  getRoom: (id: string) => call("GET", roomPath(id), RoomResponse),
  updateRoom: (id: string, body: UpdateRoomBody) => call("PATCH", roomPath(id), RoomResponse, body),
  deleteRoom: (id: string) => call("DELETE", roomPath(id), null),
  rotateInvite: (id: string) => call("POST", `${roomPath(id)}/invite`, InviteResponse, {}),
  /** Removes a member; `ban` also keeps them from joining again by any link until unbanned. */
  removeMember: (id: string, userId: string, ban: boolean) =>
    call("DELETE", `${roomPath(id)}/members/${encodeURIComponent(userId)}${ban ? "?ban=1" : ""}`, null),
  unban: (id: string, userId: string) => call("DELETE", `${roomPath(id)}/bans/${encodeURIComponent(userId)}`, null),
  leaveRoom: (id: string) => call("POST", `${roomPath(id)}/leave`, null, {}),
  /** `unread`: set the read position to exactly `seq` (Mark as unread), not only raise it. */
  markRead: (id: string, seq: number, unread = false) => call("POST", `${roomPath(id)}/read`, null, unread ? { seq, unread } : { seq }),
  history: (id: string, before: number, limit: number, signal?: AbortSignal) =>
    call("GET", `${roomPath(id)}/messages?before=${before}&limit=${limit}`, HistoryResponse, undefined, signal),
  /** A page of history with message `seq` in its middle (a search result opened in its room). */
  historyAround: (id: string, seq: number, limit: number) => call("GET", `${roomPath(id)}/messages?around=${seq}&limit=${limit}`, HistoryResponse),
  /** The page of history after message `seq`, oldest first. */
  historyAfter: (id: string, seq: number, limit: number) => call("GET", `${roomPath(id)}/messages?after=${seq}&limit=${limit}`, HistoryResponse),

  /** What an invite link leads to; no session needed. */
  invitePreview: (code: string) => call("GET", invitePath(code), InvitePreviewResponse),
  joinInvite: (code: string) => call("POST", `${invitePath(code)}/join`, RoomResponse, {}),
  /** The one DM with that user (made on first use). */
  startDm: (username: string) => call("POST", "/api/dms", RoomResponse, { username }),
  /** Starts an upload (see worker/protocol/media.ts for the flow). */
  createUpload: (id: string, body: CreateUploadBody, signal?: AbortSignal) =>
    call("POST", `${roomPath(id)}/uploads`, CreateUploadResponse, body, signal),
  completeUpload: (id: string, aid: string, body: CompleteUploadBody, signal?: AbortSignal) =>
    call("POST", `${roomPath(id)}/uploads/${encodeURIComponent(aid)}/complete`, UploadDoneResponse, body, signal),
  cancelUpload: (id: string, aid: string) => call("DELETE", `${roomPath(id)}/uploads/${encodeURIComponent(aid)}`, null),
  /** STUN/TURN servers with short-lived TURN credentials; fetched before each call. */
  iceServers: () => call("GET", "/api/turn", IceServersResponse),
};

function wsBase(): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}`;
}

/** The room's WebSocket URL on this origin. */
export function socketUrl(roomId: string, protocol: number, since: number | null): string {
  const q = new URLSearchParams({ v: String(protocol) });
  if (since !== null) q.set("since", String(since));
  return `${wsBase()}${roomPath(roomId)}/ws?${q}`;
}

/** The signed-in user's own channel (sidebar activity). */
export function hubSocketUrl(): string {
  return `${wsBase()}/api/me/ws`;
}

/**
 * What to tell a person about a failed call. A rate limit says when to try again; any other
 * refusal (an upload quota's 429 or 413 included) says what the server said.
 */
export function failureText(r: ApiFailure): string {
  if (r.status === 0) return "Can't reach the server. Check your connection.";
  if (r.code === ApiErrorCode.RATE_LIMITED) return r.retryAfter ? `Too many attempts, try again in ${r.retryAfter} s.` : "Too many attempts, try again in a moment.";
  return sentence(r.message);
}

/** Server and schema messages start in lower case ("password must be…"); people read sentences. */
export function sentence(s: string): string {
  const t = s.trim();
  if (!t) return "Something went wrong.";
  const capital = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(capital) ? capital : capital + ".";
}
