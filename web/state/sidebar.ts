/**
 * The sidebar: every room and DM of the signed-in user, kept live by the user's own
 * socket (GET /api/me/ws). One store per signed-in user, created by the app shell.
 *
 * - `activity` frames update a room's preview, time and unread count in place and move
 *   it to the top; a room we do not know yet (just added) makes us refetch the list.
 * - `rooms` frames (joined, removed, renamed, deleted…) refetch GET /api/rooms, and tell
 *   `onRoomsChanged` listeners, so an open room can refresh its own details.
 * - The room being viewed never gains unread messages: its room store, while shown in a
 *   visible tab, reports what it holds with markRead(), which clears the badge at once and
 *   POSTs the read position, debounced per room.
 * - After a reconnect the list is refetched: activity sent while we were away is lost.
 * - `call.ring` / `call.ring_ended` are not the sidebar's: they go to `onRing` (the shell's
 *   rings, state/call/rings.ts), and `onReconnect` says when frames may have been missed.
 * - `presence` frames keep `presence` (the people we share a room with: online, away, last
 *   seen); the tab tells the hub when it is away (hidden or idle, presence.ts) and says
 *   hello on every open, which the hub answers with the whole list.
 * - Offline: the list the server last gave is kept on the device (offline.ts), and shown
 *   only when the fetch got no answer at all, until the hub's socket opens and a fetch
 *   replaces it.
 */
import { signal, computed, batch, effect, type ReadonlySignal } from "@preact/signals";
import { Close, assertNever, parseHubFrame, type HubClientFrame, type HubFrame, type Me, type Presence, type RoomSummary } from "../../worker/protocol";
import { api, hubSocketUrl } from "../api";
import { createConnection } from "./connection";
import { Emitter } from "./emitter";
import { laterWrite, loadRooms, saveRooms } from "./offline";
import { watchAway } from "./presence";

/** Read positions are posted at most this often per room (the last one always goes). */
export const READ_DEBOUNCE_MS = 1000;

export type SidebarStore = ReturnType<typeof createSidebarStore>;

export interface SidebarOptions {
  /** The session ended (the hub socket closed with 4001, or GET /api/session said 401). */
  onSessionLost?: () => void;
  /** A call started or stopped ringing us in one of our rooms. */
  onRing?: (frame: Extract<HubFrame, { type: "call.ring" | "call.ring_ended" }>) => void;
  /** The hub socket came back after a drop: frames sent meanwhile were lost. */
  onReconnect?: () => void;
  /** The hub socket opened (the server is reachable). */
  onOpen?: () => void;
}

const byActivity = (a: RoomSummary, b: RoomSummary) => b.activityAt - a.activityAt;

/** Muted now (its unread count shows grey and stays out of the title). */
export const isMuted = (r: RoomSummary, now = Date.now()) => (r.mutedUntil ?? 0) > now;

