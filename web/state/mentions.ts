/**
 * The composer's side of mentions (worker/protocol/mentions.ts has the format). While one
 * writes, the textarea shows `@Name` as typed or picked; on send, `encodeMentions` turns each
 * `@Name` of a picked person (or of a member whose name is unique, or `@room`) into the
 * stable token `@[Name](id)` and lists the ids. So a draft stays readable, survives a reload
 * as text, and what goes out names ids, not names. What only the open picker needs (filtering,
 * keys, insertion) is in mention-picker.ts, loaded with the picker. Pure: unit-tested in
 * mentions.test.ts.
 */
import { MAX_MENTIONS, MENTION_ROOM, mentionToken, replaceMentionTokens, type Member } from "../../worker/protocol";

/** The `@query` being typed at the caret (null: none). */
export interface MentionQuery {
  /** Where its `@` is. */
  start: number;
  query: string;
}

/** Longest query the picker follows (a display name is at most 40 characters). */
const MAX_QUERY = 40;

const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

/**
 * The `@…` before the caret: an `@` at the start or after a character that is not part of a
 * word (so not an e-mail address), then up to MAX_QUERY characters without a line break.
 */
export function mentionQuery(text: string, caret: number): MentionQuery | null {
  const from = Math.max(0, caret - MAX_QUERY - 1);
  const at = text.lastIndexOf("@", caret - 1);
  if (at < from || isWordChar(text[at - 1]) || text[at - 1] === "@") return null;
  const query = text.slice(at + 1, caret);
  if (/[\r\n@]/.test(query) || query.startsWith(" ")) return null;
  return { start: at, query };
}

/** Code spans and fenced blocks: an `@Name` in them stays text. */
const CODE = /```[\s\S]*?(?:```|$)|`[^`\n]*`/g;

/**
 * The message to send: each `@Name` (at a word boundary, outside code) of someone picked
 * (`picked`: name → id, what the picker chose), else of a member whose name no other
 * member has, else `@room`, becomes a token; the ids it mentions, each once (≤ MAX_MENTIONS).
 */
export function encodeMentions(text: string, picked: ReadonlyMap<string, string>, members: readonly Member[]): { text: string; mentions: string[] } {
  const byName = new Map<string, string | null>();
  for (const m of members) byName.set(m.name, byName.has(m.name) ? null : m.id);
  for (const [name, id] of picked) byName.set(name, id);
  byName.set(MENTION_ROOM, MENTION_ROOM);
  const names = [...byName.keys()].filter((n) => n && byName.get(n)).sort((a, b) => b.length - a.length);
  const code: [number, number][] = [...text.matchAll(CODE)].map((m) => [m.index, m.index + m[0].length]);
  const ids = new Set<string>();
  let out = "";
  let from = 0;
  for (let at = text.indexOf("@"); at >= 0; at = text.indexOf("@", at + 1)) {
    if (at < from || isWordChar(text[at - 1]) || code.some(([s, e]) => at >= s && at < e)) continue;
    const name = names.find((n) => text.startsWith(n, at + 1) && !isWordChar(text[at + 1 + n.length]));
    const id = name === undefined ? null : byName.get(name)!;
    if (!id || (!ids.has(id) && ids.size === MAX_MENTIONS)) continue;
    ids.add(id);
    out += text.slice(from, at) + mentionToken(id, name!);
    from = at + 1 + name!.length;
  }
  return { text: out + text.slice(from), mentions: [...ids] };
}

/**
 * A message's text back in the composer (editing it): each token of an id it `mentions`
 * becomes `@Name` (the member's current name, else the token's label) and `picked` learns
 * name → id, so that encodeMentions gives the same tokens back. A token typed by hand (not
 * in `mentions`) stays as it is.
 */
export function decodeMentions(
  text: string,
  mentions: readonly string[] | undefined,
  nameOf: (id: string) => string | null,
  picked: Map<string, string>,
): string {
  if (!mentions?.length) return text;
  return replaceMentionTokens(text, (id, label) => {
    if (!mentions.includes(id)) return `@[${label}](${id})`;
    const name = id === MENTION_ROOM ? MENTION_ROOM : (nameOf(id) ?? label);
    picked.set(name, id);
    return `@${name}`;
  });
}
