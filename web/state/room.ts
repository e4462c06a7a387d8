/**
 * One store per open room: the room's messages, our outbox, members, presence and typing,
 * as signals, plus the actions the UI calls. It owns the room's socket.
 *
 * The delivery contract (DESIGN.md, "The message path"), client side:
 * - every message gets a cid and sits in `pending` (persisted per room) until its `ack`;
 * - on every `welcome` (first connect and each reconnect) the outbox is re-sent with the
 *   same cids, the room dedupes and re-acks; a replayed message carrying one of our cids
 *   also settles it;
 * - `messages` holds confirmed messages in one total order by seq, never a duplicate;
 * - on reconnect we ask for `since` = the highest seq up to which we hold everything.
 *   When the room answers `gap` (we were too far behind for a replay), we start over
 *   from its page instead of paging the whole hole: the list stays contiguous and older
 *   messages load on scroll-up like any history.
 *
 * Members: everyone the room's HTTP answer lists (not only who is online), merged with
 * presence. A peer coming online whom we don't know yet is a new member: we refetch the
 * room's details for their role and username. The owner's actions (rename, reset the
 * invite link, remove a member, delete) and a member's "leave" go over HTTP from here.
 */
import { signal, computed, batch, effect, type ReadonlySignal } from "@preact/signals";
import {
  CallErrorCode,
  Close,
  ErrorCode,
  MAX_PAGE,
  PROTOCOL,
  TYPING_TTL_MS,
  assertNever,
  parseServerFrame,
  type Attachment,
  type ClientFrame,
  type Me,
  type Member,
  type Message,
  type CallState,
  type Peer,
  type RoomDetail,
  type RoomResponse,
  type ServerFrame,
  type UpdateRoomBody,
} from "../../worker/protocol";
import { api, socketUrl, type ApiFailure, type ApiResult } from "../api";
import { createConnection } from "./connection";
import { applyReaction, contiguousFrom, mergeBySeq, tombstone, typingLine, type Pending } from "./messages";
import { loadOutbox, saveOutbox } from "./storage";

/** The outbox is bounded: past this many unsent messages, sending is refused (the draft stays). */
export const MAX_PENDING = 100;
const PAGE = 50;
/**
 * Client-side pacing of message frames (token bucket), below the room's default limit
 * (10/s, burst 20): a long outbox re-sent after a reconnect, or a paste-and-Enter spree,
 * goes out in order at a rate the room accepts instead of earning rate_limited errors.
 */
export const SEND_BURST = 10;
export const SEND_RATE_PER_SEC = 8;

export type ConnectionState = "connecting" | "online" | "reconnecting" | "offline" | "closed";

/** A member as the member list shows them. */
export interface MemberRow extends Member {
  online: boolean;
  me: boolean;
}

/**
 * Something that ends the room view. `removed`, `deleted` (and, when the page could not
 * open the room at all, `forbidden` and `not_found`) replace the room with a message;
 * `unauthorized` signs the app out; `closed` is a banner over the room.
 */
export type RoomProblem = {
  kind: "not_found" | "unauthorized" | "forbidden" | "removed" | "deleted" | "closed";
  message: string;
};

export type RoomStore = ReturnType<typeof createRoomStore>;

/** Frames the room hands to its call store (web/state/call.ts): signaling, call outcomes and call errors. */
export type CallFrame =
  | Extract<ServerFrame, { type: "call" | "call.ended" | "rtc" }>
  | (Extract<ServerFrame, { type: "error" }> & { code: CallErrorCode });
type CallErrorCode = (typeof CallErrorCode)[keyof typeof CallErrorCode];
const CALL_ERRORS: readonly string[] = Object.values(CallErrorCode);

export const NOT_MEMBER = "You are not a member of this room; ask for an invite link.";

