/**
 * The mention picker's logic (state/mentions.ts has the rest): which members match what is
 * typed after `@`, what a key does, and the text once one is chosen. Loaded with the picker
 * (ui/messages/MentionPicker.tsx), not with the first screen. Pure: unit-tested in mentions.test.ts.
 */
import { MENTION_ROOM, ROOM_MENTION_OPEN_UP_TO, type Member } from "../../worker/protocol";
import type { MentionQuery } from "./mentions";

/** Rows the picker shows at most. */
export const PICKER_ROWS = 8;

/** Someone the picker offers (or `@room`). */
export interface Candidate {
  id: string;
  name: string;
  /** A second line: the username, or what `@room` does. */
  hint?: string;
}

/**
 * The members matching `query`, best first: a name or username starting with it, then a word
 * of the name starting with it, then containing it (case-insensitive); not me. `@room` leads
 * when it matches and `canRoom` (the owner, or a room of at most 20 members).
 */
export function candidates(members: readonly (Member & { me?: boolean })[], query: string, canRoom: boolean): Candidate[] {
  const q = query.toLowerCase();
  const rank = (m: Member): number => {
    const name = m.name.toLowerCase();
    const user = m.username?.toLowerCase() ?? "";
    if (name.startsWith(q) || user.startsWith(q)) return 0;
    if (name.split(/\s+/).some((w) => w.startsWith(q))) return 1;
    return name.includes(q) ? 2 : -1;
  };
  const list = members
    .filter((m) => !m.me)
    .map((m) => ({ m, r: rank(m) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.m.name.localeCompare(b.m.name))
    .map(({ m }): Candidate => ({ id: m.id, name: m.name, ...(m.username ? { hint: `@${m.username}` } : {}) }));
  if (canRoom && MENTION_ROOM.startsWith(q)) list.unshift({ id: MENTION_ROOM, name: MENTION_ROOM, hint: "Notify everyone in this room" });
  return list.slice(0, PICKER_ROWS);
}

/** Whether I may mention `@room` here. */
export const canMentionRoom = (role: string, members: number) => role === "owner" || members <= ROOM_MENTION_OPEN_UP_TO;

/** `text` with the query at `q` (up to `caret`) replaced by `@Name `, and where the caret goes. */
export function insertMention(text: string, q: MentionQuery, caret: number, c: Candidate): { text: string; caret: number } {
  const insert = `@${c.name} `;
  const rest = text.slice(caret).replace(/^ /, "");
  return { text: text.slice(0, q.start) + insert + rest, caret: q.start + insert.length };
}

/** What a key does to an open picker of `count` rows with row `index` selected. */
export function pickerKey(key: string, index: number, count: number): { index: number } | "choose" | "close" | null {
  if (count === 0) return key === "Escape" ? "close" : null;
  switch (key) {
    case "ArrowDown":
      return { index: (index + 1) % count };
    case "ArrowUp":
      return { index: (index - 1 + count) % count };
    case "Enter":
    case "Tab":
      return "choose";
    case "Escape":
      return "close";
    default:
      return null;
  }
}