export function createSidebarStore(user: Me, opts: SidebarOptions = {}) {
  const rooms = signal<readonly RoomSummary[]>([]);
  /** False until the first list arrived (from the server, or from the device when offline: `kept`). */
  const loaded = signal(false);
  /** The list shown is the one kept on the device: the server was not reached yet. */
  const kept = signal(false);
  const error = signal<string | null>(null);
  /** The room on screen in a visible tab, if any: it gains no unread count. */
  const active = signal<string | null>(null);
  /** `rooms` frames: open rooms refresh their details. */
  const roomsChanged = new Emitter();
  /**
   * A room's newest message, as `activity` brought it, and whether the news mentions us
   * (notifications listen: state/notify.ts).
   */
  const news = new Emitter<[room: RoomSummary, viewing: boolean, mentioned: boolean]>();
  /** The presence of the people we share a room with, by user id. */
  const presence = signal<ReadonlyMap<string, Presence>>(new Map());

  /** Highest seq we have told the server (or are about to) per room. */
  const readSeq = new Map<string, number>();
  const readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  let loading: Promise<void> | null = null;
  let loadAgain = false;
  let opens = 0;
  let failedOpens = 0;
  let disposed = false;

  /** Fetches the list; calls while one is in flight coalesce into one more fetch after it. */
  function load(): Promise<void> {
    if (loading) {
      loadAgain = true;
      return loading;
    }
    loading = (async () => {
      do {
        loadAgain = false;
        const r = await api.rooms();
        if (disposed) return;
        if (r.ok) {
          const known = loaded.peek() && !kept.peek() ? new Set(rooms.peek().map((x) => x.id)) : null;
          const list = r.data.rooms.map(withLocalReads).sort(byActivity);
          batch(() => {
            rooms.value = list;
            loaded.value = true;
            kept.value = false;
            error.value = null;
          });
          // A room new to the list with a message in it is news too: a DM's first message
          // reaches the other person this way, and `activity` from a room not listed yet
          // comes here through the refetch.
          if (known) for (const x of list) if (!known.has(x.id) && x.lastMessage && (x.unread > 0 || x.lastMessage.uid === user.id)) news.emit(x, x.id === active.peek(), x.mentions > 0);
        } else if (r.status === 401) {
          opts.onSessionLost?.();
          return;
        } else if (r.status === 0 && !loaded.peek() && showKept()) {
          // No answer: what the server gave last time, until the hub's socket opens and we fetch again.
        } else if (!kept.peek()) {
          error.value = r.status === 0 ? "Can't reach the server." : `Couldn't load your conversations: ${r.message}`;
        }
      } while (loadAgain);
    })().finally(() => (loading = null));
    return loading;
  }

  /** Shows the list kept on the device, if there is one. */
  function showKept(): boolean {
    const list = loadRooms(user.id);
    if (!list) return false;
    batch(() => {
      rooms.value = list.sort(byActivity);
      loaded.value = kept.value = true;
    });
    return true;
  }

  /** The server may not have our latest read position yet (debounced): don't resurrect badges. */
  function withLocalReads(r: RoomSummary): RoomSummary {
    const read = readSeq.get(r.id) ?? 0;
    if ((r.unread > 0 || r.mentions > 0) && (r.id === active.peek() || read >= r.lastSeq)) {
      return { ...r, unread: 0, mentions: 0, lastRead: Math.max(r.lastRead, read) };
    }
    return r;
  }

  function receive(frame: HubFrame) {
    switch (frame.type) {
      case "activity":
        return onActivity(frame);
      case "rooms":
        void load();
        roomsChanged.emit();
        return;
      case "call.ring":
      case "call.ring_ended":
        opts.onRing?.(frame);
        return;
      case "read":
        return onRead(frame);
      case "presence":
        return onPresence(frame);
      case "error":
        console.warn(`hub: refused a frame (${frame.code}): ${frame.message}`);
        return;
      default:
        return assertNever(frame);
    }
  }

  function onActivity(f: Extract<HubFrame, { type: "activity" }>) {
    const list = rooms.peek();
    const i = list.findIndex((r) => r.id === f.roomId);
    if (i < 0) return void load(); // A room we don't have yet.
    const r = list[i]!;
    // Frames can arrive after a refetch that already counted them; the newest message again is an edit of it.
    if (f.lastSeq <= r.lastSeq && (r.lastMessage?.seq ?? 0) >= f.lastMessage.seq) {
      if (r.lastMessage?.seq === f.lastMessage.seq && r.lastMessage.text !== f.lastMessage.text) patch(r.id, (x) => ({ ...x, lastMessage: f.lastMessage }));
      return;
    }
    const viewing = active.peek() === r.id;
    const mine = f.lastMessage.uid === user.id;
    const added = Math.max(1, f.lastSeq - r.lastSeq);
    // The mentions of us this frame tells, not counted yet (after what the list had) nor read.
    const mentioned = (f.mentions ?? []).filter((seq) => seq > r.lastSeq && seq > r.lastRead).length;
    const next: RoomSummary = {
      ...r,
      lastMessage: f.lastMessage,
      lastSeq: Math.max(r.lastSeq, f.lastSeq),
      // Never more than what is after the read position (a room read here a moment ago
      // may not have heard of those messages yet: its lastSeq is behind, not its lastRead).
      unread: viewing ? 0 : mine ? r.unread : Math.min(r.unread + added, Math.max(1, f.lastSeq - r.lastRead)),
      mentions: viewing ? 0 : r.mentions + mentioned,
      activityAt: Math.max(r.activityAt, f.lastMessage.ts),
    };
    rooms.value = [...list.slice(0, i), next, ...list.slice(i + 1)].sort(byActivity);
    news.emit(next, viewing, mentioned > 0);
  }

  function onPresence(f: Extract<HubFrame, { type: "presence" }>) {
    const next = new Map(f.all ? [] : presence.peek());
    for (const p of f.users) next.set(p.id, p);
    presence.value = next;
  }

  /** Read on this device or another: the badge counts only what is after it. */
  function onRead(f: Extract<HubFrame, { type: "read" }>) {
    if (f.unread) return setUnread(f.roomId, f.seq);
    readSeq.set(f.roomId, Math.max(readSeq.get(f.roomId) ?? 0, f.seq));
    patch(f.roomId, (r) => {
      if (f.seq <= r.lastRead) return r;
      // Read to the end: no mention left. (Part of the way: the count is kept until the next refetch.)
      return { ...r, lastRead: f.seq, unread: Math.min(r.unread, Math.max(0, r.lastSeq - f.seq)), mentions: f.seq >= r.lastSeq ? 0 : r.mentions };
    });
  }

  /**
   * The read position of room `id` goes back to `seq` (Mark as unread, here or on another
   * device); `newest`: the room's last seq as its open view knows it (the list may lag).
   */
  function setUnread(id: string, seq: number, newest = 0) {
    readSeq.set(id, seq);
    clearTimeout(readTimers.get(id));
    readTimers.delete(id);
    patch(id, (r) => {
      const lastSeq = Math.max(r.lastSeq, newest);
      const unread = Math.max(0, lastSeq - seq);
      return r.lastRead === seq && r.unread === unread && r.lastSeq === lastSeq ? r : { ...r, lastRead: seq, lastSeq, unread };
    });
  }

  /** Actions read with peek(): called from an effect, they must not subscribe it to the list they write. */
  function patch(id: string, change: (r: RoomSummary) => RoomSummary) {
    const list = rooms.peek();
    const i = list.findIndex((r) => r.id === id);
    if (i < 0) return;
    const next = change(list[i]!);
    if (next !== list[i]) rooms.value = [...list.slice(0, i), next, ...list.slice(i + 1)];
  }

  function postRead(id: string) {
    readTimers.delete(id);
    const seq = readSeq.get(id);
    if (seq === undefined || disposed) return;
    void api.markRead(id, seq);
  }

  const away = watchAway((a) => sendHub({ type: "presence", away: a }));
  let conn = dial();

  function sendHub(f: HubClientFrame) {
    conn.send(JSON.stringify(f));
  }

  function dial() {
    return createConnection({
      url: hubSocketUrl,
      onOpen: () => {
        failedOpens = 0;
        sendHub({ type: "presence", away: away.away() }); // Hello: the hub answers with everyone's presence.
        // What happened while we were away did not reach us as frames (a ring that ended included).
        if (opens++ > 0) opts.onReconnect?.();
        if (opens > 1 || kept.peek()) void load();
        opts.onOpen?.();
      },
      onMessage: (data) => {
        const frame = parseHubFrame(data);
        if (frame) receive(frame);
        else if (data !== "pong") console.warn("hub: ignored an unexpected frame", data.slice(0, 200));
      },
      onClose: (code, _reason, opened) => {
        if (code === Close.UNAUTHORIZED) return opts.onSessionLost?.();
        // The browser hides why an upgrade failed: after a few failures, ask whether we are signed out.
        if (!opened && ++failedOpens >= 2 && (failedOpens & (failedOpens - 1)) === 0) {
          void api.getSession().then((r) => {
            if (!r.ok && r.status === 401 && !disposed) opts.onSessionLost?.();
          });
        }
      },
    });
  }

  // The list as the server gave it (and as frames changed it) is kept for opening offline.
  const keep = laterWrite(() => saveRooms(user.id, rooms.peek()));
  const stopKeeping = effect(() => {
    rooms.value;
    if (loaded.value && !kept.value) keep.schedule();
  });

  void load();

  return {
    user,
    rooms: rooms as ReadonlySignal<readonly RoomSummary[]>,
    loaded: loaded as ReadonlySignal<boolean>,
    /** The list shown is the one kept on the device (offline), not the server's. */
    kept: kept as ReadonlySignal<boolean>,
    error: error as ReadonlySignal<string | null>,
    active: active as ReadonlySignal<string | null>,
    presence: presence as ReadonlySignal<ReadonlyMap<string, Presence>>,
    /** The user's room list changed (a `rooms` frame): open rooms refresh their details. Returns the unsubscribe. */
    onRoomsChanged: roomsChanged.on,
    /** Unread in rooms that are not muted (a muted room's badge is grey, and not counted here). */
    totalUnread: computed(() => rooms.value.reduce((n, r) => n + (isMuted(r) ? 0 : r.unread), 0)),
    onNews: news.on,
    /** The viewer changed a room's notification settings. */
    setNotify(id: string, notify: RoomSummary["notify"], mutedUntil: number) {
      patch(id, (r) => ({ ...r, notify, mutedUntil }));
    },
    load,
    /** Dial the user channel again now (e.g. it was opened under a session that has since been replaced). */
    reconnect() {
      if (disposed) return;
      // Stopped for good by a 4001 that turned out to concern an older session: start anew.
      if (conn.status.peek() === "closed") conn = dial();
      else conn.reconnectNow();
    },

    /** The room being looked at: on screen in a visible tab (null: none). Its badge clears at once. */
    setActive(id: string | null) {
      active.value = id;
      if (id) patch(id, (r) => (r.unread || r.mentions ? { ...r, unread: 0, mentions: 0 } : r));
    },

    /** The person has seen room `id` up to `seq`: clear its badge, tell the server (debounced). */
    markRead(id: string, seq: number) {
      const sent = Math.max(readSeq.get(id) ?? 0, rooms.peek().find((r) => r.id === id)?.lastRead ?? 0);
      patch(id, (r) => (r.unread || r.mentions || r.lastRead < seq ? { ...r, unread: 0, mentions: 0, lastRead: Math.max(r.lastRead, seq) } : r));
      if (seq <= sent) return;
      readSeq.set(id, seq);
      if (!readTimers.has(id)) readTimers.set(id, setTimeout(() => postRead(id), READ_DEBOUNCE_MS));
    },

    /**
     * "Mark as unread": the read position of room `id` goes back to `seq` (everything after it
     * is unread again), here at once and on the server, which tells our other devices. The
     * server clamps it to the room's last seq.
     */
    markUnread(id: string, seq: number, newest = 0) {
      setUnread(id, seq, newest);
      void api.markRead(id, seq, true);
    },

    /** A room we left, were removed from, or deleted: off the list now, refetch to be sure. */
    forget(id: string) {
      rooms.value = rooms.peek().filter((r) => r.id !== id);
      void load();
    },

    dispose() {
      disposed = true;
      stopKeeping();
      keep.cancel();
      roomsChanged.clear();
      news.clear();
      away.stop();
      for (const t of readTimers.values()) clearTimeout(t);
      readTimers.clear();
      conn.stop();
    },
  };
}
