/**
 * The sidebar's lines for a conversation: when it was last active and its last message. Apart
 * from messages.ts because only parts loaded on demand use them (the sidebar, the switcher):
 * the build keeps a whole file in the first chunk once the first chunk uses any of it.
 * Unit-tested in messages.test.ts.
 */
import type { LastMessage } from "../../worker/protocol";
import { plainText } from "./markdown";
import { dayKey, timeLabel } from "./messages";

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
 * One line, as the reader would see it: without Markdown markers, runs of whitespace (line
 * breaks) as single spaces.
 */
export function previewLine(last: LastMessage | null, kind: "group" | "dm", meId: string): string {
  if (!last) return "";
  const words = plainText(last.text).replace(/\s+/g, " ").trim();
  const files = last.files ? `📎 ${last.files === 1 ? "File" : `${last.files} files`}` : "";
  const text = last.deleted ? "Message deleted" : words && files ? `${files} · ${words}` : words || files;
  if (last.uid === meId) return `You: ${text}`;
  return kind === "dm" ? text : `${last.name}: ${text}`;
}
