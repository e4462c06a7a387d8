/**
 * The room's members (in the order the store keeps), with Remove for an owner of a
 * group, and the ban list (Unban) below. Loaded on demand: RoomView.tsx draws the panel and
 * its heading (with the online count) at once, these rows when this chunk is here.
 */
import { useSignal } from "@preact/signals";
import { failureText } from "../api";
import type { MemberRow, RoomStore } from "../state/room";
import { Avatar } from "./Avatar";

export function RoomMembers({ store, manage, onRemove }: { store: RoomStore; manage: boolean; onRemove: (m: MemberRow) => void }) {
  const banError = useSignal<string | null>(null);
  return (
    <>
      <ul aria-label="Members">
        {store.members.value.map((m) => (
          <li key={m.id} class={m.online ? "member online" : "member"} data-online={m.online}>
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
            <span class="presence-dot" title={m.online ? "Online" : "Offline"} />
            <span class="sr-only">{m.online ? ", online" : ", offline"}</span>
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
