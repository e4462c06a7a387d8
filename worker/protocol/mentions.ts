/**
 * Mentions (issue 9, item 4): how a message names people, shared by the room, the Worker
 * and the client.
 *
 * The text carries a stable token per mention, `@[Label](id)`: `id` is a user id (or
 * `room`, for everyone), `Label` the name as it was when the mention was written. The
 * message's `mentions` lists the ids (at most MAX_MENTIONS, no repeats), and each of them
 * must appear as a token in the text: a mention is always visible where it notifies.
 * The client draws a token whose id is in `mentions` as a chip with the member's *current*
 * name (the label is the fallback, and what one-line previews and notifications show), so
 * a rename does not break it; an edit keeps the tokens it keeps. A token whose id is not in
 * `mentions` (typed by hand) is plain `@Label` text. Inside code spans and blocks a token is
 * code like anything else.
 */
import * as v from "valibot";

/** The id that mentions everyone in the room (`@room`). */
export const MENTION_ROOM = "room";
/** Most ids one message may mention. */
export const MAX_MENTIONS = 50;
/**
 * In rooms with more members than this, only the owner may mention `@room` (it would
 * notify everyone).
 */
export const ROOM_MENTION_OPEN_UP_TO = 20;

/** A mentioned id: a user id (letters, digits, - and _) or MENTION_ROOM. */
const MentionId = v.pipe(v.string(), v.minLength(1), v.maxLength(64), v.regex(/^[\w-]+$/, "a mention must be a user id"));

export const MentionsSchema = v.pipe(
  v.array(MentionId),
  v.maxLength(MAX_MENTIONS, `at most ${MAX_MENTIONS} mentions`),
  v.check((a) => new Set(a).size === a.length, "mentions must not repeat"),
);

/** `@[Label](id)`: a label of 1–64 characters without brackets or line breaks, an id as above. */
const TOKEN = /@\[([^[\]\r\n]{1,64})\]\(([\w-]{1,64})\)/g;

/** The token for a mention of `id` shown as `name` (brackets and line breaks leave the label). */
export function mentionToken(id: string, name: string): string {
  const label = name.replace(/[[\]\r\n]/g, "").slice(0, 64) || "someone";
  return `@[${label}](${id})`;
}

/** The ids of the tokens in `text`, each once, in order of first appearance (at most MAX_MENTIONS). */
export function mentionIdsOf(text: string): string[] {
  const ids = new Set<string>();
  for (const m of text.matchAll(TOKEN)) {
    ids.add(m[2]!);
    if (ids.size === MAX_MENTIONS) break;
  }
  return [...ids];
}

/** `text` with each token replaced by what `show` makes of its id and label. */
export function replaceMentionTokens(text: string, show: (id: string, label: string) => string): string {
  return text.replace(TOKEN, (_, label: string, id: string) => show(id, label));
}

/** Whether a message with these `mentions`, sent by `sender`, mentions `uid` (never their own). */
export function mentionsUser(mentions: readonly string[] | undefined, sender: string, uid: string): boolean {
  return !!mentions && sender !== uid && (mentions.includes(uid) || mentions.includes(MENTION_ROOM));
}

/** Why the room refuses a message's mentions. */
export const MentionErrorCode = {
  /** A mentioned id is not a member of the room. */
  NOT_A_MEMBER: "not_a_member",
  /** `@room` in a room of more than ROOM_MENTION_OPEN_UP_TO members, by someone other than its owner. */
  ROOM_MENTION_OWNER_ONLY: "room_mention_owner_only",
} as const;
