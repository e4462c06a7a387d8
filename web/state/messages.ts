/**
 * Pure message-list logic: merging by seq, the view rows (day separators, sender
 * groups), typing lines. No signals, no DOM: unit-tested in messages.test.ts.
 */
import type { Attachment, CallSummary, LastMessage, Message, Peer, Reaction } from "../../worker/protocol";

/** A message of ours the room has not acked yet. Keyed by its cid, which the room dedupes on. */
export interface Pending {
  cid: string;
  text: string;
  /** Local time it was written, ms. */
  createdAt: number;
  status: "sending" | "failed";
  /** Why it failed, for the person (set when status is "failed"). */
  error?: string;
  /** Finished uploads sent with it (their ids go in `send.attachments`). */
  attachments?: Attachment[];
}

/**
 * Merges `incoming` into `held` (both oldest first), returning a new array in one total
 * order by seq with no duplicate seq. Returns `held` itself when nothing is new, so a
 * signal set to the result does not notify for a no-op.
 */
export function mergeBySeq(held: readonly Message[], incoming: readonly Message[]): readonly Message[] {
  if (incoming.length === 0) return held;
  const last = held[held.length - 1];
  // Fast path: the common case is strictly newer messages arriving in order.
  if (!last || isAscendingAfter(incoming, last.seq)) {
    return held.length === 0 && isAscendingAfter(incoming, -1) ? incoming : [...held, ...incoming];
  }
  const bySeq = new Map<number, Message>();
  for (const m of held) bySeq.set(m.seq, m);
  let changed = false;
  for (const m of incoming) {
    if (!bySeq.has(m.seq)) {
      bySeq.set(m.seq, m);
      changed = true;
    }
  }
  if (!changed) return held;
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function isAscendingAfter(ms: readonly Message[], after: number): boolean {
  let prev = after;
  for (const m of ms) {
    if (m.seq <= prev) return false;
    prev = m.seq;
  }
  return true;
}

/**
 * The highest seq `s >= from` such that every seq in (from, s] is held: what the client
 * tells the room as `since` on reconnect. `held` is sorted by seq.
 */
export function contiguousFrom(from: number, held: readonly Message[]): number {
  let s = from;
  for (const m of held) {
    if (m.seq <= s) continue;
    if (m.seq === s + 1) s = m.seq;
    else break;
  }
  return s;
}

export type Row =
  | { kind: "day"; key: string; label: string; ts: number }
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
    };

/** Consecutive messages by one sender closer than this are drawn as one group. */
export const GROUP_GAP_MS = 5 * 60_000;

/** Rows to draw: confirmed messages in seq order, then our pending ones, with day separators. */
export function buildRows(
  messages: readonly Message[],
  pending: readonly Pending[],
  me: Peer | null,
  now: number = Date.now(),
): Row[] {
  const rows: Row[] = [];
  let prev: { uid: string; ts: number; day: string; call: boolean } | null = null;
  const push = (m: Omit<Extract<Row, { kind: "msg" }>, "kind" | "key" | "head">) => {
    const day = dayKey(m.ts);
    if (!prev || prev.day !== day) rows.push({ kind: "day", key: "d:" + day, label: dayLabel(m.ts, now), ts: m.ts });
    // A call entry stands alone: it neither joins a group nor continues one.
    const head = !prev || prev.day !== day || prev.uid !== m.uid || m.ts - prev.ts > GROUP_GAP_MS || prev.call || !!m.call;
    // The key is (sender, cid) in both states, so a pending line becoming confirmed keeps its DOM node.
    rows.push({ kind: "msg", key: `m:${m.uid}:${m.cid}`, head, ...m });
    prev = { uid: m.uid, ts: m.ts, day, call: !!m.call };
  };
  for (const m of messages) {
    push({ uid: m.uid, name: m.name, text: m.text, ts: m.ts, seq: m.seq, cid: m.cid, mine: m.uid === me?.id, status: "sent", ...(m.call ? { call: m.call } : {}), ...(m.attachments?.length ? { attachments: m.attachments } : {}), ...(m.reactions?.length ? { reactions: m.reactions } : {}), ...(m.deleted ? { deleted: true } : {}) });
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
      });
    }
  }
  return rows;
}

function pad(n: number) {
  return n < 10 ? "0" + n : String(n);
}

/** Local calendar day, "YYYY-MM-DD". */
export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function dayLabel(ts: number, now: number = Date.now()): string {
  const key = dayKey(ts);
  if (key === dayKey(now)) return "Today";
  const y = new Date(now);
  y.setDate(y.getDate() - 1);
  if (key === dayKey(y.getTime())) return "Yesterday";
  const d = new Date(ts);
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return d.toLocaleDateString(undefined, {
    weekday: "long",
    day: "numeric",
    month: "long",
    ...(sameYear ? {} : { year: "numeric" }),
  });
}

