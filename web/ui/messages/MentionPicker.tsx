/**
 * The member list the composer opens when one types `@` (a chunk of its own, loaded with the
 * first `@`). It draws the candidates the composer filtered (state/mentions.ts); the keys
 * stay in the textarea (arrows, Enter/Tab, Esc: Composer.tsx), a click chooses too.
 */
import type { Candidate } from "../../state/mention-picker";
import type { Presence } from "../../../worker/protocol";
import { Avatar } from "../Avatar";
import { PersonDot } from "../Presence";

/** The picker's logic comes with it (the composer reads it from this chunk). */
export { candidates, canMentionRoom, insertMention, pickerKey } from "../../state/mention-picker";

export function MentionPicker({ items, index, onChoose, presence }: { items: readonly Candidate[]; index: number; onChoose: (c: Candidate) => void; presence?: ReadonlyMap<string, Presence> }) {
  const now = Date.now();
  return (
    <ul class="mention-picker" role="listbox" id="mention-picker" aria-label="Mention someone">
      {items.map((c, i) => (
        <li
          key={c.id}
          id={`mention-${i}`}
          role="option"
          aria-selected={i === index}
          class={i === index ? "selected" : undefined}
          // mousedown, not click: the textarea keeps its focus and caret.
          onMouseDown={(e) => {
            e.preventDefault();
            onChoose(c);
          }}
        >
          <Avatar uid={c.id} name={c.name} />
          <span class="mention-name">
            <bdi>{c.name}</bdi>
            {c.hint && <small class="muted">{c.hint}</small>}
          </span>
          <PersonDot p={presence?.get(c.id)} now={now} />
        </li>
      ))}
    </ul>
  );
}
