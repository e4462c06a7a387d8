import { useComputed, useSignal } from "@preact/signals";
import { Component } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { buildRows, fullDate, timeLabel, type Row } from "../state/messages";
import type { RoomStore } from "../state/room";
import { Avatar } from "./Avatar";
import { CallEntry } from "./calls/CallEntry";
import { ConfirmDialog } from "./Dialog";
import { Attachments, EmojiPicker, Reactions } from "./Media";

/** How close to the bottom (px) still counts as "at the bottom" (sticky autoscroll). */
const STICK_PX = 48;
/** Start loading the previous page this close to the top (px). */
const LOAD_OLDER_PX = 300;

type MsgRow = Extract<Row, { kind: "msg" }>;

/**
 * The conversation. Scrolling rules:
 * - when the reader is at the bottom, new messages keep it at the bottom;
 * - when they scrolled up, nothing they look at moves, whatever changes above or below
 *   (an older page prepended, a row regrouped, a message appended): the first visible
 *   row is the anchor, and after each update it is put back at the same offset. New
 *   messages from others are counted on a "new messages" pill instead;
 * - sending a message always brings the view to the bottom;
 * - near the top the previous page loads.
 * overflow-anchor is off in CSS so the browser's own scroll anchoring doesn't also shift it.
 */
export function MessageList({ store }: { store: RoomStore }) {
  const rows = useComputed(() => buildRows(store.messages.value, store.pending.value, store.me.value));
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  /** The first row in view and its offset from the top of the viewport, as of the last scroll or update. */
  const anchor = useRef<{ key: string; offset: number } | null>(null);
  const unseen = useSignal(0);
  const prevKeys = useRef<Set<string>>(new Set());

  const list = rows.value;
  const ready = store.ready.value;
  const hasMore = store.hasMore.value;
  const loadingOlder = store.loadingOlder.value;
  const olderError = store.olderError.value;
  const queued = store.connection.value !== "online";

  function scrollToBottom() {
    const el = scroller.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    unseen.value = 0;
  }

  function maybeLoadOlder() {
    const el = scroller.current;
    if (!el || !store.ready.value || !store.hasMore.value || store.loadingOlder.value || store.olderError.value) return;
    if (el.scrollTop < LOAD_OLDER_PX) void store.loadOlder();
  }

  /** Finds the first keyed row in view (binary search: rows are in offset order). */
  function captureAnchor() {
    const el = scroller.current;
    if (!el) return;
    const rows = el.children;
    let lo = 0;
    let hi = rows.length - 1;
    let found: HTMLElement | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = rows[mid] as HTMLElement;
      if (r.offsetTop + r.offsetHeight > el.scrollTop) {
        found = r;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    // Only message rows are anchors: the history edge changes and a day separator moves
    // up with its day's first message when an older page arrives.
    while (found && !found.dataset.key) found = found.nextElementSibling as HTMLElement | null;
    anchor.current = found ? { key: found.dataset.key!, offset: found.offsetTop - el.scrollTop } : null;
  }

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const msgs = list.filter((r): r is MsgRow => r.kind === "msg");
    const fresh = msgs.filter((r) => !prevKeys.current.has(r.key));
    const lastRow = msgs[msgs.length - 1];
    const sentNow = lastRow !== undefined && lastRow.mine && lastRow.status === "sending" && fresh.includes(lastRow);
    if (atBottom.current || sentNow) {
      scrollToBottom();
    } else {
      const a = anchor.current;
      const target = a ? el.querySelector<HTMLElement>(`[data-key="${CSS.escape(a.key)}"]`) : null;
      if (a && target) el.scrollTop = target.offsetTop - a.offset;
      // Only what arrived below the reader counts as new: not an older page loaded above.
      const firstOld = msgs.findIndex((r) => prevKeys.current.has(r.key));
      const below = firstOld < 0 ? [] : msgs.slice(firstOld).filter((r) => fresh.includes(r) && !r.mine);
      if (below.length) unseen.value += below.length;
    }
    prevKeys.current = new Set(msgs.map((r) => r.key));
    captureAnchor();
    // A short first page may not fill the view, so no scroll would ever ask for more.
    maybeLoadOlder();
  }, [list, ready, loadingOlder, olderError, queued]);

  // Keep the bottom pinned when the box itself changes size (phone keyboard, composer growing).
  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
    if (atBottom.current && unseen.value) unseen.value = 0;
    captureAnchor();
    maybeLoadOlder();
  }

  return (
    <div class="messages-wrap">
      <div class="messages" ref={scroller} onScroll={onScroll} role="log" aria-label="Messages" aria-busy={!ready} tabIndex={0}>
        <div class="history-edge">
          {!ready ? (
            <span class="muted">Loading messages…</span>
          ) : olderError ? (
            <span class="error">
              {olderError}{" "}
              <button type="button" class="link-button" onClick={() => void store.loadOlder()}>
                Try again
              </button>
            </span>
          ) : loadingOlder ? (
            <span class="muted">Loading older messages…</span>
          ) : hasMore ? (
            <button type="button" class="link-button" onClick={() => void store.loadOlder()}>
              Load older messages
            </button>
          ) : list.length === 0 ? (
            <span class="muted">No messages yet. Say hi!</span>
          ) : (
            <span class="muted">
              {store.room.value.kind === "dm"
                ? `This is the start of your conversation with ${store.room.value.name}.`
                : `This is the start of ${store.room.value.name}.`}
            </span>
          )}
        </div>
        {list.map((r) =>
          r.kind === "day" ? (
            <div key={r.key} class="day" role="separator" aria-label={r.label}>
              <span>{r.label}</span>
            </div>
          ) : (
            <MessageItem key={r.key} row={r} queued={queued} store={store} onRetry={store.retry} onDiscard={store.discard} />
          ),
        )}
      </div>
      {unseen.value > 0 && (
        <button type="button" class="new-pill" onClick={scrollToBottom}>
          {unseen.value === 1 ? "1 new message" : `${unseen.value} new messages`} ↓
        </button>
      )}
    </div>
  );
}