/** "HH:MM", 24-hour, local time. */
export function timeLabel(ts: number): string {
  const d = new Date(ts);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fullDate(ts: number): string {
  return new Date(ts).toLocaleString(undefined, { dateStyle: "full", timeStyle: "medium" });
}

/** "Alice is typing…", "Alice and Bob are typing…", "Alice, Bob and Carol are typing…". */
export function typingLine(names: readonly string[]): string {
  if (names.length === 0) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length <= 3) return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…`;
  return "Several people are typing…";
}

/** Up to two initials from a display name. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const chars = words.length >= 2 ? [words[0], words[words.length - 1]] : words;
  const s = chars.map((w) => Array.from(w ?? "")[0] ?? "").join("");
  return (s || "?").toUpperCase();
}

/** A stable, readable avatar background for a user id (white text on it stays legible). */
export function avatarColor(uid: string): string {
  let h = 0;
  for (let i = 0; i < uid.length; i++) h = (Math.imul(h, 31) + uid.charCodeAt(i)) | 0;
  const hue = ((h % 360) + 360) % 360;
  return `hsl(${hue} 55% 42%)`;
}

/**
 * The sidebar's time for a conversation's last activity: "14:05" today, "Yesterday",
 * a weekday within the last week, else a short date.
 */
export function shortWhen(ts: number, now: number = Date.now()): string {
  const key = dayKey(ts);
  if (key === dayKey(now)) return timeLabel(ts);
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  const start = d.getTime();
  const dayMs = 86_400_000;
  if (ts >= start - dayMs) return "Yesterday";
  if (ts >= start - 6 * dayMs) return new Date(ts).toLocaleDateString(undefined, { weekday: "short" });
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear();
  return new Date(ts).toLocaleDateString(undefined, sameYear ? { day: "numeric", month: "short" } : { dateStyle: "short" });
}

/**
 * A conversation's last message as the sidebar shows it: "You: …" for ours, the text
 * alone in a DM (the other person is the conversation's name), "Name: …" in a group.
 * One line: runs of whitespace (line breaks) become single spaces.
 */
export function previewLine(last: LastMessage | null, kind: "group" | "dm", meId: string): string {
  if (!last) return "";
  const words = last.text.replace(/\s+/g, " ").trim();
  const files = last.files ? `📎 ${last.files === 1 ? "File" : `${last.files} files`}` : "";
  const text = last.deleted ? "Message deleted" : words && files ? `${files} · ${words}` : words || files;
  if (last.uid === meId) return `You: ${text}`;
  return kind === "dm" ? text : `${last.name}: ${text}`;
}

/** "3:12", "1:02:03": a call's length. */
export function formatDuration(ms: number): string {
  const t = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/**
 * The line a call leaves in the history, from the reader's side: the caller (`uid` of the
 * message) sees what became of their call, everyone else a missed call when they never
 * talked. `missed` tells the UI to draw it as a missed call (red).
 */
export function callLine(c: CallSummary, caller: string, mine: boolean): { text: string; missed: boolean } {
  const kind = c.media === "video" ? "Video call" : "Audio call";
  const lower = c.media === "video" ? "video call" : "audio call";
  if (c.outcome === "completed") return { text: `${kind} · ${formatDuration(c.durationMs)}`, missed: false };
  if (mine) {
    const why = { missed: "No answer", declined: "Declined", cancelled: "Cancelled", busy: "Busy" }[c.outcome];
    return { text: `${kind} · ${why}`, missed: false };
  }
  if (c.outcome === "declined") return { text: `${kind} from ${caller} · Declined`, missed: false };
  return { text: `Missed ${lower} from ${caller}`, missed: true };
}

/** A message's reactions after `user` added (`on`) or removed `emoji`; users in the order they reacted. */
export function applyReaction(rs: readonly Reaction[] | undefined, emoji: string, user: string, on: boolean): Reaction[] {
  const list = rs ? [...rs] : [];
  const i = list.findIndex((r) => r.emoji === emoji);
  if (on) {
    if (i < 0) list.push({ emoji, users: [user] });
    else if (!list[i]!.users.includes(user)) list[i] = { emoji, users: [...list[i]!.users, user] };
    return list;
  }
  if (i < 0 || !list[i]!.users.includes(user)) return list;
  const users = list[i]!.users.filter((u) => u !== user);
  if (users.length) list[i] = { emoji, users };
  else list.splice(i, 1);
  return list;
}

/** A deleted message as everyone sees it from then on. */
export function tombstone(m: Message): Message {
  const { attachments: _a, reactions: _r, ...rest } = m;
  return { ...rest, text: "", deleted: true };
}

/** "1.2 MB": a file's size for people. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let n = bytes / 1024;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[u]}`;
}
