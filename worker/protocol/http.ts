/**
 * HTTP request and response bodies of /api/*, as valibot schemas shared by the
 * Worker (which validates requests) and the web client (which validates responses).
 */
import * as v from "valibot";
import { MAX_NAME, MAX_ROOM_NAME, MAX_PAGE, DEFAULT_PAGE } from "./limits";
import { MessageSchema, PeerSchema } from "./frames";

const trimmed = (max: number, what: string) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.trim(),
    v.minLength(1, `${what} is required`),
    v.maxLength(max, `${what} must be at most ${max} characters`),
  );

export const CreateSessionBody = v.object({ name: trimmed(MAX_NAME, "name") });
export type CreateSessionBody = v.InferOutput<typeof CreateSessionBody>;

export const SessionResponse = v.object({ user: PeerSchema });
export type SessionResponse = v.InferOutput<typeof SessionResponse>;

export const CreateRoomBody = v.object({ name: v.optional(trimmed(MAX_ROOM_NAME, "room name")) });
export type CreateRoomBody = v.InferOutput<typeof CreateRoomBody>;

export const RoomSchema = v.object({
  id: v.string(),
  name: v.string(),
  createdBy: v.string(),
  createdAt: v.number(),
});
export type Room = v.InferOutput<typeof RoomSchema>;

export const RoomResponse = v.object({ room: RoomSchema, members: v.array(PeerSchema) });
export type RoomResponse = v.InferOutput<typeof RoomResponse>;

/** Query of GET /api/rooms/:id/messages. Strings in, numbers out. */
export const HistoryQuery = v.object({
  before: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,15}$/, "before must be a sequence number"), v.transform(Number)),
  ),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,3}$/, "limit must be a number"),
      v.transform(Number),
      v.minValue(1, "limit must be at least 1"),
      v.maxValue(MAX_PAGE, `limit must be at most ${MAX_PAGE}`),
    ),
    String(DEFAULT_PAGE),
  ),
});
export type HistoryQuery = v.InferOutput<typeof HistoryQuery>;

export const HistoryResponse = v.object({
  /** Oldest first. */
  messages: v.array(MessageSchema),
  /** True when older messages exist before the first one returned. */
  hasMore: v.boolean(),
});
export type HistoryResponse = v.InferOutput<typeof HistoryResponse>;

export const ApiErrorCode = {
  BAD_REQUEST: "bad_request",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  UPGRADE_REQUIRED: "upgrade_required",
  RATE_LIMITED: "rate_limited",
  INTERNAL: "internal",
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export const ApiError = v.object({ error: v.object({ code: v.string(), message: v.string() }) });
export type ApiError = v.InferOutput<typeof ApiError>;
