/**
 * One message row: avatar and name at the head of a group, the quote of the message it answers
 * (a click brings that one into view), the text (its Markdown as Preact nodes, never an HTML
 * string) and "(edited)", attachments, reactions, its delivery state (sending, waiting, failed
 * with Retry/Discard), its read receipts (a DM's ticks on ours, a group's "Seen by" avatars) and
 * its actions (react, reply, and a menu: edit, mark as unread, seen by…, delete; a long press
 * on touch screens; MessageActions.tsx, a chunk).
 */
import { useSignal } from "@preact/signals";
import { Component } from "preact";
import { useEffect, useMemo, useRef } from "preact/hooks";
import { mentionsUser } from "../../../worker/protocol";
import { lazy } from "../../state/lazy";
import { plainText } from "../../state/markdown";
import { fullDate, timeLabel } from "../../state/messages";
import type { RoomStore } from "../../state/room";
import type { ReplyQuote } from "../../../worker/protocol";
import { Avatar } from "../Avatar";
import { CallEntry } from "../calls/CallEntry";
import { Attachments, Reactions, SeenAvatars, TickMark } from "../Media";
import { lazyComponent } from "../Lazy";
import { Markdown } from "./Markdown";
import type { MsgRow } from "./rows";

/** The "Seen by…" list: its own chunk, loaded when first opened. */
const SeenByDialog = lazyComponent(lazy(() => import("./SeenBy")), (m) => m.SeenByDialog);
/**
 * A message's actions (react, reply, delete, the menu), shown on hover, focus or a long press
 * over the row: a chunk asked for when the first row draws, here before a pointer gets there
 * in practice (nothing takes their place meanwhile: they float over the row).
 */
const MessageActions = lazyComponent(lazy(() => import("./MessageActions")), (m) => m.MessageActions);

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
export class MessageItem extends Component<ItemProps> {
  override shouldComponentUpdate(next: ItemProps) {
    const p = this.props;
    return !sameRow(p.row, next.row) || (next.row.status === "sending" && p.queued !== next.queued);
  }
  override render() {
    return <MessageView {...this.props} />;
  }
}

/** The compact quote above a reply; a click brings the original into view (older history loaded if needed). */
export function Quote({ q, onOpen }: { q: ReplyQuote; onOpen?: () => void }) {
  // The quote's line without its Markdown markers, as the sidebar's preview shows text.
  const body = q.deleted ? "Original message deleted" : plainText(q.text) || "…";
  const inner = (
    <>
      {!q.deleted && <bdi class="quote-name">{q.name}</bdi>}
      <span class={q.deleted ? "quote-text deleted-text" : "quote-text"} dir="auto">
        {body}
      </span>
    </>
  );
  return onOpen ? (
    <button type="button" class="reply-quote" title="Show the original message" onClick={onOpen}>
      {inner}
    </button>
  ) : (
    <div class="reply-quote">{inner}</div>
  );
}

function MessageView({ row, queued, store, onRetry, onDiscard }: ItemProps) {
  const seenBy = useSignal(false);
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
  const me = store.me.value.id;
  const mentions = useMemo(() => (row.mentions ? { ids: row.mentions, me, nameOf: store.memberName } : undefined), [row.mentions, me]);
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
      class={`msg${row.head ? " head" : ""}${row.mine ? " mine" : ""}${mentionsUser(row.mentions, row.uid, me) ? " mentioned" : ""} ${row.status}${pressed.value ? " pressed" : ""}`}
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
            <bdi class="sender">{row.name}</bdi>
            {time}
          </div>
        ) : (
          <span class="sr-only">{row.name}: </span>
        )}
        {/* Markdown as Preact nodes: every string is a text node, so markup in a message shows
            literally; dir="auto" sets its direction from its own text and isolates it, so
            direction-changing characters in it cannot reorder anything around it. */}
        {row.replyTo && <Quote q={row.replyTo} onOpen={() => void store.jumpTo(row.replyTo!.seq)} />}
        {row.deleted ? (
          <div class="text deleted-text">This message was deleted</div>
        ) : (
          row.text && (
            <div class="text" dir="auto">
              <Markdown text={row.text} mentions={mentions} />
            </div>
          )
        )}
        {row.edited && !row.deleted && (
          <span class="edited-mark" title={`Edited ${fullDate(row.edited)}`}>
            (edited)
          </span>
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
        {row.tick && <TickMark tick={row.tick} />}
        {row.seenBy && <SeenAvatars ids={row.seenBy.split(",")} store={store} onOpen={() => (seenBy.value = true)} />}
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
      {row.seq !== null && !row.deleted && <MessageActions row={row} store={store} pressed={pressed} onSeenBy={() => (seenBy.value = true)} />}
      {seenBy.value && row.seq !== null && <SeenByDialog store={store} seq={row.seq} author={row.uid} onClose={() => (seenBy.value = false)} />}
    </div>
  );
}
