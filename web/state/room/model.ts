/**
 * The room model: one per open room, what the room UI reads and calls. It owns the room's
 * channel (socket) and composes the parts, each with its own state:
 *
 *   channel   the typed, reconnecting socket            ./channel.ts
 *   timeline  confirmed messages by seq, history pages  ./timeline.ts
 *   outbox    our pending messages, paced, re-sent      ./outbox.ts
 *   presence  who is online and typing                  ./presence.ts
 *   members   room details, member list, owner actions  ./members.ts
 *   receipts  members' read and delivered positions     ./receipts.ts
 *
 * Frames are routed here, in one place, so the order across parts is explicit (a welcome
 * updates the timeline and settles the outbox before the outbox re-sends). The model also
 * carries the room's side of the coordination with the rest of the app (`RoomHost`): while
 * it is shown in a visible tab it is the sidebar's active room and marks its newest message
 * read; it refreshes when the user's room list changes; it redials on a new session; and a
 * room that ends (removed, deleted, signed out) tells the sidebar or the app.
 */
import { batch, computed, effect, signal, untracked, type ReadonlySignal } from "@preact/signals";
import {
  CallErrorCode,
  Close,
  ErrorCode,
  PROTOCOL,
  quoteOf,
  mentionIdsOf,
  type Attachment,
  type CallState,
  type Me,
  type Message,
  type Peer,
  type ReplyQuote,
  type RoomResponse,
  type ServerFrameOf,
  type UpdateRoomBody,
} from "../../../worker/protocol";
import { api, socketUrl, type ApiFailure, type ApiResult } from "../../api";
import type { AppModel } from "../app";
import { forgetRoom, laterWrite, saveRoom } from "../offline";
import type { SidebarStore } from "../sidebar";
import { Channel } from "./channel";
import type { Pending } from "./list";
import { Members } from "./members";
import { MAX_PENDING, Outbox } from "./outbox";
import { OwnTyping, Presence } from "./presence";
import { closeProblem, problemOf, type RoomProblem } from "./problems";
import { Receipts } from "./receipts";
import { PAGE, Timeline } from "./timeline";

/** A passing notice stays this long. */
const NOTICE_MS = 6000;

const CALL_ERRORS: readonly string[] = Object.values(CallErrorCode);
/** An error refusing a call action: the call model's (it matches it to the action by `req`). */
const isCallError = (f: ServerFrameOf<"error">) => !f.cid && CALL_ERRORS.includes(f.code);

/**
 * The rest of the app, as the room needs it. Both are optional: a room without a host
 * (tests, a store kept alive for its call) simply tells nobody.
 */
export interface RoomHost {
  app?: Pick<AppModel, "onSessionChanged" | "sessionLost">;
  sidebar?: Pick<SidebarStore, "setActive" | "markRead" | "markUnread" | "onRoomsChanged" | "forget" | "rooms">;
}

export type RoomStore = ReturnType<typeof createRoomStore>;

function errorText(code: string, message: string): string {
  switch (code) {
    case ErrorCode.RATE_LIMITED:
      return "Too many messages at once. Wait a moment and retry.";
    case ErrorCode.BODY_TOO_LONG:
      return "Too long to send.";
    case ErrorCode.MESSAGE_DELETED:
      return "That message was deleted.";
    default:
      return message || code;
  }
}

/** Our pending message `p`, acked as `seq`. */
function confirmed(p: Pending, ack: ServerFrameOf<"ack">, me: Peer): Message {
  const m: Message = { seq: ack.seq, cid: p.cid, uid: me.id, name: me.name, text: p.text, ts: ack.ts };
  const files = ack.attachments ?? p.attachments;
  if (files?.length) m.attachments = files;
  if (p.replyTo) m.replyTo = p.replyTo;
  const mentions = mentionIdsOf(p.text);
  if (mentions.length > 0) m.mentions = mentions;
  return m;
}

/** A passing message for the person (an error without a cid, a refused send). */
class Notice {
  readonly #text = signal<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly text: ReadonlySignal<string | null> = this.#text;

