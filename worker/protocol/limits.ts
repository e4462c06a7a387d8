/** Limits shared by server and client. Changing one is a protocol change: bump PROTOCOL. */
import * as v from "valibot";
export const PROTOCOL = 1;

/** Largest text frame the room accepts, in UTF-16 code units (≈ 16 KiB of ASCII). */
export const MAX_FRAME = 16 * 1024;
/** Longest message body, in characters (code units). */
export const MAX_BODY = 4000;
/** Longest first line of the original that a reply's quote carries. */
export const MAX_QUOTE = 140;
/** Longest display name. */
export const MAX_NAME = 40;
/** Longest room name. */
export const MAX_ROOM_NAME = 80;
/** Client message ids are opaque strings of at most this length. */
export const MAX_CID = 64;
/** Longest request id (`req`) a client may put on an action. */
export const MAX_REQ = 32;
/**
 * A client's id for one action (a call action, a reaction, a deletion): the room echoes it
 * in the `error` frame that refuses the action, so the client knows which action failed
 * without guessing by timing.
 */
export const ReqIdSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_REQ));
/** Page size for history over HTTP. */
export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 50;
/** Messages a room sends on (re)connect before it tells the client to page the rest over HTTP. */
export const REPLAY_LIMIT = 200;
/** How long a "typing" signal lasts unless refreshed. Clients refresh every TYPING_TTL_MS / 2. */
export const TYPING_TTL_MS = 6000;
/** Heartbeat: the client sends HEARTBEAT_PING every HEARTBEAT_MS; the room answers without waking. */
export const HEARTBEAT_MS = 20_000;
export const HEARTBEAT_PING = "ping";
export const HEARTBEAT_PONG = "pong";

/**
 * Application close codes (4000–4999). Clients switch on these: the ones in
 * NO_RECONNECT mean "do not retry with the same credentials".
 */
export const Close = {
  /** The socket missed its heartbeats; the client is treated as gone. */
  GHOST: 4000,
  /** Session missing, expired or revoked. */
  UNAUTHORIZED: 4001,
  /** Client speaks an unsupported protocol version. */
  PROTOCOL_VERSION: 4002,
  /** No longer a member of the room. */
  FORBIDDEN: 4003,
  /** The room was deleted. */
  ROOM_GONE: 4004,
  /**
   * The person opened more sockets to the room than it allows (tabs, devices): this one,
   * their oldest, was closed for the newest. Not retried by itself, or two tabs would
   * take turns closing each other.
   */
  TOO_MANY_CONNECTIONS: 4005,
  /** Standard 1008: persistent abuse (flooding, oversized frames). */
  POLICY: 1008,
} as const;
export type CloseCode = (typeof Close)[keyof typeof Close];
export const NO_RECONNECT: readonly number[] = [
  Close.UNAUTHORIZED,
  Close.PROTOCOL_VERSION,
  Close.FORBIDDEN,
  Close.ROOM_GONE,
  Close.TOO_MANY_CONNECTIONS,
  Close.POLICY,
];

/**
 * Characters that reorder or hide what a name shows: bidi embeddings, overrides, isolates and
 * marks ("\u202Etxt.exe" reads "exe.txt"), zero-width spaces and invisible operators. Zero-
 * width (non-)joiners stay: emoji sequences and some scripts need them.
 */
const HIDDEN = /[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/gu;
/** A character that shows: not whitespace, a control or format character, a lone mark, or a blank filler. */
const VISIBLE = /[^\s\p{Cc}\p{Cf}\p{M}\u115F\u1160\u3164\uFFA0\u2800]/u;

/** `s` without the characters that reorder or hide text (names, room names, topics). */
export const stripHidden = (s: string): string => s.replace(HIDDEN, "");
/** Whether `s` shows at least one character (a name of zero-width spaces does not). */
export const hasVisible = (s: string): boolean => VISIBLE.test(s);
