import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { RoomStore } from "../state/room";
import { Avatar } from "./Avatar";
import { Composer } from "./Composer";
import { ConnectionBadge } from "./ConnectionBadge";
import { CopyLink } from "./CopyLink";
import { Link } from "./Link";
import { MessageList } from "./MessageList";

export function RoomView({ store }: { store: RoomStore }) {
  const membersOpen = useSignal(false);
  const problem = store.problem.value;

  useEffect(() => {
    document.title = `${store.room.name} · Chat`;
  }, [store.room.name]);

  // The members drawer (phones) closes with Escape, like any overlay.
  useEffect(() => {
    if (!membersOpen.value) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") membersOpen.value = false;
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [membersOpen.value]);

  return (
    <div class="room">
      <header class="room-header">
        <Link href="/" class="home-link">
          <span aria-hidden="true">‹</span>
          <span class="sr-only">Home</span>
        </Link>
        <div class="room-title">
          <h1 title={store.room.name}>{store.room.name}</h1>
          <ConnectionBadge store={store} />
        </div>
        <button
          type="button"
          class="button ghost members-toggle"
          aria-expanded={membersOpen.value}
          aria-controls="members-panel"
          onClick={() => (membersOpen.value = !membersOpen.value)}
        >
          <PeopleIcon />
          <span class="sr-only">Show members, </span>
          {store.onlineCount.value}
          <span class="sr-only"> online</span>
        </button>
        <CopyLink roomId={store.room.id} />
      </header>
      {problem && (
        <div class="banner" role="alert">
          <span>{problem.message}</span>
          <button type="button" class="button small" onClick={() => location.reload()}>
            Reload
          </button>
        </div>
      )}
      <div class="room-body">
        <section class="chat" aria-label="Conversation">
          <MessageList store={store} />
          <TypingLine store={store} />
          <Composer store={store} />
        </section>
        {membersOpen.value && <div class="scrim" aria-hidden="true" onClick={() => (membersOpen.value = false)} />}
        <aside
          id="members-panel"
          class={`members${membersOpen.value ? " open" : ""}${store.connection.value === "online" ? "" : " stale"}`}
          aria-label="Members"
        >
          <h2>
            Members <span class="muted">· {store.onlineCount.value} online</span>
          </h2>
          <ul aria-label="Members">
            {store.members.value.map((m) => (
              <li key={m.id} class={m.online ? "member online" : "member"} data-online={m.online}>
                <Avatar uid={m.id} name={m.name} size="sm" />
                <span class="member-name">
                  {m.name}
                  {m.me && <span class="muted"> (you)</span>}
                </span>
                <span class="presence-dot" title={m.online ? "Online" : "Offline"} />
                <span class="sr-only">{m.online ? ", online" : ", offline"}</span>
              </li>
            ))}
          </ul>
        </aside>
      </div>
    </div>
  );
}

function TypingLine({ store }: { store: RoomStore }) {
  return (
    <div class="typing" role="status" aria-live="polite">
      {store.typingText}
    </div>
  );
}

function PeopleIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
      <circle cx="9" cy="8" r="3.5" />
      <path d="M2.5 20c.8-3.6 3.4-5.5 6.5-5.5s5.7 1.9 6.5 5.5" />
      <path d="M16 4.8a3.3 3.3 0 0 1 0 6.4M18.5 14.8c1.6.8 2.7 2.5 3 5.2" />
    </svg>
  );
}
