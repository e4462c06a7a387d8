/**
 * What a message shows under its text, in a chunk of its own (../Media.tsx says when it
 * loads): attachments (../Attachments.tsx), reaction chips, its read receipts (a DM's tick on
 * ours, a group's "Seen by" avatars under the newest message these members have read).
 */
import type { Reaction } from "../../../worker/protocol";
import type { RoomStore } from "../../state/room";
import { Avatar } from "../Avatar";
import type { Tick } from "./rows";

export { Attachments } from "../Attachments";

/** At most this many "Seen by" avatars under a message; the rest is "+N". */
const SEEN_AVATARS = 3;
const TICKS: Record<Tick, { mark: string; label: string }> = {
  sent: { mark: "✓", label: "Sent" },
  delivered: { mark: "✓✓", label: "Delivered" },
  read: { mark: "✓✓", label: "Read" },
};

export function Reactions(props: {
  reactions: readonly Reaction[];
  me: string;
  nameOf: (uid: string) => string;
  onToggle: (emoji: string, on: boolean) => void;
}) {
  return (
    <div class="reactions">
      {props.reactions.map((r) => {
        const mine = r.users.includes(props.me);
        const who = r.users.map(props.nameOf).join(", ");
        return (
          <button
            key={r.emoji}
            type="button"
            class={mine ? "reaction mine" : "reaction"}
            aria-pressed={mine}
            title={`${who} reacted with ${r.emoji}`}
            aria-label={`${r.emoji} ${r.users.length}, ${who}`}
            onClick={() => props.onToggle(r.emoji, !mine)}
          >
            <span class="reaction-emoji">{r.emoji}</span>
            <span class="reaction-count">{r.users.length}</span>
          </button>
        );
      })}
    </div>
  );
}

/** A DM's tick on one of ours: sent, delivered, read. */
export function TickMark({ tick }: { tick: Tick }) {
  return (
    <span class={`tick ${tick}`} title={TICKS[tick].label} data-tick={tick}>
      <span aria-hidden="true">{TICKS[tick].mark}</span>
      <span class="sr-only">{TICKS[tick].label}</span>
    </span>
  );
}

/** "Seen by" under the newest message these members have read: a few avatars and "+N". */
export function SeenAvatars({ ids, store, onOpen }: { ids: string[]; store: RoomStore; onOpen: () => void }) {
  const names = ids.map((id) => store.nameOf(id));
  return (
    <button type="button" class="seen-by" title={`Seen by ${names.join(", ")}`} aria-label={`Seen by ${names.join(", ")}`} onClick={onOpen}>
      {ids.slice(0, SEEN_AVATARS).map((id, i) => (
        <Avatar key={id} uid={id} name={names[i]!} size="sm" />
      ))}
      {ids.length > SEEN_AVATARS && <span class="seen-more">+{ids.length - SEEN_AVATARS}</span>}
    </button>
  );
}
