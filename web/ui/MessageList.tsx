import { useComputed, useSignal } from "@preact/signals";
import { Component } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { buildRows, fullDate, timeLabel, type Row } from "../state/messages";
import type { RoomStore } from "../state/room";
import { Avatar } from "./Avatar";

/** How close to the bottom (px) still counts as "at the bottom" (sticky autoscroll). */
const STICK_PX = 48;
/** Start loading the previous page this close to the top (px). */
const LOAD_OLDER_PX = 300;

type MsgRow = Extract<Row, { kind: "msg" }>;

/**
 * The conversation. Scrolling rules:
 * - when the reader is at the bottom, new messages keep it at the bottom;
 * - when they scrolled up, nothing moves: a "New messages" pill counts what arrived;
 * - sending a message always brings the view to the bottom;
 * - near the top the previous page loads, and the view is shifted by exactly the
 *   height added above so what the reader looks at stays put (overflow-anchor is off
 *   in CSS so the browser's own scroll anchoring doesn't shift it twice).
 */
export function MessageList({ store }: { store: RoomStore }) {
  const rows = useComputed(() => buildRows(store.messages.value, store.pending.value, store.me.value));
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const unseen = useSignal(0);
  const prev = useRef<{ first?: string; last?: string; height: number; keys: Set<string> }>({ height: 0, keys: new Set() });

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

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const msgs = list.filter((r): r is MsgRow => r.kind === "msg");
    const first = msgs[0]?.key;
    const lastRow = msgs[msgs.length - 1];
    const last = lastRow?.key;
    const p = prev.current;
    if (p.first !== undefined && first !== p.first && last === p.last) {
      // Older page prepended: keep the reader's place.
      el.scrollTop += el.scrollHeight - p.height;
    } else if (last !== p.last && lastRow && !p.keys.has(lastRow.key)) {
      const fresh = msgs.filter((r) => !p.keys.has(r.key));
      if (atBottom.current || (lastRow.mine && lastRow.status === "sending")) scrollToBottom();
      else unseen.value += fresh.filter((r) => !r.mine).length;
    } else if (atBottom.current) {
      // Same messages, different heights (an ack, a failure notice): stay pinned.
      el.scrollTop = el.scrollHeight;
    }
    prev.current = { first, last, height: el.scrollHeight, keys: new Set(msgs.map((r) => r.key)) };
    // A short first page may not fill the view, so no scroll would ever ask for more.
    maybeLoadOlder();
  }, [list, ready, loadingOlder]);

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
            <span class="muted">This is the start of {store.room.name}.</span>
          )}
        </div>
        {list.map((r) =>
          r.kind === "day" ? (
            <div key={r.key} class="day" role="separator" aria-label={r.label}>
              <span>{r.label}</span>
            </div>
          ) : (
            <MessageItem key={r.key} row={r} queued={queued} onRetry={store.retry} onDiscard={store.discard} />
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

function MessageView({ row, queued, onRetry, onDiscard }: ItemProps) {
  const time = (
    <time dateTime={new Date(row.ts).toISOString()} title={fullDate(row.ts)}>
      {timeLabel(row.ts)}
    </time>
  );
  return (
    <div class={`msg${row.head ? " head" : ""}${row.mine ? " mine" : ""} ${row.status}`} data-seq={row.seq ?? undefined}>
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
        <div class="text">{row.text}</div>
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
    </div>
  );
}
