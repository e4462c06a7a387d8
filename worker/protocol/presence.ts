/**
 * Presence across the app: whether a person has the app open (online), open but not in use
 * (away: every tab hidden, or idle for AWAY_IDLE_MS), or closed (offline, with when they
 * were last seen). Held by each person's hub (worker/room/user-hub.ts) and told to the
 * live hubs of the people who share a room with them.
 */
import * as v from "valibot";

/** A tab with no input for this long counts as away. */
export const AWAY_IDLE_MS = 5 * 60_000;

export const PresenceStatus = v.picklist(["online", "away", "offline"]);
export type PresenceStatus = v.InferOutput<typeof PresenceStatus>;

/** One person's presence. `lastSeen` (ms): when they last closed the app (0: never seen). */
export const PresenceSchema = v.object({ id: v.string(), status: PresenceStatus, lastSeen: v.number() });
export type Presence = v.InferOutput<typeof PresenceSchema>;

/** Client → hub: this tab is away (hidden or idle) or in use again. */
export const HubClientFrameSchema = v.variant("type", [v.object({ type: v.literal("presence"), away: v.boolean() })]);
export type HubClientFrame = v.InferOutput<typeof HubClientFrameSchema>;

export const HubErrorCode = { BAD_JSON: "bad_json", INVALID_FRAME: "invalid_frame", FRAME_TOO_LARGE: "frame_too_large" } as const;

/** A frame to the hub is tiny; anything longer is refused unread. */
export const MAX_HUB_FRAME = 512;
export type HubErrorCode = (typeof HubErrorCode)[keyof typeof HubErrorCode];

/** Parses a frame a tab sent its hub; an error says why it was refused. */
export function parseHubClientFrame(raw: unknown): { ok: true; frame: HubClientFrame } | { ok: false; code: HubErrorCode; message: string } {
  if (typeof raw === "string" && raw.length > MAX_HUB_FRAME) return { ok: false, code: HubErrorCode.FRAME_TOO_LARGE, message: `frame is larger than ${MAX_HUB_FRAME} characters` };
  let data: unknown;
  try {
    data = typeof raw === "string" ? JSON.parse(raw) : undefined;
  } catch {
    return { ok: false, code: HubErrorCode.BAD_JSON, message: "frame is not valid JSON" };
  }
  const r = v.safeParse(HubClientFrameSchema, data);
  if (r.success) return { ok: true, frame: r.output };
  const issue = r.issues[0];
  return { ok: false, code: HubErrorCode.INVALID_FRAME, message: `${v.getDotPath(issue) ?? "frame"}: ${issue.message}` };
}
