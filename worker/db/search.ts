/**
 * Message search: the person's words as a safe FTS5 query, and the query over the
 * `messages_fts` index (migrations/0009_search.sql) limited to the rooms they are a member
 * of today.
 *
 * Order and paging: newest first by the index's rowid, which is the messages table's rowid,
 * i.e. the order D1 received the rows in. Within a room that is seq order; across rooms it
 * can differ from send time by at most the flush delay (about a second). In return, FTS5
 * walks its posting lists backwards and the query stops after one page of hits in the
 * person's rooms: a first page costs the same for a word in 20 messages as for one in
 * 200,000 (the bench: bench/search.mjs). The cursor is that rowid.
 */
import { SEARCH_PAGE, replaceMentionTokens, type RoomKind, type SearchHit, type SnippetPart } from "../protocol";
import type { DB } from "./client";

/** Most words a query keeps (each one more posting list to intersect). */
const MAX_TERMS = 8;
/** Highlight markers from Unicode's private use area: snippet() puts them around hits. */
const OPEN = "\uE000";
const CLOSE = "\uE001";
/** Tokens of the snippet (FTS5 counts words, at most 64). */
const SNIPPET_TOKENS = 24;

/**
 * The person's query as FTS5 syntax, or null when nothing searchable is left. Every word is
 * a quoted string (inner `"` doubled), so nothing the person types is syntax: not `NEAR`,
 * `AND`/`OR`/`NOT`, `*`, `^`, `:`, `-` or parentheses. Words are ANDed. The last one is a
 * prefix (the word being typed) unless a space follows it (typed out) or it is a single
 * character (that prefix would merge the posting lists of a large part of the vocabulary).
 * Prefixes of 2 and 3 characters read the prefix index; a longer one merges the lists of
 * the words it starts, which costs in proportion to their matches (bench/search.mjs). Words
 * without a letter or digit are dropped: the tokenizer would leave nothing of them.
 */
export function ftsQuery(input: string): string | null {
  const words = input
    .split(/\s+/u)
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .slice(0, MAX_TERMS);
  if (words.length === 0) return null;
  return words
    .map((w, i) => {
      const quoted = `"${w.replaceAll('"', '""')}"`;
      const typing = i === words.length - 1 && !/\s$/u.test(input);
      return typing && [...w].length >= 2 ? `${quoted}*` : quoted;
    })
    .join(" ");
}

/**
 * snippet() output as parts; markers inside a message's own text are not trusted (`tainted`).
 * A mention token reads as `@Label`, as in previews (a hit on the name stays a hit).
 */
export function snippetParts(snip: string, tainted: boolean): SnippetPart[] {
  const s = replaceMentionTokens(snip, (_id, label) => `@${label}`);
  if (tainted) return [{ text: s.replaceAll(OPEN, "").replaceAll(CLOSE, ""), hit: false }];
  const parts: SnippetPart[] = [];
  for (const [i, piece] of s.split(OPEN).entries()) {
    if (i === 0) {
      if (piece) parts.push({ text: piece, hit: false });
      continue;
    }
    const end = piece.indexOf(CLOSE);
    const hit = end < 0 ? piece : piece.slice(0, end);
    const rest = end < 0 ? "" : piece.slice(end + 1);
    if (hit) parts.push({ text: hit, hit: true });
    if (rest) parts.push({ text: rest, hit: false });
  }
  return parts;
}

interface HitRow {
  rid: number;
  room_id: string;
  kind: RoomKind;
  room_name: string;
  other_name: string | null;
  seq: number;
  uid: string;
  user_name: string;
  ts: number;
  snip: string;
  tainted: number;
}

/**
 * The SQL of a search page. The FTS query is the person's words (?1, ftsQuery) in the body
 * column AND any of their rooms' ids (from room_members, today) in the room_id column, so
 * FTS5 intersects posting lists: matches in other rooms cost next to nothing, however many.
 * CROSS JOIN fixes the order: the index drives (newest match first, `rowid < ?3` for the next
 * page); each match is looked up by rowid, and its membership checked once more by
 * room_members' primary key (the room_id column holds the id's parts, case-folded).
 */
export const SEARCH_SQL = `
  SELECT f.rowid AS rid, m.room_id, r.kind, r.name AS room_name,
         (SELECT u.name FROM room_members om JOIN users u ON u.id = om.user_id
           WHERE r.kind = 'dm' AND om.room_id = r.id AND om.user_id <> ?2 LIMIT 1) AS other_name,
         m.seq, m.user_id AS uid, m.user_name, m.created_at AS ts,
         snippet(messages_fts, 0, '${OPEN}', '${CLOSE}', '…', ${SNIPPET_TOKENS}) AS snip,
         instr(m.body, '${OPEN}') + instr(m.body, '${CLOSE}') > 0 AS tainted
    FROM messages_fts f
    CROSS JOIN messages m ON m.rowid = f.rowid
    CROSS JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = ?2
    JOIN rooms r ON r.id = m.room_id
   WHERE messages_fts MATCH '{body} : (' || ?1 || ') AND room_id : (' ||
           coalesce((SELECT group_concat('"' || replace(room_id, '"', '""') || '"', ' OR ') FROM room_members WHERE user_id = ?2), '"-"') || ')'
     AND f.rowid < ?3
   ORDER BY f.rowid DESC
   LIMIT ?4`;

/** One page of `userId`'s search for `q` (already FTS syntax: ftsQuery), before cursor `before`. */
export async function searchMessages(d: DB, userId: string, q: string, before: number | null): Promise<{ results: SearchHit[]; next: string | null }> {
  const { results: rows } = await d.$client
    .prepare(SEARCH_SQL)
    .bind(q, userId, before ?? Number.MAX_SAFE_INTEGER, SEARCH_PAGE + 1)
    .all<HitRow>();
  const page = rows.slice(0, SEARCH_PAGE);
  return {
    results: page.map((r) => ({
      roomId: r.room_id,
      roomName: r.kind === "dm" ? (r.other_name ?? r.room_name) : r.room_name,
      roomKind: r.kind,
      seq: r.seq,
      uid: r.uid,
      name: r.user_name,
      ts: r.ts,
      snippet: snippetParts(r.snip, r.tainted === 1),
    })),
    next: rows.length > SEARCH_PAGE ? String(page.at(-1)!.rid) : null,
  };
}
