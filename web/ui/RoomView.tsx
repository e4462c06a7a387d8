import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { lazy, prefetch } from "../state/lazy";
import type { RoomCallSlot } from "../state/call";
import type { RoomStore } from "../state/room";
import { CallButtons, CallScreen, IdleCallButtons, IncomingCall, callBasics, callCode } from "./calls/code";
import { ConnectionBadge } from "./ConnectionBadge";
import { dmHeader, memberCounts } from "../state/presence";
import { useMinute } from "./Presence";
import { BackIcon, LinkIcon, MoreIcon, PeopleIcon } from "./Icons";
import { lazyComponent } from "./Lazy";
import { Link } from "./Link";
import { Menu, type MenuItem } from "./Menu";
import { Composer } from "./messages/Composer";
import { MessageList } from "./messages/MessageList";
import { TypingLine } from "./messages/TypingLine";
import type { RoomDialog } from "./RoomDialogs";
import type { SidebarStore } from "../state/sidebar";
import { notifyPart } from "./notify-part";


/**
 * The member list (with the ban list for an owner) is a chunk of its own, asked for when the
 * room first draws: the panel and its heading are here at once, its rows a moment later.
 * Showing the conversation and sending do not need it.
 */
const Members = lazyComponent(
  lazy(() => import("./RoomMembers")),
  (m) => m.RoomMembers,
);

/** The room's dialogs (owner actions, leave, remove a member) load when one first opens. */
const RoomDialogs = lazyComponent(
  lazy(() => import("./RoomDialogs")),
  (m) => m.RoomDialogs,
);

/**
 * The invite link's button (copying, its fallbacks, the field to copy by hand) is a chunk of
 * its own, asked for when the room first draws; meanwhile the same button, off, holds its place.
 */
const CopyLink = lazyComponent(
  lazy(() => import("./CopyLink")),
  (m) => m.CopyLink,
  ({ label }) => (
    <div class="copy-link">
      <button type="button" class="button" disabled>
        <LinkIcon />
        <span class="copy-label">{label}</span>
      </button>
    </div>
  ),
);

/** A room's notification settings (the notifications part). */
const RoomNotifyDialog = lazyComponent(notifyPart, (m) => m.RoomNotifyDialog);

/**
 * One conversation: header (name, topic, connection, invite link, room menu), messages,
 * composer, and the member list (a drawer on phones). `onGone` runs after we left or
 * deleted the room ourselves.
 */
export function RoomView({ store, call, sidebar, onGone }: { store: RoomStore; call: RoomCallSlot; sidebar: SidebarStore; onGone: () => void }) {
  const membersOpen = useSignal(false);
  const notifyOpen = useSignal(false);
  const open = useSignal<RoomDialog | null>(null);
  const problem = store.problem.value;
  const room = store.room.value;
  const owner = room.role === "owner";
  const group = room.kind === "group";
  const close = () => (open.value = null);
  const now = useMinute();
  // A DM's header shows the other person's presence (from our hub), not our connection.
  const dm = group ? null : dmHeader(store.members.value, sidebar.presence.value, now);
  // Away people are not counted as online (the room sees their socket; their hub says away).
  const count = memberCounts(store.members.value, sidebar.presence.value);
  const countText = `${count.online} online${count.away ? `, ${count.away} away` : ""}`;

  // The members drawer (phones) closes with Escape, like any overlay.
  useEffect(() => {
    if (!membersOpen.value) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") membersOpen.value = false;
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [membersOpen.value]);

  const notify: MenuItem = { label: "Notifications…", onSelect: () => (notifyOpen.value = true) };
  const items: MenuItem[] = !group
    ? [notify]
    : owner
      ? [
          notify,
          { label: "Edit name and topic", onSelect: () => (open.value = "edit") },
          { label: "Reset invite link", onSelect: () => (open.value = "reset") },
          { label: "Delete room", onSelect: () => (open.value = "delete"), danger: true },
        ]
      : [notify, { label: "Leave room", onSelect: () => (open.value = "leave"), danger: true }];

  const o = open.value;
  // The room's call, once the call stand-ins are here (state/call/page.ts): at once, in practice.
  const rc = call.call.value;
  return (
    <div class="room">
      <header class="room-header">
        <Link href="/" class="back-link" label="Back to conversations">
          <BackIcon />
        </Link>
        <div class="room-title">
          <h1 title={room.name}>{room.name}</h1>
          <div class="room-sub">
            <ConnectionBadge store={store} />
            {group && (
              <span class="member-count">
                {store.members.value.length} {store.members.value.length === 1 ? "member" : "members"} · {countText}
              </span>
            )}
            {dm && (
              <span class={`peer-presence ${dm.status}`} data-presence={dm.status}>
                {dm.text}
              </span>
            )}
            {room.topic && (
              <span class="topic" title={room.topic}>
                {room.topic}
              </span>
            )}
          </div>
        </div>
        {rc ? (
          <CallButtons call={rc} />
        ) : (
          <IdleCallButtons
            disabled={call.starting.value || store.connection.value !== "online"}
            onStart={(media) => void call.start(media)}
            onHint={() => {
              prefetch(callBasics);
              prefetch(callCode);
            }}
          />
        )}
        <button
          type="button"
          class="button ghost members-toggle"
          aria-expanded={membersOpen.value}
          aria-controls="members-panel"
          onClick={() => (membersOpen.value = !membersOpen.value)}
        >
          <PeopleIcon />
          <span class="sr-only">Show members, </span>
          {count.online}
          <span class="sr-only"> online</span>
        </button>
        {room.invite && <CopyLink url={`${location.origin}/join/${room.invite}`} label="Copy invite link" />}
        {items.length > 0 && (
          <Menu class="room-menu" label="Room options" items={items}>
            <MoreIcon />
          </Menu>
        )}
      </header>
      {problem?.kind === "closed" && (
        <div class="banner" role="alert">
          <span>{problem.message}</span>
          <button type="button" class="button small" onClick={() => location.reload()}>
            Reload
          </button>
        </div>
      )}
      {(rc?.notice.value ?? call.failed.value) && (
        <div class="banner call-notice" role="alert">
          <span>{rc?.notice.value ?? call.failed.value}</span>
        </div>
      )}
      {rc && <IncomingCall call={rc} />}
      {rc && <CallScreen call={rc} />}
      <div class="room-body">
        <section class="chat" aria-label="Conversation">
          <MessageList store={store} />
          <TypingLine store={store} />
          <Composer store={store} presence={sidebar.presence} />
        </section>
        {membersOpen.value && <div class="scrim" aria-hidden="true" onClick={() => (membersOpen.value = false)} />}
        <aside
          id="members-panel"
          class={`members${membersOpen.value ? " open" : ""}${store.connection.value === "online" ? "" : " stale"}`}
          aria-label="Members"
        >
          <h2>
            Members{" "}
            <span class="muted">
              · {store.members.value.length} · {countText}
            </span>
          </h2>
          <Members store={store} manage={owner && group} onRemove={(m) => (open.value = { remove: m })} presence={sidebar.presence.value} now={now} />
        </aside>
      </div>

      {o && <RoomDialogs open={o} store={store} onClose={close} onGone={onGone} />}
      {notifyOpen.value && <RoomNotifyDialog roomId={room.id} sidebar={sidebar} onClose={() => (notifyOpen.value = false)} />}
    </div>
  );
}
