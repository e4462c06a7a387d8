import { useComputed, useSignal } from "@preact/signals";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import type { RoomStore } from "../../state/room";
import { MessageItem } from "./MessageRow";
import { buildRows, withReceipts, type MsgRow } from "./rows";

/** How close to the bottom (px) still counts as "at the bottom" (sticky autoscroll). */
const STICK_PX = 48;
/** Start loading the previous page this close to the top (px). */
const LOAD_OLDER_PX = 300;
/** Older pages loaded at opening to reach the first unread message; past that the room opens at the bottom. */
const UNREAD_PAGES = 4;
/** How long a message jumped to stays highlighted (ms; the CSS fades it). */
const FOCUS_MS = 2500;

/**
 * The conversation. Scrolling rules:
 * - when the reader is at the bottom, new messages keep it at the bottom;
 * - when they scrolled up, nothing they look at moves, whatever changes above or below
 *   (an older page prepended, a row regrouped, a message appended): the first visible
 *   row is the anchor, and after each update it is put back at the same offset. New
 *   messages from others are counted on a "new messages" pill instead;
 * - sending a message always brings the view to the bottom;
 * - near the top the previous page loads;
 * - a room opened with unread messages opens on the "New messages" line above the first of
 *   them (older pages are loaded to reach it), unless they all fit on the screen: then at the
 *   bottom as usual. While that line is above the screen a bar offers to jump back to it;
 * - more than a screen above the newest message, a pill offers to jump to it (with the count
 *   of messages that came meanwhile, if any);
 * - a jump to a message (a search result or a reply's original, store.jumpTo) scrolls it to the middle and
 *   highlights it briefly. When the jump loaded a window of older history, the list ends at
 *   a gap: near the bottom the next page loads (nothing sticks to the bottom meanwhile), and
 *   the "Jump to latest" pill drops the window.
 * overflow-anchor is off in CSS so the browser's own scroll anchoring doesn't also shift it.
 */
