/**
 * The room's members (in the order the store keeps), with Remove for an owner of a
 * group, and the ban list (Unban) below. Loaded on demand: RoomView.tsx draws the panel and
 * its heading (with the online count) at once, these rows when this chunk is here.
 */
import { useSignal } from "@preact/signals";
import type { Presence } from "../../worker/protocol";
import { memberStatus, presenceText } from "../state/presence";
import { failureText } from "../api";
import type { MemberRow, RoomStore } from "../state/room";
import { Avatar } from "./Avatar";
import { PresenceDot } from "./Presence";

/** `presence`: what our hub knows of people (away, last seen); the room itself sees who is connected to it. */
export function RoomMembers({ store, manage, onRemove, presence, now }: { store: RoomStore; manage: boolean; onRemove: (m: MemberRow) => void; presence: ReadonlyMap<string, Presence>; now: number }) {
  const banError = useSignal<string | null>(null);
  const statusOf = (m: MemberRow) => memberStatus(m.online, presence.get(m.id));
  const textOf = (m: MemberRow) => {
    const s = statusOf(m);
    return s === "offline" ? presenceText(presence.get(m.id), now) || "offline" : s === "online" ? "online" : "away";
  };
  return (
    <>
      <ul aria-label="Members">
        {store.members.value.map((m) => (
          <li key={m.id} class={`member ${statusOf(m)}`} data-online={m.online} data-presence={statusOf(m)}>
            <Avatar uid={m.id} name={m.name} size="sm" />
            <span class="member-name">
              <span class="member-line">
                {m.name}
                {m.me && <span class="muted"> (you)</span>}
              </span>
              {(m.username || m.role === "owner") && (
                <span class="member-meta">
                  {m.username && `@${m.username}`}
                  {m.username && m.role === "owner" && " · "}
                  {m.role === "owner" && "owner"}
                </span>
              )}
            </span>
            <PresenceDot status={statusOf(m)} title={textOf(m)} />
            <span class="sr-only">, {textOf(m)}</span>
            {manage && !m.me && (
              <button
                type="button"
                class="button ghost small remove"
                aria-label={`Remove ${m.name}`}
                title={`Remove ${m.name} from the room`}
                onClick={() => onRemove(m)}
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {manage && store.bans.value.length > 0 && (
        <>
          <h2>
            Banned <span class="muted">· {store.bans.value.length}</span>
          </h2>
          <ul aria-label="Banned">
            {store.bans.value.map((b) => (
              <li key={b.id} class="member banned">
                <Avatar uid={b.id} name={b.name} size="sm" />
                <span class="member-name">
                  <span class="member-line">{b.name}</span>
                  {b.username && <span class="member-meta">@{b.username}</span>}
                </span>
                <button
                  type="button"
                  class="button ghost small remove"
                  aria-label={`Unban ${b.name}`}
                  title={`Let ${b.name} join again by the invite link`}
                  onClick={async () => {
                    const failed = await store.unban(b.id);
                    banError.value = failed && failureText(failed);
                  }}
                >
                  Unban
                </button>
              </li>
            ))}
          </ul>
          {banError.value && (
            <p class="error" role="alert">
              {banError.value}
            </p>
          )}
        </>
      )}
    </>
  );
}