const CLOSE_PROBLEMS: Record<number, RoomProblem> = {
  [Close.UNAUTHORIZED]: { kind: "unauthorized", message: "You were signed out." },
  [Close.PROTOCOL_VERSION]: { kind: "closed", message: "This page is out of date. Reload to get the latest version." },
  [Close.FORBIDDEN]: { kind: "removed", message: "You were removed from this room" },
  [Close.ROOM_GONE]: { kind: "deleted", message: "This room was deleted" },
  [Close.POLICY]: { kind: "closed", message: "Disconnected: too many messages, or a message that was too large. Reload to reconnect." },
};

/**
 * What an HTTP failure on the room's own endpoints means for the room we have open, if it
 * ends it. We were a member when we opened it: a 404 now means it was deleted, a 403 that
 * we were removed (whichever reaches us first, this or the socket's close code).
 */
function problemOf(r: ApiFailure): RoomProblem | null {
  if (r.status === 401) return CLOSE_PROBLEMS[Close.UNAUTHORIZED]!;
  if (r.status === 403) return CLOSE_PROBLEMS[Close.FORBIDDEN]!;
  if (r.status === 404) return CLOSE_PROBLEMS[Close.ROOM_GONE]!;
  return null;
}

function errorText(code: string, message: string): string {
  switch (code) {
    case ErrorCode.RATE_LIMITED:
      return "Too many messages at once. Wait a moment and retry.";
    case ErrorCode.BODY_TOO_LONG:
      return "Too long to send.";
    default:
      return message || code;
  }
}

