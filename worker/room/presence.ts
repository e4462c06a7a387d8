/**
 * Who is in the room, derived from its open sockets on every call (never kept in
 * memory: after a wake the sockets and their attachments are all there is). A socket
 * counts while it is open and was heard from (a frame, or a heartbeat the runtime
 * answered for us) within `ghostAfterMs`; one that went silent is a ghost — its client
 * vanished without a close — and is neither shown nor kept.
 *
 * Presence changes are deltas (`joined` / `left`), fanned out like messages: a join costs
 * one small frame per socket at most, and under a join storm several share a frame.
 */
import type { Peer } from "../protocol";
import { TYPING_TTL_MS } from "../protocol";
import { frameTo, type Conn, type Effect } from "./effects";
import { sessionOver } from "./identity";

/** One socket as presence sees it. */
export interface SocketView extends Conn {
  /** Open (not closing or closed). */
  open: boolean;
  /** Closed by the room itself, which has already told the others. */
  shut: boolean;
  /** When it was accepted. */
  at: number;
  /** The last time it was heard from (accepted, a frame, a heartbeat). */
  lastSeen: number;
  /** When its session ends (as of the upgrade). */
  exp: number;
}

export const isGhost = (v: SocketView, now: number, ghostAfterMs: number) => now - v.lastSeen > ghostAfterMs;

/** People with at least one live socket, each once. */
export function online(views: readonly SocketView[], now: number, ghostAfterMs: number): Peer[] {
  const seen = new Map<string, Peer>();
  for (const v of views) {
    if (v.open && !isGhost(v, now, ghostAfterMs)) seen.set(v.uid, { id: v.uid, name: v.name });
  }
  return [...seen.values()];
}

/**
 * Who is online, kept between scans of the sockets for the welcome of each newcomer. A scan
 * reads every socket (its attachment, its last heartbeat): O(n) per join, O(n²) in a join
 * storm, and at 500 people that churn alone grew the runtime by tens of MiB (bench, memory).
 * So a scan is reused while younger than `freshMs` (a ghost drops out at most that much
 * later; the alarm's sweep closes it anyway) and kept in step, in between, with the sockets
 * the room accepts, shuts and sees close. In memory only: a wake starts with a scan.
 */
export class Roster {
  #conns: Map<string, Peer> | null = null;
  #at = 0;

  constructor(readonly freshMs: number) {}

  /** People with at least one live socket, each once, in the order they came. */
  online(now: number, ghostAfterMs: number, scan: () => readonly SocketView[]): Peer[] {
    if (this.#conns === null || now - this.#at > this.freshMs) {
      this.#conns = new Map();
      this.#at = now;
      for (const v of scan()) if (v.open && !isGhost(v, now, ghostAfterMs)) this.#conns.set(v.conn, { id: v.uid, name: v.name });
    }
    const seen = new Map<string, Peer>();
    for (const p of this.#conns.values()) seen.set(p.id, p);
    return [...seen.values()];
  }

  /** A socket was accepted. */
  add(conn: string, peer: Peer): void {
    this.#conns?.set(conn, peer);
  }

  /** A socket was shut or closed. */
  drop(conn: string): void {
    this.#conns?.delete(conn);
  }

  /** Forget everything: the next call scans. */
  reset(): void {
    this.#conns = null;
  }
}

/**
 * `me` opened a socket; `theirs` are the other sockets of the same person. The others
 * hear of it if `me` was not online yet (its welcome told the newcomer already).
 */
export function joined(theirs: readonly SocketView[], me: Conn, now: number, ghostAfterMs: number): Effect[] {
  if (online(theirs, now, ghostAfterMs).some((p) => p.id === me.uid)) return [];
  return [{ type: "presence", joined: [{ id: me.uid, name: me.name }], left: [], except: me.conn }];
}

/**
 * Socket `gone` closed (its client closed it, or it failed); `theirs` are the other sockets
 * of the same person. The others hear that they left unless another tab keeps them online,
 * or the room shut it itself (and said so then).
 */
export function left(gone: SocketView, theirs: readonly SocketView[], now: number, ghostAfterMs: number): Effect[] {
  if (gone.shut || online(theirs, now, ghostAfterMs).some((p) => p.id === gone.uid)) return [];
  return [{ type: "presence", joined: [], left: [gone.uid] }];
}

/**
 * The room closes `conns` (removed, signed out, ghosts): one close effect, then one
 * presence frame naming those of their people who have no live socket left.
 */
export function shut(views: readonly SocketView[], conns: readonly string[], code: number, reason: string, now: number, ghostAfterMs: number): Effect[] {
  if (conns.length === 0) return [];
  const closing = new Set(conns);
  const gone = new Set(views.filter((v) => closing.has(v.conn)).map((v) => v.uid));
  for (const p of online(views.filter((v) => !closing.has(v.conn)), now, ghostAfterMs)) gone.delete(p.id);
  const effects: Effect[] = [{ type: "close", conns, code, reason }];
  if (gone.size > 0) effects.push({ type: "presence", joined: [], left: [...gone] });
  return effects;
}

/**
 * A person about to open another socket keeps at most `max` in the room: the connections
 * of their oldest open sockets beyond the newest `max - 1` (`theirs`: their sockets now).
 */
export function overflow(theirs: readonly SocketView[], max: number): string[] {
  const live = theirs.filter((v) => v.open && !v.shut).sort((a, b) => b.at - a.at);
  return live.slice(Math.max(0, max - 1)).map((v) => v.conn);
}

/** Sockets to close as ghosts (not already being shut). */
export function ghosts(views: readonly SocketView[], now: number, ghostAfterMs: number): string[] {
  return views.filter((v) => !v.shut && isGhost(v, now, ghostAfterMs)).map((v) => v.conn);
}

/** Sockets to close because their session has ended (not already being shut). */
export function expired(views: readonly SocketView[], now: number): string[] {
  return views.filter((v) => !v.shut && sessionOver(v, now)).map((v) => v.conn);
}

/** `me` started or stopped typing: the others see it for TYPING_TTL_MS unless refreshed. */
export function typing(me: Conn, on: boolean): Effect[] {
  return [frameTo({ all: true, except: me.conn }, { type: "typing", user: { id: me.uid, name: me.name }, on, ttl: TYPING_TTL_MS })];
}
