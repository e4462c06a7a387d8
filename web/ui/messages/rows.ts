/**
 * The rows the message list draws: confirmed messages in seq order, then our pending ones,
 * with day separators and sender groups. Pure: unit-tested in rows.test.ts.
 */
import { mentionIdsOf, type Attachment, type CallSummary, type Message, type Peer, type Reaction, type Receipt, type ReplyQuote } from "../../../worker/protocol";
import { dayKey, dayLabel } from "../../state/messages";
import type { Pending } from "../../state/room";

export type Row =
  | { kind: "day"; key: string; label: string; ts: number }
  /** "New messages": above the first message from others after the reader's read position. */
  | { kind: "unread"; key: "unread" }
  | {
      kind: "msg";
      key: string;
      uid: string;
      name: string;
      text: string;
      ts: number;
      seq: number | null;
      cid: string;
      mine: boolean;
      /** First of a run of messages by the same sender: shows avatar and name. */
      head: boolean;
      status: "sent" | "sending" | "failed";
      error?: string;
      /** Set on the entry a call left in the history. */
      call?: CallSummary;
      attachments?: Attachment[];
      reactions?: Reaction[];
      deleted?: boolean;
      /** The message it answers. */
      replyTo?: ReplyQuote;
      /** When its author last edited it. */
      edited?: number;
      /** The ids it mentions (worker/protocol/mentions.ts). */
      mentions?: string[];
      /** Ours in a DM, confirmed: ✓ sent, ✓✓ delivered (reached a device of theirs), ✓✓ read. */
      tick?: Tick;
      /** In a group: who has read up to exactly this message (their "Seen by" avatars), comma-joined ids. */
      seenBy?: string;
    };

export type Tick = "sent" | "delivered" | "read";

export type MsgRow = Extract<Row, { kind: "msg" }>;

/** A pending message's mentions: the ids of its tokens, as the outbox sends them. */
function mentionsOf(text: string): { mentions?: string[] } {
  const ids = mentionIdsOf(text);
  return ids.length > 0 ? { mentions: ids } : {};
}

/** Consecutive messages by one sender closer than this are drawn as one group. */
export const GROUP_GAP_MS = 5 * 60_000;

/** Rows to draw: confirmed messages in seq order, then our pending ones, with day separators. */
export function buildRows(
  messages: readonly Message[],
  pending: readonly Pending[],
  me: Peer | null,
  now: number = Date.now(),
  /** The reader's read position when the room opened (null: nothing was unread). */
  unreadAfter: number | null = null,
): Row[] {
  const rows: Row[] = [];
  let prev: { uid: string; ts: number; day: string; call: boolean } | null = null;
  let divided = unreadAfter === null;
  const push = (m: Omit<MsgRow, "kind" | "key" | "head">) => {
    const day = dayKey(m.ts);
    if (!prev || prev.day !== day) rows.push({ kind: "day", key: "d:" + day, label: dayLabel(m.ts, now), ts: m.ts });
    const first = !divided && m.seq !== null && m.seq > unreadAfter! && !m.mine;
    if (first) {
      rows.push({ kind: "unread", key: "unread" });
      divided = true;
    }
    // A call entry stands alone: it neither joins a group nor continues one. The first unread
    // message starts a group of its own, under the line.
    const head = first || !prev || prev.day !== day || prev.uid !== m.uid || m.ts - prev.ts > GROUP_GAP_MS || prev.call || !!m.call;
    // The key is (sender, cid) in both states, so a pending line becoming confirmed keeps its DOM node.
    rows.push({ kind: "msg", key: `m:${m.uid}:${m.cid}`, head, ...m });
    prev = { uid: m.uid, ts: m.ts, day, call: !!m.call };
  };
  for (const m of messages) {
    push({ uid: m.uid, name: m.name, text: m.text, ts: m.ts, seq: m.seq, cid: m.cid, mine: m.uid === me?.id, status: "sent", ...(m.call ? { call: m.call } : {}), ...(m.attachments?.length ? { attachments: m.attachments } : {}), ...(m.reactions?.length ? { reactions: m.reactions } : {}), ...(m.deleted ? { deleted: true } : {}), ...(m.replyTo ? { replyTo: m.replyTo } : {}), ...(m.edited ? { edited: m.edited } : {}), ...(m.mentions?.length ? { mentions: m.mentions } : {}) });
  }
  if (me) {
    for (const p of pending) {
      push({
        uid: me.id,
        name: me.name,
        text: p.text,
        ts: p.createdAt,
        seq: null,
        cid: p.cid,
        mine: true,
        status: p.status,
        error: p.error,
        ...(p.attachments?.length ? { attachments: p.attachments } : {}),
        ...(p.replyTo ? { replyTo: p.replyTo } : {}),
        ...mentionsOf(p.text),
      });
    }
  }
  return rows;
}

/** "Seen by" avatars are drawn only under this many of the newest messages. */
export const SEEN_BY_ROWS = 30;

/**
 * Read receipts on the rows (a new row object only where a mark changes, so the others skip
 * rendering). In a DM, our confirmed messages get a tick from the other person's position.
 * In a group, each other member's avatar goes under the newest message they have read (not
 * their own), if that is among the newest SEEN_BY_ROWS messages.
 */
export function withReceipts(rows: readonly Row[], positions: ReadonlyMap<string, Receipt>, me: string | null, dm: boolean): Row[] {
  if (!me) return [...rows];
  if (dm) {
    const other = [...positions.values()].find((r) => r.id !== me);
    return rows.map((r) => {
      if (r.kind !== "msg" || !r.mine || r.seq === null || r.call || r.deleted) return r;
      return { ...r, tick: tickOf(r.seq, other) };
    });
  }
  const seen = new Map<number, string[]>();
  const recent = rows.filter((r): r is MsgRow => r.kind === "msg" && r.seq !== null).slice(-SEEN_BY_ROWS);
  for (const p of positions.values()) {
    if (p.id === me || p.read === undefined) continue;
    // The newest message up to their position that is not theirs.
    for (let i = recent.length - 1; i >= 0; i--) {
      const r = recent[i]!;
      if (r.seq! > p.read || r.uid === p.id) continue;
      seen.set(r.seq!, [...(seen.get(r.seq!) ?? []), p.id]);
      break;
    }
  }
  if (seen.size === 0) return [...rows];
  return rows.map((r) => {
    const ids = r.kind === "msg" && r.seq !== null ? seen.get(r.seq) : undefined;
    return ids ? { ...r, seenBy: ids.sort().join(",") } : r;
  });
}

/** Our message `seq` as the other person's position has it. */
export function tickOf(seq: number, other: Receipt | undefined): Tick {
  if (other?.read !== undefined && other.read >= seq) return "read";
  return other && other.delivered >= seq ? "delivered" : "sent";
}

/** Who has seen message `seq` (read up to it or past it), but its author and us. */
export function seenOf(seq: number, author: string, positions: ReadonlyMap<string, Receipt>, me: string): string[] {
  return [...positions.values()].filter((p) => p.id !== me && p.id !== author && p.read !== undefined && p.read >= seq).map((p) => p.id);
}