export function createRoomStore(initial: RoomResponse, user: Me) {
  const roomId = initial.room.id;
  const room = signal<RoomDetail>(initial.room);
  const me = signal<Peer>(user);
  const messages = signal<readonly Message[]>([]);
  const pending = signal<readonly Pending[]>(loadOutbox(user.id, roomId));
  /** Everyone we know belongs here: the room's members plus whoever showed up online since. */
  const known = signal<readonly Member[]>(initial.members);
  const online = signal<readonly Peer[]>([]);
  const typing = signal<Readonly<Record<string, { name: string; until: number }>>>({});
  const hasMore = signal(false);
  const loadingOlder = signal(false);
  const olderError = signal<string | null>(null);
  /** A passing message for the person (an error frame without a cid, a refused send). */
  const notice = signal<string | null>(null);
  const problem = signal<RoomProblem | null>(null);
  /** True once the first welcome has been applied (the list is meaningful). */
  const ready = signal(false);
  /** The room's current call as the server last told us (null: none). */
  const call = signal<CallState | null>(null);
  /** Counts welcomes: a change after the first means our socket came back (the call store rejoins). */
  const welcomes = signal(0);
  const callListeners = new Set<(f: CallFrame) => void>();
  const toCall = (f: CallFrame) => {
    for (const l of callListeners) l(f);
  };

  /** Seq up to which we hold every message, as of the last welcome; null before the first. */
  let synced: number | null = null;
  let failedOpens = 0;
  /** True while we leave or delete the room ourselves. */
  let ending = false;
  let typingSentAt = 0;
  let typingOn = false;
  let noticeTimer: ReturnType<typeof setTimeout> | undefined;
  const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  const conn = createConnection({
    url: () => socketUrl(roomId, PROTOCOL, synced === null ? null : (synced = contiguousFrom(synced, messages.value))),
    onOpen: () => {
      failedOpens = 0;
      // Nothing is sent before the welcome; it re-queues the outbox.
      sendQueue = [];
      typingOn = false;
      typingSentAt = 0;
    },
    onMessage: (data) => {
      const frame = parseServerFrame(data);
      if (frame) receive(frame);
      else if (data !== "pong") console.warn("room: ignored an unexpected frame", data.slice(0, 200));
    },
    onClose: (code, _reason, opened) => {
      clearTyping();
      if (!opened && ++failedOpens >= 2 && (failedOpens & (failedOpens - 1)) === 0) void probe();
      const p = CLOSE_PROBLEMS[code];
      // Leaving or deleting the room ourselves closes our socket (4003/4004) before
      // the HTTP answer arrives: that is not news to show.
      if (p && !problem.value && !(ending && (code === Close.FORBIDDEN || code === Close.ROOM_GONE))) problem.value = p;
    },
  });

  /**
   * A socket that never opens tells us nothing (the browser hides the upgrade's HTTP
   * status), so after repeated failures ask the HTTP API what is wrong.
   */
  async function probe() {
    const r = await api.getRoom(roomId);
    if (r.ok) return apply(r.data); // Up: keep retrying the socket.
    end(problemOf(r));
  }

  /** Stops for good with `p`; null (a transient failure) changes nothing. */
  function end(p: RoomProblem | null) {
    if (!p) return;
    if (!problem.value) problem.value = p;
    conn.stop();
  }

  function apply(r: RoomResponse) {
    batch(() => {
      room.value = r.room;
      // Whoever is online but not listed yet stays (the list may predate their join).
      const listed = new Set(r.members.map((m) => m.id));
      known.value = [...r.members, ...known.value.filter((m) => !listed.has(m.id) && online.value.some((p) => p.id === m.id))];
    });
  }

  let refreshing = false;
  /** Refetches the room's details and members (after a `rooms` hub frame, a new member…). */
  async function refresh(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    const r = await api.getRoom(roomId);
    refreshing = false;
    if (r.ok) apply(r.data);
    else end(problemOf(r));
  }

  function receive(frame: ServerFrame) {
    switch (frame.type) {
      case "welcome":
        return onWelcome(frame);
      case "msgs":
        return batch(() => {
          messages.value = mergeBySeq(messages.value, frame.messages);
          settle(frame.messages);
          for (const m of frame.messages) stopTyping(m.uid);
        });
      case "ack": {
        const p = pending.value.find((x) => x.cid === frame.cid);
        if (!p) return; // A re-ack of something already settled (e.g. by a replay).
        const m: Message = { seq: frame.seq, cid: p.cid, uid: me.value.id, name: me.value.name, text: p.text, ts: frame.ts };
        const files = frame.attachments ?? p.attachments;
        if (files?.length) m.attachments = files;
        return batch(() => {
          messages.value = mergeBySeq(messages.value, [m]);
          pending.value = pending.value.filter((x) => x !== p);
        });
      }
      case "members":
        return void refresh();
      case "presence": {
        const left = new Set([...frame.left, ...frame.joined.map((p) => p.id)]);
        return setOnline([...online.value.filter((p) => !left.has(p.id)), ...frame.joined]);
      }
      case "typing":
        return frame.on ? startTyping(frame.user, frame.ttl) : stopTyping(frame.user.id);
      case "call":
        call.value = frame.call;
        return toCall(frame);
      case "call.ended":
      case "rtc":
        return toCall(frame);
      case "reaction":
        return updateMessage(frame.seq, (m) => (m.deleted ? m : { ...m, reactions: applyReaction(m.reactions, frame.emoji, frame.user, frame.on) }));
      case "deleted":
        return updateMessage(frame.seq, (m) => (m.deleted ? m : tombstone(m)));
      case "error": {
        if (!frame.cid && CALL_ERRORS.includes(frame.code)) return toCall(frame as CallFrame);
        const text = errorText(frame.code, frame.message);
        if (frame.cid && pending.value.some((p) => p.cid === frame.cid)) {
          pending.value = pending.value.map((p) => (p.cid === frame.cid ? { ...p, status: "failed", error: text } : p));
        } else {
          flash(text);
        }
        return;
      }
      default:
        return assertNever(frame);
    }
  }

  /** Replaces message `seq` (if held) by `fn(message)`. */
  function updateMessage(seq: number, fn: (m: Message) => Message) {
    const i = messages.value.findIndex((m) => m.seq === seq);
    if (i < 0) return;
    const next = fn(messages.value[i]!);
    if (next === messages.value[i]) return;
    const copy = messages.value.slice();
    copy[i] = next;
    messages.value = copy;
  }

  /** welcome.sync: the current reactions and deletions of messages we already held. */
  function applySync(sync: NonNullable<Extract<ServerFrame, { type: "welcome" }>["sync"]>) {
    const reactions = new Map(sync.reactions.map((r) => [r.seq, r.reactions]));
    const deleted = new Set(sync.deleted);
    let changed = false;
    const next = messages.value.map((m) => {
      if (m.seq < sync.from || m.seq > sync.to) return m;
      if (deleted.has(m.seq)) {
        if (m.deleted) return m;
        changed = true;
        return tombstone(m);
      }
      const rs = reactions.get(m.seq) ?? [];
      if (JSON.stringify(rs) === JSON.stringify(m.reactions ?? [])) return m;
      changed = true;
      const { reactions: _r, ...rest } = m;
      return rs.length ? { ...rest, reactions: rs } : rest;
    });
    if (changed) messages.value = next;
  }

  function onWelcome(w: Extract<ServerFrame, { type: "welcome" }>) {
    batch(() => {
      me.value = w.me;
      setOnline(w.online);
      const newest = messages.value[messages.value.length - 1]?.seq ?? 0;
      // First load, too far behind to replay, or the room's log is behind ours (its
      // storage was reset, e.g. a wiped dev server): this page is our new starting point.
      if (synced === null || w.gap || w.lastSeq < newest) {
        messages.value = mergeBySeq([], w.messages);
        const first = w.messages[0];
        hasMore.value = first !== undefined && (w.gap || first.seq > 1);
      } else {
        if (w.sync) applySync(w.sync);
        messages.value = mergeBySeq(messages.value, w.messages);
      }
      settle(w.messages);
      synced = w.lastSeq;
      ready.value = true;
      welcomes.value++;
    });
    // Re-send the outbox with the same cids; the room dedupes and re-acks.
    for (const p of pending.value) if (p.status === "sending") transmit(p.cid);
  }

  /** Settles our pending messages that arrived as confirmed ones (replay, other tab). */
  function settle(ms: readonly Message[]) {
    const mine = new Set(ms.filter((m) => m.uid === me.value.id).map((m) => m.cid));
    if (mine.size && pending.value.some((p) => mine.has(p.cid))) {
      pending.value = pending.value.filter((p) => !mine.has(p.cid));
    }
  }

  function setOnline(peers: readonly Peer[]) {
    batch(() => {
      online.value = peers;
      const ids = new Set(known.value.map((p) => p.id));
      const fresh = peers.filter((p) => !ids.has(p.id));
      if (fresh.length) {
        // New members (joined by invite since we loaded): listed now, details fetched.
        known.value = [...known.value, ...fresh.map((p): Member => ({ ...p, username: null, role: "member" }))];
        void refresh();
      }
      // A peer that went away cannot still be typing.
      const on = new Set(peers.map((p) => p.id));
      for (const id of Object.keys(typing.value)) if (!on.has(id)) stopTyping(id);
    });
  }

  function startTyping(user: Peer, ttl: number) {
    if (user.id === me.value.id) return;
    clearTimeout(typingTimers.get(user.id));
    const ms = Math.min(Math.max(ttl, 0), TYPING_TTL_MS * 2);
    typingTimers.set(user.id, setTimeout(() => stopTyping(user.id), ms));
    typing.value = { ...typing.value, [user.id]: { name: user.name, until: Date.now() + ms } };
  }

  function stopTyping(uid: string) {
    clearTimeout(typingTimers.get(uid));
    typingTimers.delete(uid);
    if (!(uid in typing.value)) return;
    const { [uid]: _gone, ...rest } = typing.value;
    typing.value = rest;
  }

  function clearTyping() {
    for (const t of typingTimers.values()) clearTimeout(t);
    typingTimers.clear();
    typing.value = {};
  }

  function flash(text: string) {
    clearTimeout(noticeTimer);
    notice.value = text;
    noticeTimer = setTimeout(() => (notice.value = null), 6000);
  }

  function sendFrame(f: ClientFrame): boolean {
    return conn.send(JSON.stringify(f));
  }

  /** cids waiting for a token to go out on the current connection, in order. */
  let sendQueue: string[] = [];
  let tokens = SEND_BURST;
  let tokensAt = Date.now();
  let pumpTimer: ReturnType<typeof setTimeout> | undefined;

  function transmit(cid: string) {
    if (!sendQueue.includes(cid)) sendQueue.push(cid);
    pump();
  }

  function pump() {
    clearTimeout(pumpTimer);
    const now = Date.now();
    tokens = Math.min(SEND_BURST, tokens + ((now - tokensAt) / 1000) * SEND_RATE_PER_SEC);
    tokensAt = now;
    while (sendQueue.length > 0 && tokens >= 1) {
      const cid = sendQueue.shift()!;
      const p = pending.value.find((x) => x.cid === cid && x.status === "sending");
      if (!p) continue;
      const f: ClientFrame = p.attachments?.length
        ? { type: "send", cid: p.cid, text: p.text, attachments: p.attachments.map((a) => a.id) }
        : { type: "send", cid: p.cid, text: p.text };
      if (!sendFrame(f)) {
        // Not connected: the next welcome re-queues the whole outbox.
        sendQueue = [];
        return;
      }
      tokens -= 1;
    }
    if (sendQueue.length > 0) pumpTimer = setTimeout(pump, Math.ceil(((1 - tokens) / SEND_RATE_PER_SEC) * 1000));
  }

  // The outbox outlives the page: what was sent but not acked is re-sent after a reload.
  const stopPersist = effect(() => saveOutbox(user.id, roomId, pending.value));

  const connection = computed<ConnectionState>(() => {
    switch (conn.status.value) {
      case "open":
        return "online";
      case "offline":
        return "offline";
      case "closed":
        return "closed";
      case "connecting":
      case "waiting":
        return conn.everOpened.value ? "reconnecting" : "connecting";
    }
  });

  const members = computed<MemberRow[]>(() => {
    const on = new Set(online.value.map((p) => p.id));
    const names = new Map(online.value.map((p) => [p.id, p.name]));
    return known.value
      .map((p) => ({ ...p, name: names.get(p.id) ?? p.name, online: on.has(p.id), me: p.id === me.value.id }))
      .sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
  });

  /** Leave or delete: our own socket is about to be closed by the room. */
  async function endOnPurpose(r: () => Promise<ApiResult<null>>): Promise<ApiFailure | null> {
    ending = true;
    const failed = await act(r(), () => conn.stop());
    if (failed) ending = false;
    return failed;
  }

  /** Runs an owner/member action; a failure that ends the room ends it, others are returned. */
  async function act<T>(r: Promise<ApiResult<T>>, then: (data: T) => void): Promise<ApiFailure | null> {
    const res = await r;
    if (!res.ok) {
      if (res.status === 401) end(problemOf(res));
      return res;
    }
    then(res.data);
    return null;
  }

  const typingText = computed(() => typingLine(Object.values(typing.value).map((t) => t.name)));

  return {
    id: roomId,
    /** Name, topic, kind, our role and the invite code. */
    room: room as ReadonlySignal<RoomDetail>,
    /** The signed-in user (stable across renames): keys drafts and the outbox. */
    user,
    me: me as ReadonlySignal<Peer>,
    messages: messages as ReadonlySignal<readonly Message[]>,
    pending: pending as ReadonlySignal<readonly Pending[]>,
    members,
    onlineCount: computed(() => members.value.filter((m) => m.online).length),
    typingText,
    connection,
    hasMore: hasMore as ReadonlySignal<boolean>,
    loadingOlder: loadingOlder as ReadonlySignal<boolean>,
    olderError: olderError as ReadonlySignal<string | null>,
    notice: notice as ReadonlySignal<string | null>,
    problem: problem as ReadonlySignal<RoomProblem | null>,
    ready: ready as ReadonlySignal<boolean>,
    /** The room's running call (server state), null when none. */
    call: call as ReadonlySignal<CallState | null>,
    welcomes: welcomes as ReadonlySignal<number>,

    /** The call store listens here; returns an unsubscribe. */
    onCallFrame(fn: (f: CallFrame) => void): () => void {
      callListeners.add(fn);
      return () => callListeners.delete(fn);
    },
    /** Sends a call frame now; false when not connected (nothing is queued). */
    sendCall(f: Extract<ClientFrame, { type: `call.${string}` | "rtc" }>): boolean {
      return sendFrame(f);
    },

    /** Queues a message and sends it if we are connected. False when the outbox is full. */
    send(text: string, attachments?: readonly Attachment[]): boolean {
      if (pending.value.length >= MAX_PENDING) {
        flash(`${MAX_PENDING} messages are still waiting to be sent. Reconnect before sending more.`);
        return false;
      }
      const p: Pending = { cid: crypto.randomUUID(), text, createdAt: Date.now(), status: "sending" };
      if (attachments?.length) p.attachments = [...attachments];
      pending.value = [...pending.value, p];
      if (typingOn) {
        sendFrame({ type: "typing", on: false });
        typingOn = false;
        typingSentAt = 0;
      }
      transmit(p.cid);
      return true;
    },

    retry(cid: string) {
      const p = pending.value.find((x) => x.cid === cid);
      if (!p) return;
      pending.value = pending.value.map((x) => (x === p ? { ...x, status: "sending", error: undefined } : x));
      transmit(p.cid);
    },

    /** Adds (`on`) or removes our reaction on message `seq`; the room's `reaction` frame shows it. */
    react(seq: number, emoji: string, on: boolean): boolean {
      const ok = sendFrame({ type: "react", seq, emoji, on });
      if (!ok) flash("Not connected: the reaction was not sent.");
      return ok;
    },

    /** Deletes our own message `seq` for everyone (the `deleted` frame makes it a tombstone). */
    deleteMessage(seq: number): boolean {
      const ok = sendFrame({ type: "delete", seq });
      if (!ok) flash("Not connected: the message was not deleted.");
      return ok;
    },

    /** Names of members by id (reaction tooltips). */
    nameOf(uid: string): string {
      if (uid === me.value.id) return "You";
      return known.value.find((m) => m.id === uid)?.name ?? online.value.find((p) => p.id === uid)?.name ?? "Someone";
    },

    discard(cid: string) {
      pending.value = pending.value.filter((x) => x.cid !== cid);
    },

    /** The composer calls this on every input (true) and on blur/clear (false); it throttles. */
    setTyping(on: boolean) {
      const now = Date.now();
      if (on) {
        if (now - typingSentAt < TYPING_TTL_MS / 2) return;
        if (sendFrame({ type: "typing", on: true })) {
          typingOn = true;
          typingSentAt = now;
        }
      } else if (typingOn) {
        sendFrame({ type: "typing", on: false });
        typingOn = false;
        typingSentAt = 0;
      }
    },

    /** Loads the page before the oldest message we hold. */
    async loadOlder(): Promise<void> {
      const first = messages.value[0];
      if (loadingOlder.value || !hasMore.value || !first) return;
      batch(() => {
        loadingOlder.value = true;
        olderError.value = null;
      });
      const r = await api.history(roomId, first.seq, Math.min(PAGE, MAX_PAGE));
      batch(() => {
        loadingOlder.value = false;
        if (!r.ok) {
          olderError.value = r.status === 0 ? "Couldn't load older messages (offline)." : `Couldn't load older messages: ${r.message}`;
          return;
        }
        messages.value = mergeBySeq(messages.value, r.data.messages);
        hasMore.value = r.data.hasMore && r.data.messages.length > 0;
      });
    },

    reconnectNow: () => conn.reconnectNow(),
    refresh,

    // ── administration (HTTP; the server checks the role) ──
    update: (body: UpdateRoomBody) => act(api.updateRoom(roomId, body), apply),
    /** A new invite code; the old link stops working. */
    resetInvite: () => act(api.rotateInvite(roomId), (d) => (room.value = { ...room.value, invite: d.invite })),
    removeMember: (uid: string) =>
      act(api.removeMember(roomId, uid), () => (known.value = known.value.filter((m) => m.id !== uid))),
    leave: () => endOnPurpose(() => api.leaveRoom(roomId)),
    remove: () => endOnPurpose(() => api.deleteRoom(roomId)),

    dispose() {
      stopPersist();
      clearTimeout(pumpTimer);
      clearTyping();
      clearTimeout(noticeTimer);
      conn.stop();
    },
  };
}
