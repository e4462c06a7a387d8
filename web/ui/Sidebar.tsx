import { useSignal } from "@preact/signals";
import type { Presence, RoomSummary } from "../../worker/protocol";
import { failureText } from "../api";
import { lazy } from "../state/lazy";
import { previewLine, shortWhen } from "../state/sidebar-lines";
import type { SidebarStore } from "../state/sidebar";
import { Avatar } from "./Avatar";
import { useApp } from "./context";
import { Svg } from "./Icons";
import { lazyComponent } from "./Lazy";
import { Link } from "./Link";
import { PersonDot, useMinute } from "./Presence";
import { Menu } from "./Menu";
import type { SidebarDialog } from "./SidebarDialogs";
import { isMuted } from "../state/sidebar";
import type { Notifier } from "../state/notify";
import { notifyPart } from "./notify-part";

/** The sidebar's dialogs (new room, new message, save the account, log out) load when one first opens. */
const SidebarDialogs = lazyComponent(
  lazy(() => import("./SidebarDialogs")),
  (m) => m.SidebarDialogs,
);

/**
 * The user's conversations, most recent first, with the account menu and the "new" actions
 * on top. On phones it is the home screen; on wider screens it stays beside the room.
 */
export function Sidebar({
  store,
  currentId,
  notifier,
  onSearch,
  onSearchHint,
}: {
  store: SidebarStore;
  currentId: string | null;
  notifier?: Notifier | null;
  onSearch: () => void;
  onSearchHint: () => void;
}) {
  const app = useApp();
  const me = app.session.value;
  const open = useSignal<SidebarDialog | null>(null);
  const notice = useSignal<string | null>(null);
  if (!me) return null;
  const guest = me.kind === "guest";
  const rooms = store.rooms.value;
  const presence = store.presence.value;
  const now = useMinute();
  const close = () => (open.value = null);

  async function logout() {
    const failed = await app.logout();
    return failed ? failureText(failed) : null;
  }

  return (
    <>
      <aside class="sidebar" aria-label="Sidebar">
        <div class="sidebar-header">
          <Menu
            class="account"
            label="Account menu"
            header={
              <>
                <strong>{me.name}</strong>
                <span class="muted">{me.username ? `@${me.username}` : "Guest"}</span>
              </>
            }
            items={[
              ...(guest ? [{ label: "Save your account", onSelect: () => (open.value = "save") }] : []),
              ...(notifier
                ? [
                    { label: notifier.enabled.value ? "Turn off notifications" : "Turn on notifications", onSelect: () => void (notifier.enabled.value ? notifier.disable() : notifier.enable()) },
                    { label: notifier.sound.value ? "Turn off sound" : "Turn on sound", onSelect: notifier.toggleSound },
                  ]
                : []),
              {
                label: me.receipts === false ? "Turn on read receipts" : "Turn off read receipts",
                onSelect: () => void app.setReadReceipts(me.receipts === false).then((f) => (notice.value = f ? failureText(f) : null)),
              },
              {
                label: "Log out",
                onSelect: () => {
                  if (guest) open.value = "logout";
                  else void logout().then((t) => (notice.value = t));
                },
              },
            ]}
          >
            <Avatar uid={me.id} name={me.name} size="sm" />
            <span class="account-name">{me.name}</span>
            <ChevronDown />
          </Menu>
          <button type="button" class="button ghost icon" aria-label="Search" title="Search (Ctrl+K)" onClick={onSearch} onPointerEnter={onSearchHint}>
            <SearchIcon />
          </button>
          <button type="button" class="button ghost icon" aria-label="New room" title="New room" onClick={() => (open.value = "room")}>
            <PlusIcon />
          </button>
          <button type="button" class="button ghost icon" aria-label="New message" title="New message" onClick={() => (open.value = "dm")}>
            <ComposeIcon />
          </button>
        </div>

        {guest && (
          <div class="save-nudge">
            <span>You're using a guest account. Save it to sign in again later.</span>
            <button type="button" class="button small primary" onClick={() => (open.value = "save")}>
              Save your account
            </button>
          </div>
        )}
        {notifier && notifyPart.module.value && <notifyPart.module.value.NotifyBanner notifier={notifier} />}
        {(notice.value ?? store.error.value) && (
          <p class="sidebar-error error" role="alert">
            {notice.value ?? store.error.value}
          </p>
        )}

        <nav class="conversations" aria-label="Conversations" aria-busy={!store.loaded.value}>
          {rooms.length > 0 ? (
            <ul>
              {rooms.map((r) => (
                <ConversationItem key={r.id} room={r} meId={me.id} current={currentId === r.id} peer={r.peer ? presence.get(r.peer) : undefined} now={now} />
              ))}
            </ul>
          ) : store.loaded.value ? (
            <div class="empty-list">
              <p>No conversations yet.</p>
              <p class="muted">Create a room and share its invite link, or message someone by their username.</p>
              <div class="empty-actions">
                <button type="button" class="button primary" onClick={() => (open.value = "room")}>
                  Create a room
                </button>
                <button type="button" class="button" onClick={() => (open.value = "dm")}>
                  Message someone
                </button>
              </div>
            </div>
          ) : (
            <p class="empty-list muted">Loading…</p>
          )}
        </nav>
      </aside>

      {/* Beside the aside, not in it: on phones the aside is hidden while a room shows, and a
          modal <dialog> under a display:none ancestor is not drawn. */}
      {open.value && <SidebarDialogs open={open.value} me={me} store={store} onClose={close} logout={logout} />}
    </>
  );
}