type ItemProps = {
  row: MsgRow;
  /** Not connected: a pending message is queued rather than on its way. */
  queued: boolean;
  store: RoomStore;
  onRetry: (cid: string) => void;
  onDiscard: (cid: string) => void;
};

function sameRow(a: MsgRow, b: MsgRow): boolean {
  const keys = Object.keys(a) as (keyof MsgRow)[];
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** Rows are rebuilt on every change; an item whose fields are all equal skips rendering. */
class MessageItem extends Component<ItemProps> {
  override shouldComponentUpdate(next: ItemProps) {
    const p = this.props;
    return !sameRow(p.row, next.row) || (next.row.status === "sending" && p.queued !== next.queued);
  }
  override render() {
    return <MessageView {...this.props} />;
  }
}

function MessageView({ row, queued, store, onRetry, onDiscard }: ItemProps) {
  const picking = useSignal(false);
  const confirmDelete = useSignal(false);
  /** Touch screens: a long press shows the message's actions (no hover there). */
  const pressed = useSignal(false);
  const pressTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const endPress = () => clearTimeout(pressTimer.current);
  const self = useRef<HTMLDivElement>(null);
  // A tap anywhere else closes the long-press actions.
  useEffect(() => {
    if (!pressed.value) return;
    const away = (e: PointerEvent) => {
      if (!self.current?.contains(e.target as Node)) pressed.value = false;
    };
    document.addEventListener("pointerdown", away);
    return () => document.removeEventListener("pointerdown", away);
  }, [pressed.value]);
  useEffect(() => endPress, []);
  if (row.call) {
    return (
      <div class="msg call head" data-key={row.key} data-seq={row.seq ?? undefined}>
        <CallEntry call={row.call} caller={row.name} mine={row.mine} />
        <time dateTime={new Date(row.ts).toISOString()} title={fullDate(row.ts)}>
          {timeLabel(row.ts)}
        </time>
      </div>
    );
  }
  const time = (
    <time dateTime={new Date(row.ts).toISOString()} title={fullDate(row.ts)}>
      {timeLabel(row.ts)}
    </time>
  );
  return (
    <div
      class={`msg${row.head ? " head" : ""}${row.mine ? " mine" : ""} ${row.status}${pressed.value ? " pressed" : ""}`}
      data-key={row.key}
      data-seq={row.seq ?? undefined}
      ref={self}
      onPointerDown={(e) => {
        if (e.pointerType !== "touch" || row.seq === null || row.deleted) return;
        endPress();
        pressTimer.current = setTimeout(() => (pressed.value = true), 500);
      }}
      onPointerUp={endPress}
      onPointerCancel={endPress}
      onPointerMove={endPress}
    >
      <div class="gutter">{row.head ? <Avatar uid={row.uid} name={row.name} /> : <span class="hover-time">{time}</span>}</div>
      <div class="msg-body">
        {row.head ? (
          <div class="meta">
            <span class="sender">{row.name}</span>
            {time}
          </div>
        ) : (
          <span class="sr-only">{row.name}: </span>
        )}
        {/* Text only: Preact sets textContent, so markup in a message shows literally. */}
        {row.deleted ? (
          <div class="text deleted-text">This message was deleted</div>
        ) : (
          row.text && <div class="text">{row.text}</div>
        )}
        {row.attachments && <Attachments roomId={store.id} files={row.attachments} />}
        {row.reactions && row.seq !== null && (
          <Reactions
            reactions={row.reactions}
            me={store.me.value.id}
            nameOf={store.nameOf}
            onToggle={(emoji, on) => store.react(row.seq!, emoji, on)}
          />
        )}
        {row.status === "sending" && <div class="state">{queued ? "Waiting for connection…" : "Sending…"}</div>}
        {row.status === "failed" && (
          <div class="state failed" role="alert">
            Not sent{row.error ? `: ${row.error}` : ""}
            <button type="button" class="link-button" onClick={() => onRetry(row.cid)}>
              Retry
            </button>
            <button type="button" class="link-button" onClick={() => onDiscard(row.cid)}>
              Discard
            </button>
          </div>
        )}
      </div>
      {row.seq !== null && !row.deleted && (
        <div class={picking.value || pressed.value ? "msg-actions open" : "msg-actions"}>
          <button type="button" class="msg-action" aria-label="Add reaction" title="Add reaction" onClick={() => (picking.value = !picking.value)}>
            ☺︎+
          </button>
          {row.mine && (
            <button type="button" class="msg-action" aria-label="Delete message" title="Delete message" onClick={() => {
                pressed.value = false;
                confirmDelete.value = true;
              }}>
              🗑
            </button>
          )}
          {picking.value && (
            <EmojiPicker
              label="Add reaction"
              onClose={() => (picking.value = pressed.value = false)}
              onPick={(e) => {
                picking.value = pressed.value = false;
                const mine = row.reactions?.find((r) => r.emoji === e)?.users.includes(store.me.value.id);
                store.react(row.seq!, e, !mine);
              }}
            />
          )}
        </div>
      )}
      {confirmDelete.value && (
        <ConfirmDialog
          title="Delete this message?"
          text="It is deleted for everyone, with its files and reactions. This can't be undone."
          confirm="Delete"
          danger
          onConfirm={async () => (store.deleteMessage(row.seq!) ? null : "Not connected. Try again when you're back online.")}
          onClose={() => (confirmDelete.value = false)}
        />
      )}
    </div>
  );
}