export function MessageList({ store }: { store: RoomStore }) {
  /** The line is drawn only once the message before it is loaded (or there is nothing older). */
  const unreadAfter = useComputed(() => {
    const after = store.unreadLine.value;
    const oldest = store.messages.value[0]?.seq;
    return after !== null && (oldest === undefined || oldest <= after + 1 || !store.hasMore.value) ? after : null;
  });
  const built = useComputed(() => buildRows(store.messages.value, store.pending.value, store.me.value, Date.now(), unreadAfter.value));
  const rows = useComputed(() => withReceipts(built.value, store.receipts.value, store.me.value.id, store.room.value.kind === "dm"));
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  /** The first row in view and its offset from the top of the viewport, as of the last scroll or update. */
  const anchor = useRef<{ key: string; offset: number } | null>(null);
  const unseen = useSignal(0);
  const prevKeys = useRef<Set<string>>(new Set());
  /** The view has been placed once (on the first unread, or at the bottom); older pages fetched to get there. */
  const landed = useRef(store.unreadAfter === null);
  const chased = useRef(0);
  /** The "New messages" line is above the screen. */
  const unreadAbove = useSignal(false);
  /** The reader is more than a screen above the newest message: offer to jump to it. */
  const farUp = useSignal(false);
  /** The last jump (focus.n) the view has gone to. */
  const focused = useRef(0);
  /** The list ended at a gap (a jump's window) as of the last update. */
  const wasDetached = useRef(false);

  const list = rows.value;
  const ready = store.ready.value;
  const hasMore = store.hasMore.value;
  const loadingOlder = store.loadingOlder.value;
  const olderError = store.olderError.value;
  const queued = store.connection.value !== "online";
  const focus = store.focus.value;
  const detached = store.hasNewer.value;
  const loadingNewer = store.loadingNewer.value;

  function scrollToBottom() {
    const el = scroller.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    unseen.value = 0;
    farUp.value = false;
  }

  /** Near the bottom of a jump's window: the page after it. */
  function maybeLoadNewer() {
    const el = scroller.current;
    if (!el || !store.hasNewer.value || store.loadingNewer.value || store.olderError.value) return;
    if (el.scrollHeight - el.scrollTop - el.clientHeight < LOAD_OLDER_PX) void store.loadNewer();
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
    if (focus && focus.n !== focused.current && ready) {
      const row = msgs.find((r) => r.seq === focus.seq);
      const node = row ? el.querySelector<HTMLElement>(`[data-key="${CSS.escape(row.key)}"]`) : null;
      if (node) {
        focused.current = focus.n;
        landed.current = true;
        el.scrollTop = node.offsetTop - Math.max(8, (el.clientHeight - node.offsetHeight) / 2);
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
        // On the element, not in the row's props: the highlight is the view's, for a moment.
        node.classList.add("focused");
        setTimeout(() => node.classList.remove("focused"), FOCUS_MS);
        prevKeys.current = new Set(msgs.map((r) => r.key));
        wasDetached.current = detached;
        captureAnchor();
        return;
      }
    }
    if (!landed.current && ready) {
      const line = el.querySelector<HTMLElement>(".unread-line");
      if (!line && unreadAfter.value === null && store.unreadAfter !== null && store.hasMore.value && chased.current < UNREAD_PAGES) {
        // The first unread message is further back: fetch it before placing the view.
        if (!loadingOlder && !olderError) {
          chased.current++;
          void store.loadOlder();
        }
        prevKeys.current = new Set(msgs.map((r) => r.key));
        return;
      }
      landed.current = true;
      if (line && el.scrollHeight - line.offsetTop > el.clientHeight) {
        el.scrollTop = line.offsetTop - 8;
        atBottom.current = false;
        prevKeys.current = new Set(msgs.map((r) => r.key));
        captureAnchor();
        return;
      }
    }
    if ((atBottom.current && !detached) || sentNow) {
      scrollToBottom();
    } else {
      const a = anchor.current;
      const target = a ? el.querySelector<HTMLElement>(`[data-key="${CSS.escape(a.key)}"]`) : null;
      if (a && target) el.scrollTop = target.offsetTop - a.offset;
      // Only what arrived below the reader counts as new: not an older page loaded above.
      const firstOld = msgs.findIndex((r) => prevKeys.current.has(r.key));
      const below = firstOld < 0 ? [] : msgs.slice(firstOld).filter((r) => fresh.includes(r) && !r.mine);
      // Pages of a jump's window (and the window itself) are history, not news.
      if (below.length && !detached && !wasDetached.current) unseen.value += below.length;
    }
    prevKeys.current = new Set(msgs.map((r) => r.key));
    wasDetached.current = detached;
    captureAnchor();
    // A short first page may not fill the view, so no scroll would ever ask for more.
    maybeLoadOlder();
    maybeLoadNewer();
  }, [list, ready, loadingOlder, olderError, queued, focus, detached, loadingNewer]);

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
    const line = el.querySelector<HTMLElement>(".unread-line");
    unreadAbove.value = line !== null && line.offsetTop + line.offsetHeight < el.scrollTop;
    farUp.value = el.scrollHeight - el.scrollTop - el.clientHeight > el.clientHeight;
    captureAnchor();
    maybeLoadOlder();
    maybeLoadNewer();
  }

  function toLatest() {
    if (store.hasNewer.peek()) {
      // The list re-renders with the newest messages; the update then sticks to the bottom.
      atBottom.current = true;
      unseen.value = 0;
      farUp.value = false;
      store.toLatest();
    } else scrollToBottom();
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
          ) : r.kind === "unread" ? (
            <div key={r.key} class="unread-line" role="separator" aria-label="New messages">
              <span>New messages</span>
            </div>
          ) : (
            <MessageItem key={r.key} row={r} queued={queued} store={store} onRetry={store.retry} onDiscard={store.discard} />
          ),
        )}
        {detached && (
          <div class="history-edge">
            {loadingNewer ? (
              <span class="muted">Loading newer messages…</span>
            ) : (
              <button type="button" class="link-button" onClick={() => void store.loadNewer()}>
                Load newer messages
              </button>
            )}
          </div>
        )}
      </div>
      {unreadAbove.value && (
        <button
          type="button"
          class="unread-bar"
          onClick={() => {
            const el = scroller.current;
            const line = el?.querySelector<HTMLElement>(".unread-line");
            if (el && line) el.scrollTop = line.offsetTop - 8;
          }}
        >
          Jump to first unread ↑
        </button>
      )}
      {(unseen.value > 0 || farUp.value || detached) && (
        <button type="button" class="new-pill" onClick={toLatest}>
          {unseen.value === 0 ? "Jump to latest" : unseen.value === 1 ? "1 new message" : `${unseen.value} new messages`} ↓
        </button>
      )}
    </div>
  );
}
