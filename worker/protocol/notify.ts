/**
 * What notifies whom (issue 10, item 3), shared by the Worker (Web Push) and the client
 * (in-page notifications), and the shapes of the push and notification-settings routes.
 * Pure: no clock (time is passed in), no I/O.
 */
import * as v from "valibot";
import { fromBase64Url } from "./ids";
import { mentionsUser, replaceMentionTokens } from "./mentions";

/** A room's level: every message, or only mentions (and every message of a DM). */
export const NotifyLevel = v.picklist(["all", "mentions"], 'level must be "all" or "mentions"');
export type NotifyLevel = v.InferOutput<typeof NotifyLevel>;
/** What a room does right now: its level, or "none" while muted. */
export type Notifies = NotifyLevel | "none";

/** Groups up to this many members notify on every message by default; busier ones only on mentions. */
export const SMALL_GROUP = 5;
/** `muted_until` of a room muted "until I turn it back on" (the largest Date). */
export const MUTE_FOREVER = 8_640_000_000_000_000;

export const MUTE_FOR_MS = { "1h": 3600_000, "8h": 8 * 3600_000 } as const;

export function defaultLevel(kind: "group" | "dm", members: number): NotifyLevel {
  return kind === "dm" || members <= SMALL_GROUP ? "all" : "mentions";
}

/** What the room does for this person at `now`: muted rooms say "none". */
export function notifies(s: { level: NotifyLevel | null; mutedUntil: number }, kind: "group" | "dm", members: number, now: number): Notifies {
  if (s.mutedUntil > now) return "none";
  return s.level ?? defaultLevel(kind, members);
}

/**
 * Whether a message notifies `userId`: never their own; in a DM every message (unless
 * muted); in a group per the level, "mentions" needing the person or the whole room in the
 * message's `mentions` (mentions.ts: the ids the room checked).
 */
export function shouldNotify(m: { uid: string; text: string; mentions?: readonly string[] }, userId: string, kind: "group" | "dm", level: Notifies): boolean {
  if (m.uid === userId || level === "none") return false;
  if (level === "all" || kind === "dm") return true;
  return mentionsUser(m.mentions, m.uid, userId);
}

// ── routes ───────────────────────────────────────────────────────────────────

/** GET/PUT /api/rooms/:id/notifications: the viewer's own settings for the room. */
export const NotificationSettingsResponse = v.object({
  /** Null: the default (`effective` says which). */
  level: v.nullable(NotifyLevel),
  effective: NotifyLevel,
  /** Muted until then (ms); 0: not muted; MUTE_FOREVER: until turned back on. */
  mutedUntil: v.number(),
});
export type NotificationSettingsResponse = v.InferOutput<typeof NotificationSettingsResponse>;

/** PUT /api/rooms/:id/notifications. Only the viewer's own: there is no field naming a person. */
export const NotificationSettingsBody = v.strictObject(
  {
    level: v.optional(v.picklist(["all", "mentions", "default"], 'level must be "all", "mentions" or "default"')),
    mute: v.optional(v.picklist(["off", "1h", "8h", "forever"], 'mute must be "off", "1h", "8h" or "forever"')),
  },
  "only level and mute may be set",
);
export type NotificationSettingsBody = v.InferOutput<typeof NotificationSettingsBody>;

/** Subscriptions one person may have (browsers and devices); the oldest makes room for none: 409. */
export const MAX_PUSH_SUBSCRIPTIONS = 10;
const MAX_ENDPOINT = 2048;

const keyOf = (bytes: number, what: string) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.check((s) => fromBase64Url(s)?.byteLength === bytes, `${what} must be ${bytes} bytes of base64url`),
  );

/** POST /api/push/subscriptions: PushSubscription.toJSON() as the browser gives it. */
export const PushSubscriptionBody = v.object({
  endpoint: v.pipe(v.string("endpoint must be a string"), v.maxLength(MAX_ENDPOINT, `endpoint must be at most ${MAX_ENDPOINT} characters`), v.url("endpoint must be a URL")),
  expirationTime: v.optional(v.nullable(v.number())),
  keys: v.object({ p256dh: keyOf(65, "keys.p256dh"), auth: keyOf(16, "keys.auth") }),
});
export type PushSubscriptionBody = v.InferOutput<typeof PushSubscriptionBody>;

/**
 * Why a push endpoint is refused (null: fine). https only; plain http only to a loopback
 * address and only where allowed (local development and tests).
 */
export function endpointProblem(endpoint: string, allowLoopbackHttp: boolean): string | null {
  const u = new URL(endpoint);
  if (u.protocol === "https:" && !u.username && !u.password) return null;
  const loopback = u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]";
  if (u.protocol === "http:" && loopback && allowLoopbackHttp) return null;
  return "endpoint must be an https URL";
}

export const PushSubscriptionResponse = v.object({ id: v.string() });
export type PushSubscriptionResponse = v.InferOutput<typeof PushSubscriptionResponse>;

/** GET /api/push/key: the VAPID public key to subscribe with (null: push is not configured). */
export const PushKeyResponse = v.object({ publicKey: v.nullable(v.string()) });
export type PushKeyResponse = v.InferOutput<typeof PushKeyResponse>;

/** What a push carries (encrypted; the service worker shows it). Kept well under 4 KiB. */
export const PushPayload = v.object({
  roomId: v.string(),
  /** The room's name (a DM: the sender's). */
  title: v.string(),
  kind: v.picklist(["group", "dm"]),
  seq: v.number(),
  sender: v.string(),
  /** A preview of the text, at most PREVIEW_CHARS. */
  text: v.string(),
  ts: v.number(),
});
export type PushPayload = v.InferOutput<typeof PushPayload>;
export const PREVIEW_CHARS = 140;

/** The preview of a message's text for a notification: one line, cut at PREVIEW_CHARS. */
export function preview(text: string, files = 0): string {
  // A mention reads as `@Label`, as in the app's previews.
  const line = replaceMentionTokens(text, (_id, label) => `@${label}`)
    .replace(/\s+/g, " ")
    .trim();
  if (line === "") return files > 0 ? (files === 1 ? "sent a file" : `sent ${files} files`) : "";
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line;
}

