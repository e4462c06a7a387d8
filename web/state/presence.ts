/**
 * Presence across the app (worker/protocol/presence.ts): how a person's status reads
 * ("Online", "Away", "last seen 10 min ago"), and whether this tab is away — hidden, or
 * no input for AWAY_IDLE_MS — which the sidebar tells the user's hub.
 */
import { AWAY_IDLE_MS, type Presence, type PresenceStatus } from "../../worker/protocol";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** "last seen just now / 10 min ago / 3 h ago / yesterday / 4 days ago / on 3 Jan" (0: never seen: "offline"). */
export function lastSeenText(lastSeen: number, now: number): string {
  if (lastSeen <= 0) return "offline";
  const ago = Math.max(0, now - lastSeen);
  if (ago < MIN) return "last seen just now";
  if (ago < HOUR) return `last seen ${Math.floor(ago / MIN)} min ago`;
  if (ago < DAY) return `last seen ${Math.floor(ago / HOUR)} h ago`;
  if (ago < 2 * DAY) return "last seen yesterday";
  if (ago < 7 * DAY) return `last seen ${Math.floor(ago / DAY)} days ago`;
  return `last seen on ${new Date(lastSeen).toLocaleDateString(undefined, { day: "numeric", month: "short" })}`;
}

/** What a person's presence reads as ("Online", "Away", "last seen …"); unknown: "". */
export function presenceText(p: Presence | undefined, now: number): string {
  if (!p) return "";
  if (p.status === "online") return "Online";
  if (p.status === "away") return "Away";
  return lastSeenText(p.lastSeen, now);
}

/** The tab counts as away when hidden, or when its last input is AWAY_IDLE_MS old. */
export function tabAway(hidden: boolean, lastInputAt: number, now: number): boolean {
  return hidden || now - lastInputAt >= AWAY_IDLE_MS;
}

const INPUT_EVENTS = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart", "focus"] as const;

/**
 * Watches this tab: calls `onChange(away)` when it becomes away (hidden, or idle for
 * AWAY_IDLE_MS) or in use again. Returns the current value and a stop function.
 */
export function watchAway(onChange: (away: boolean) => void): { away: () => boolean; stop: () => void } {
  let lastInput = Date.now();
  let away = tabAway(document.visibilityState === "hidden", lastInput, lastInput);
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const check = () => {
    const now = Date.now();
    const next = tabAway(document.visibilityState === "hidden", lastInput, now);
    clearTimeout(idleTimer);
    if (!next) idleTimer = setTimeout(check, lastInput + AWAY_IDLE_MS - now);
    if (next !== away) onChange((away = next));
  };
  const onInput = () => {
    lastInput = Date.now();
    if (away) check(); // Back from idle at once; otherwise the timer sees the new time when it fires.
  };
  // Coming back to the tab counts as input.
  const onVisibility = () => {
    if (document.visibilityState === "visible") lastInput = Date.now();
    check();
  };
  document.addEventListener("visibilitychange", onVisibility);
  for (const e of INPUT_EVENTS) window.addEventListener(e, onInput, { passive: true });
  check();
  return {
    away: () => away,
    stop() {
      clearTimeout(idleTimer);
      document.removeEventListener("visibilitychange", onVisibility);
      for (const e of INPUT_EVENTS) window.removeEventListener(e, onInput);
    },
  };
}

/**
 * A member's status in an open room: the room sees their sockets there (online), the hub
 * knows the rest (away, or the app open elsewhere).
 */
export function memberStatus(inRoom: boolean, p: Presence | undefined): PresenceStatus {
  if (p?.status === "away") return "away";
  return inRoom || p?.status === "online" ? "online" : "offline";
}

/** How many of a room's members are online and how many away (`memberStatus` of each). */
export function memberCounts(members: readonly { id: string; online: boolean }[], presence: ReadonlyMap<string, Presence>): { online: number; away: number } {
  const n = { online: 0, away: 0 };
  for (const m of members) {
    const s = memberStatus(m.online, presence.get(m.id));
    if (s !== "offline") n[s]++;
  }
  return n;
}

/**
 * What a DM's header says under the name: the other member's presence as their hub told
 * ours — never our own connection (null: not known yet).
 */
export function dmHeader(members: readonly { id: string; me: boolean }[], presence: ReadonlyMap<string, Presence>, now: number): { text: string; status: PresenceStatus } | null {
  const other = members.find((m) => !m.me);
  const p = other && presence.get(other.id);
  return p ? { text: presenceText(p, now), status: p.status } : null;
}