  show(text: string) {
    clearTimeout(this.#timer);
    this.#text.value = text;
    this.#timer = setTimeout(() => (this.#text.value = null), NOTICE_MS);
  }

  dispose() {
    clearTimeout(this.#timer);
  }
}

/** document.visibilityState as a signal. */
class Visibility {
  readonly #visible = signal(document.visibilityState === "visible");
  readonly #on = () => (this.#visible.value = document.visibilityState === "visible");
  readonly visible: ReadonlySignal<boolean> = this.#visible;

  constructor() {
    document.addEventListener("visibilitychange", this.#on);
  }

  dispose() {
    document.removeEventListener("visibilitychange", this.#on);
  }
}

/** The message the composer edits: its seq, and its text and mentions as they are. */
export interface Editing {
  seq: number;
  text: string;
  mentions?: string[];
}

/**
 * `kept`: messages kept on the device, shown while offline (RoomPage opens a room from
 * offline.ts when the server gives no answer) until the first welcome replaces them.
 */
export function createRoomStore(initial: RoomResponse, user: Me, host: RoomHost = {}, kept?: readonly Message[]) {
  const roomId = initial.room.id;
  const me = signal<Peer>(user);
  const problem = signal<RoomProblem | null>(null);
  /** The room's current call as the server last told us (null: none). */
  const call = signal<CallState | null>(null);
  /** True while we leave or delete the room ourselves: the room closing our socket for it is not news. */
  const ending = signal(false);
  /** A view shows this room (see show()). */
  const shown = signal(false);
  const visibility = new Visibility();
  const notice = new Notice();

  /**
   * Where the reader had read up to when the room opened, if it had unread messages then
   * (null: none, a room never read, as one just joined, or the sidebar did not know yet):
   * the list draws "New messages" there and opens on it. Fixed at opening: reading it now
   * does not move the line.
   */
  const summary = host.sidebar?.rooms.peek().find((r) => r.id === roomId);
  const unreadAfter = summary && summary.unread > 0 && summary.lastRead > 0 ? summary.lastRead : null;
  /** Where the "New messages" line is: `unreadAfter`, until we mark a message unread. */
  const unreadLine = signal(unreadAfter);
  /** Marked unread while on screen: it is not read again until the view stops showing it (or we send). */
  const holdRead = signal(false);
  /** What the composer is doing besides writing a new message: answering one, or editing one of ours. */
  const replying = signal<ReplyQuote | null>(null);
  const editing = signal<Editing | null>(null);

  const timeline = new Timeline(roomId);
  const channel = new Channel(() => socketUrl(roomId, PROTOCOL, timeline.since()));
  const presence = new Presence(me);
  const members = new Members(initial, { me, online: presence.online, end });
  const outbox = new Outbox(user.id, roomId, channel.send);
  const typing = new OwnTyping(channel.send);
  const receipts = new Receipts();
  /** A welcome came: what we hold is the room's, not what the device kept. */
  const live = signal(false);
  if (kept) timeline.showKept(kept);

  /** The first problem stays; the host hears of it once. */
  function report(p: RoomProblem) {
    if (problem.peek()) return;
    problem.value = p;
    if (p.kind === "unauthorized") void host.app?.sessionLost();
    else if (p.kind === "removed" || p.kind === "deleted") {
      forgetRoom(user.id, roomId);
      host.sidebar?.forget(roomId);
    }
  }

  /** Stops for good with `p`. */
  function end(p: RoomProblem) {
    report(p);
    channel.stop();
  }

  const mine = (ms: readonly Message[]) => new Set(ms.filter((m) => m.uid === me.peek().id).map((m) => m.cid));

  const unsubscribe = [
    channel.onOpen(() => {
      // Nothing is sent before the welcome, which re-sends the outbox.
      outbox.stop();
      typing.reset();
    }),
    channel.onClose((code) => {
      outbox.stop();
      presence.clearTyping();
      const p = closeProblem(code);
      // Leaving or deleting the room ourselves closes our socket (4003/4004) before the
      // HTTP answer arrives: that is not news to show.
      if (p && !(ending.peek() && (code === Close.FORBIDDEN || code === Close.ROOM_GONE))) report(p);
    }),
    // Up as far as the HTTP API can tell: keep retrying the socket. Gone: say why.
    channel.onUnreachable(() => void members.refresh()),
    channel.route({
      welcome: (w) => {
        batch(() => {
          me.value = w.me;
          // A call that ended while we were away is gone (a running one is in the welcome too).
          if (w.call !== undefined) call.value = w.call;
          presence.setOnline(w.online);
          members.seen(w.online);
          timeline.welcome(w);
          receipts.welcome(w.receipts);
          outbox.settle(mine(w.messages));
        });
        // Re-sends the outbox with the same cids; the room dedupes and re-acks.
        outbox.start(w.budget);
        // Opened from what the device kept: the details may have changed since.
        if (kept && !live.peek()) void members.refresh();
        live.value = true;
      },
      msgs: (f) =>
        batch(() => {
          timeline.add(f.messages);
          outbox.settle(mine(f.messages));
          for (const m of f.messages) presence.stopTyping(m.uid);
        }),
      ack: (f) =>
        batch(() => {
          const p = outbox.ack(f.cid);
          if (p) timeline.add([confirmed(p, f, me.peek())]);
        }),
      members: () => void members.refresh(),
      presence: (f) =>
        batch(() => {
          presence.change(f);
          members.seen(f.joined);
        }),
      typing: (f) => presence.typing(f),
      receipts: (f) => receipts.change(f.receipts),
      reaction: (f) => timeline.react(f),
      edited: (f) => timeline.edited(f),
      deleted: (f) => timeline.deleted(f.seq),
      call: (f) => (call.value = f.call),
      "call.ended": null,
      rtc: null,
      error: (f) => {
        if (isCallError(f)) return;
        // Early, not wrong: the outbox holds it and sends it again after retryMs.
        if (f.cid && f.code === ErrorCode.RATE_LIMITED && outbox.early(f.cid, f.retryMs)) return;
        const text = errorText(f.code, f.message);
        if (!f.cid || !outbox.fail(f.cid, text)) notice.show(text);
      },
    }),
    host.sidebar?.onRoomsChanged(() => void members.refresh()),
    // A new session for the same person (a guest saved their account, another tab logged
    // in again): redial with it; if the old one's end stopped us, start again.
    host.app?.onSessionChanged(() => {
      if (problem.peek()?.kind !== "unauthorized") return channel.reconnectNow();
      problem.value = null;
      channel.connect();
      void members.refresh();
    }),
  ];

  const keep = laterWrite(() => {
    const p = problem.peek()?.kind;
    if (!ending.peek() && p !== "removed" && p !== "deleted") saveRoom(user.id, members.snapshot(), timeline.messages.peek());
  });

  /** Looked at: shown in a visible tab. A hidden tab counts unread (the tab title shows it). */
  const looking = computed(() => shown.value && visibility.visible.value);
  const stopEffects = [
    effect(() => {
      if (!looking.value || !host.sidebar) return;
      const sidebar = host.sidebar;
      untracked(() => sidebar.setActive(roomId));
      return () => sidebar.setActive(null);
    }),
    // Seen: the newest message of a room being looked at is read (unless we just marked it unread).
    effect(() => {
      const list = timeline.messages.value;
      const last = list[list.length - 1];
      if (looking.value && timeline.ready.value && last && !holdRead.value) untracked(() => host.sidebar?.markRead(roomId, last.seq));
    }),
    effect(() => {
      if (!shown.value) holdRead.value = false;
    }),
    // The room as the server gave it (the newest messages, not a jump's window) is kept for opening offline.
    effect(() => {
      timeline.messages.value;
      members.snapshot();
      if (live.value && !timeline.hasNewer.value) keep.schedule();
    }),
  ];

  /** The message a jump went to (`n` counts jumps, so the same one again scrolls again). */
  const focus = signal<{ seq: number; n: number } | null>(null);
  /** Resolves once the first welcome is applied (a jump before it would be overwritten by it). */
  const whenReady = () =>
    new Promise<void>((resolve) => {
      const stop = effect(() => {
        if (!timeline.ready.value) return;
        resolve();
        queueMicrotask(() => stop());
      });
    });

  /** Leave or delete: our own socket is about to be closed by the room. */
  async function endOnPurpose(request: () => Promise<ApiResult<null>>): Promise<ApiFailure | null> {
    ending.value = true;
    const r = await request();
    if (r.ok) {
      channel.stop();
      forgetRoom(user.id, roomId);
      return null;
    }
    ending.value = false;
    if (r.status === 401) end(problemOf(r)!);
    return r;
  }

  channel.connect();

  return {
    id: roomId,
    /** Name, topic, kind, our role and the invite code. */
    room: members.room,
    /** The signed-in user (stable across renames): keys drafts and the outbox. */
    user,
    me: me as ReadonlySignal<Peer>,
    unreadAfter,
    /** Where the "New messages" line goes (null: none). */
    unreadLine: unreadLine as ReadonlySignal<number | null>,
    messages: timeline.messages,
    /** The message the composer answers (null: none). */
    replying: replying as ReadonlySignal<ReplyQuote | null>,
    /** Our message the composer edits (null: none). */
    editing: editing as ReadonlySignal<Editing | null>,
    pending: outbox.pending,
    members: members.rows,
    /** Who the owner banned (empty for everyone else). */
    bans: members.bans,
    typingText: presence.typingText,
    /** Members' read and delivered positions (read receipts). */
    receipts: receipts.positions,
    connection: channel.state,
    hasMore: timeline.hasMore,
    loadingOlder: timeline.loadingOlder,
    olderError: timeline.olderError,
    notice: notice.text,
    problem: problem as ReadonlySignal<RoomProblem | null>,
    ready: timeline.ready,
    /** The room's running call (server state), null when none. */
    call: call as ReadonlySignal<CallState | null>,

    /**
     * Listens to the room's frames of one type, after the room's own handling (the call
     * model's signaling: web/state/call/room-adapter.ts); returns an unsubscribe.
     */
    on: channel.on,
    /** Sends a frame now; false when not connected (nothing is queued: messages go through sendMessage). */
    send: channel.send,

    /** A view shows this room; the returned function says it no longer does. */
    show(): () => void {
      shown.value = true;
      return () => (shown.value = false);
    },

    /** Queues a message and sends it when it can. False when the outbox is full (the draft stays). */
    sendMessage(text: string, attachments?: readonly Attachment[]): boolean {
      typing.set(false);
      holdRead.value = false;
      // What we send shows at the newest end: leave a jump's window.
      timeline.toLatest();
      if (outbox.add(text, attachments, replying.peek() ?? undefined)) {
        replying.value = null;
        return true;
      }
      notice.show(`${MAX_PENDING} messages are still waiting to be sent. Reconnect before sending more.`);
      return false;
    },
    retry: (cid: string) => outbox.retry(cid),
    discard: (cid: string) => outbox.discard(cid),

    /** Adds (`on`) or removes our reaction on message `seq`; the room's `reaction` frame shows it. */
    react(seq: number, emoji: string, on: boolean): boolean {
      const ok = channel.send({ type: "react", seq, emoji, on });
      if (!ok) notice.show("Not connected: the reaction was not sent.");
      return ok;
    },
    /** Deletes our own message `seq` for everyone (the `deleted` frame makes it a tombstone). */
    deleteMessage(seq: number): boolean {
      const ok = channel.send({ type: "delete", seq });
      if (!ok) notice.show("Not connected: the message was not deleted.");
      return ok;
    },
    /** The composer answers `m` (a quote strip; the message sent carries it). */
    reply(m: Message) {
      batch(() => {
        editing.value = null;
        replying.value = quoteOf(m);
      });
    },
    /** The composer edits our message `m`. */
    edit(m: Message) {
      batch(() => {
        replying.value = null;
        editing.value = { seq: m.seq, text: m.text, ...(m.mentions ? { mentions: m.mentions } : {}) };
      });
    },
    /** ↑ in an empty composer: edits our newest message that can be edited. False: there is none. */
    editLast(): boolean {
      const uid = me.peek().id;
      const list = timeline.messages.peek();
      for (let i = list.length - 1; i >= 0; i--) {
        const m = list[i]!;
        if (m.uid === uid && !m.deleted && !m.call && m.text) {
          this.edit(m);
          return true;
        }
      }
      return false;
    },
    /** Stops replying or editing. */
    cancelCompose() {
      batch(() => {
        replying.value = null;
        editing.value = null;
      });
    },
    /** Saves the edit: the room's `edited` frame shows it. False when not connected (the edit stays open). */
    saveEdit(text: string): boolean {
      const e = editing.peek();
      if (!e) return false;
      const mentions = mentionIdsOf(text);
      if (text !== e.text && !channel.send({ type: "edit", seq: e.seq, text, ...(mentions.length > 0 ? { mentions } : {}) })) {
        notice.show("Not connected: the edit was not saved.");
        return false;
      }
      editing.value = null;
      return true;
    },
    /**
     * "Mark as unread": our read position goes back to just before message `seq` (the server
     * clamps it to the room's last seq; our other devices follow). The "New messages" line
     * moves there, and the room is not read again until we leave it or send.
     */
    markUnread(seq: number) {
      const before = Math.max(0, seq - 1);
      batch(() => {
        holdRead.value = true;
        unreadLine.value = before;
      });
      host.sidebar?.markUnread(roomId, before, timeline.messages.peek().at(-1)?.seq ?? 0);
    },
    /** Names of members by id (reaction tooltips). */
    nameOf: (uid: string) => members.nameOf(uid),
    /** A member's current name (null: not a member we know); read in a component, it redraws on renames (mention chips). */
    memberName: (uid: string) => members.rows.value.find((m) => m.id === uid)?.name ?? null,
    /** The composer calls this on every input (true) and on blur/clear (false); it throttles. */
    setTyping: (on: boolean) => typing.set(on),
    /** Loads the page before the oldest message we hold. */
    loadOlder: () => timeline.loadOlder(),
    /** After a jump: newer messages exist after the last one shown (the list has a gap). */
    hasNewer: timeline.hasNewer,
    loadingNewer: timeline.loadingNewer,
    /** Loads the page after the last message shown (closing the gap when it gets there). */
    loadNewer: () => timeline.loadNewer(),
    /** Drops a jump's window: the newest messages show again. */
    toLatest: () => timeline.toLatest(),
    /** The message the list scrolls to and highlights (set by jumpTo). */
    focus: focus as ReadonlySignal<{ seq: number; n: number } | null>,
    /**
     * Shows message `seq` (a search result, a reply's original): loads the history around it when it is not held
     * (GET …/messages?around=), then the list scrolls to it and highlights it. False when it
     * could not be loaded (the notice says why).
     */
    async jumpTo(seq: number): Promise<boolean> {
      await whenReady();
      if (timeline.holds(seq)) {
        if (timeline.hidden(seq)) timeline.toLatest();
      } else {
        const r = await api.historyAround(roomId, seq, PAGE);
        if (!r.ok || !r.data.messages.some((m) => m.seq === seq)) {
          notice.show(!r.ok && r.status === 0 ? "Couldn't load that message (offline)." : "Couldn't load that message.");
          return false;
        }
        timeline.showWindow(r.data.messages, r.data.hasMore);
      }
      focus.value = { seq, n: (focus.peek()?.n ?? 0) + 1 };
      return true;
    },
    reconnectNow: channel.reconnectNow,
    /** Refetches the room's details and members. */
    refresh: () => members.refresh(),

    // ── administration (HTTP; the server checks the role) ──
    update: (body: UpdateRoomBody) => members.update(body),
    /** A new invite code; the old link stops working. */
    resetInvite: () => members.resetInvite(),
    /** Removes a member; `ban`: and bans them, so that no invite link lets them back in. */
    removeMember: (uid: string, ban = false) => members.removeMember(uid, ban),
    /** Lifts a ban: they may join by the invite link again. */
    unban: (uid: string) => members.unban(uid),
    leave: () => endOnPurpose(() => api.leaveRoom(roomId)),
    remove: () => endOnPurpose(() => api.deleteRoom(roomId)),

    dispose() {
      for (const off of unsubscribe) off?.();
      for (const stop of stopEffects) stop();
      keep.flush();
      keep.cancel();
      visibility.dispose();
      notice.dispose();
      presence.dispose();
      outbox.dispose();
      channel.stop();
    },
  };
}
