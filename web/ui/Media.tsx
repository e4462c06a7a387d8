/**
 * Media on messages: attachments and reaction chips. The attachments' code (Attachments.tsx)
 * and the emoji picker (EmojiPicker.tsx, with its data) load on demand: the picker when first
 * opened (or when a pointer comes over what opens it), the attachments when a message with
 * some first shows, and as soon as a room is opened (`prefetchMedia`, beside the room's own
 * HTTP request and before its socket's history, which comes later): not waited for, but here
 * before the first message that needs it, so no message grows after it has shown.
 */
import type { Reaction } from "../../worker/protocol";
import { lazy, prefetch } from "../state/lazy";
import { lazyComponent } from "./Lazy";

const attachmentsCode = lazy(() => import("./Attachments"));
export const Attachments = lazyComponent(attachmentsCode, (m) => m.Attachments);

/** Starts fetching the attachments' code (a room is being opened). */
export const prefetchMedia = () => prefetch(attachmentsCode);

export const emojiCode = lazy(() => import("./EmojiPicker"));
/** The emoji picker popover (shows once its chunk is here: at once, after the first time). */
export const EmojiPicker = lazyComponent(emojiCode, (m) => m.EmojiPicker);

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