/** `peer`: a DM's other member's presence (a dot on the avatar). */
function ConversationItem({ room, meId, current, peer, now }: { room: RoomSummary; meId: string; current: boolean; peer: Presence | undefined; now: number }) {
  const preview = previewLine(room.lastMessage, room.kind, meId);
  const when = room.lastMessage?.ts ?? room.activityAt;
  return (
    <li>
      <Link href={`/r/${room.id}`} class={room.unread ? "conv unread" : "conv"} current={current}>
        <span class="conv-avatar">
          <Avatar uid={room.id} name={room.name} round={room.kind === "dm"} />
          <PersonDot p={peer} now={now} />
        </span>
        <span class="conv-main">
          <span class="conv-top">
            <span class="conv-name">{room.name}</span>
            {room.lastMessage && (
              <time class="conv-time" dateTime={new Date(when).toISOString()}>
                {shortWhen(when)}
              </time>
            )}
          </span>
          <span class="conv-bottom">
            <bdi class="conv-preview">{preview || room.topic || "No messages"}</bdi>
            {room.mentions > 0 && (
              <span class="badge mention-badge" title={room.mentions === 1 ? "You were mentioned" : `You were mentioned ${room.mentions} times`}>
                @<span class="sr-only"> {room.mentions} {room.mentions === 1 ? "mention" : "mentions"}</span>
              </span>
            )}
            {room.unread > 0 && (
              <span class={isMuted(room) ? "badge muted-badge" : "badge"}>
                {room.unread > 99 ? "99+" : room.unread}
                <span class="sr-only"> unread</span>
              </span>
            )}
          </span>
        </span>
      </Link>
    </li>
  );
}

const PlusIcon = () => (
  <Svg>
    <path d="M12 5v14M5 12h14" />
  </Svg>
);

/** "New message": a pencil on a square. */
const ComposeIcon = () => (
  <Svg>
    <path d="M11 4H6a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-5" />
    <path d="M17.5 3.5a2.1 2.1 0 0 1 3 3L12 15l-4 1 1-4z" />
  </Svg>
);

const ChevronDown = () => (
  <Svg size={14}>
    <path d="M6 9l6 6 6-6" />
  </Svg>
);

const SearchIcon = () => (
  <Svg>
    <circle cx="11" cy="11" r="6.5" />
    <path d="m20 20-4.2-4.2" />
  </Svg>
);
