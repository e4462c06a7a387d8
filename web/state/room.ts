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
 */
import { signal, computed, batch, effect, type ReadonlySignal } from "@preact/signals";
import {
  Close,
  ErrorCode,
  MAX_PAGE,
  PROTOCOL,
  TYPING_TTL_MS,
  assertNever,
  parseServerFrame,
  type ClientFrame,
  type Message,
  type Peer,
  type Room,
  type ServerFrame,
} from "../../worker/protocol";
import { api, socketUrl } from "../api";
import { createConnection } from "./connection";
import { contiguousFrom, mergeBySeq, typingLine, type Pending } from "./messages";
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

export interface Member extends Peer {
  online: boolean;
  me: boolean;
}

/** Something that ends the room view: shown instead of the room. */
export type RoomProblem = { kind: "not_found" | "unauthorized" | "forbidden" | "closed"; message: string };

export type RoomStore = ReturnType<typeof createRoomStore>;

const CLOSE_REASONS: Record<number, string> = {
  [Close.UNAUTHORIZED]: "Your session has ended. Reload the page to join again.",
  [Close.PROTOCOL_VERSION]: "This page is out of date. Reload to get the latest version.",
  [Close.FORBIDDEN]: "You are no longer a member of this room.",
  [Close.ROOM_GONE]: "This room has been deleted.",
  [Close.POLICY]: "Disconnected: too many messages, or a message that was too large. Reload to reconnect.",
};

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

export function createRoomStore(room: Room, initialMembers: readonly Peer[], user: Peer) {
  const roomId = room.id;
  const me = signal<Peer>(user);
  const messages = signal<readonly Message[]>([]);
  const pending = signal<readonly Pending[]>(loadOutbox(roomId));
  /** Everyone we know belongs here: the room's members plus whoever showed up online since. */
  const known = signal<readonly Peer[]>(initialMembers);
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

  /** Seq up to which we hold every message, as of the last welcome; null before the first. */
  let synced: number | null = null;
  let failedOpens = 0;
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
      if (code in CLOSE_REASONS && !problem.value) {
        const kind = code === Close.FORBIDDEN ? "forbidden" : code === Close.UNAUTHORIZED ? "unauthorized" : "closed";
        problem.value = { kind, message: CLOSE_REASONS[code]! };
      }
    },
  });

  /**
   * A socket that never opens tells us nothing (the browser hides the upgrade's HTTP
   * status), so after repeated failures ask the HTTP API what is wrong.
   */
  async function probe() {
    const r = await api.getRoom(roomId);
    if (r.ok || r.status === 0 || r.status >= 500) return; // Up, or a transient failure: keep retrying.
    if (r.status === 403) {
      const j = await api.joinRoom(roomId);
      if (j.ok) return conn.reconnectNow();
    }
    const kind = r.status === 404 ? "not_found" : r.status === 401 ? "unauthorized" : "forbidden";
    problem.value = { kind, message: r.message };
    conn.stop();
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
        return batch(() => {
          messages.value = mergeBySeq(messages.value, [m]);
          pending.value = pending.value.filter((x) => x !== p);
        });
      }
      case "presence": {
        const left = new Set([...frame.left, ...frame.joined.map((p) => p.id)]);
        return setOnline([...online.value.filter((p) => !left.has(p.id)), ...frame.joined]);
      }
      case "typing":
        return frame.on ? startTyping(frame.user, frame.ttl) : stopTyping(frame.user.id);
      case "error": {
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
        messages.value = mergeBySeq(messages.value, w.messages);
      }
      settle(w.messages);
      synced = w.lastSeq;
      ready.value = true;
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
      if (fresh.length) known.value = [...known.value, ...fresh];
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
      if (!sendFrame({ type: "send", cid: p.cid, text: p.text })) {
        // Not connected: the next welcome re-queues the whole outbox.
        sendQueue = [];
        return;
      }
      tokens -= 1;
    }
    if (sendQueue.length > 0) pumpTimer = setTimeout(pump, Math.ceil(((1 - tokens) / SEND_RATE_PER_SEC) * 1000));
  }

  // The outbox outlives the page: what was sent but not acked is re-sent after a reload.
  const stopPersist = effect(() => saveOutbox(roomId, pending.value));

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

  const members = computed<Member[]>(() => {
    const on = new Set(online.value.map((p) => p.id));
    const names = new Map(online.value.map((p) => [p.id, p.name]));
    return known.value
      .map((p) => ({ id: p.id, name: names.get(p.id) ?? p.name, online: on.has(p.id), me: p.id === me.value.id }))
      .sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
  });

  const typingText = computed(() => typingLine(Object.values(typing.value).map((t) => t.name)));

  return {
    room,
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

    /** Queues a message and sends it if we are connected. False when the outbox is full. */
    send(text: string): boolean {
      if (pending.value.length >= MAX_PENDING) {
        flash(`${MAX_PENDING} messages are still waiting to be sent. Reconnect before sending more.`);
        return false;
      }
      const p: Pending = { cid: crypto.randomUUID(), text, createdAt: Date.now(), status: "sending" };
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

    dispose() {
      stopPersist();
      clearTimeout(pumpTimer);
      clearTyping();
      clearTimeout(noticeTimer);
      conn.stop();
    },
  };
}
