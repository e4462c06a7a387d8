/**
 * Formatters for people: times and days, avatars, call lines, file sizes (the sidebar's
 * lines are in sidebar-lines.ts, loaded with the sidebar). Pure (the clock is a parameter):
 * unit-tested in messages.test.ts. The message list's own logic is in room/list.ts and
 * ui/messages/rows.ts.
 */
import type { CallSummary } from "../../worker/protocol";

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
