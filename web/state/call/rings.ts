/**
 * Calls ringing us, wherever they come from: the open room's own call (its `call` frames
 * list us in `ringing`), and any of our rooms through the user's hub channel (`call.ring` /
 * `call.ring_ended`), so the shell can show an incoming call while another room, or none,
 * is open. One per signed-in shell.
 *
 * Accepting a ring from the shell's banner opens its room (the UI navigates) and marks the
 * answer as `answering`; that room's call model, once its room shows the call ringing us,
 * answers it with the media the call asks for (`answerWhenRinging`). Declining tells the room
 * over a short-lived socket, without opening it.
 */
import { effect, signal, untracked, type ReadonlySignal } from "@preact/signals";
import { PROTOCOL, type CallState, type HubFrame } from "../../../worker/protocol";
import { socketUrl } from "../../api";
import { newReq, type CallActionFrame } from "./ports";

/** A call ringing us in one of our rooms (from the hub). */
export type Ring = Omit<Extract<HubFrame, { type: "call.ring" }>, "type">;
export type RingFrame = Extract<HubFrame, { type: "call.ring" | "call.ring_ended" }>;

/** Sends `call.decline` for a call ringing us in a room we do not have open: a short-lived socket. */
export function declineInBackground(roomId: string, callId: string, open: (url: string) => WebSocket = (u) => new WebSocket(u)): void {
  let ws: WebSocket;
  try {
    ws = open(socketUrl(roomId, PROTOCOL, null));
  } catch {
    return;
  }
  const done = setTimeout(() => ws.close(), 10_000);
  ws.addEventListener("message", (e) => {
    if (typeof e.data !== "string" || !e.data.startsWith('{"type":"welcome"')) return;
    ws.send(JSON.stringify({ type: "call.decline", callId, req: newReq() } satisfies CallActionFrame));
    // Give the frame a moment to leave before closing.
    setTimeout(() => {
      clearTimeout(done);
      ws.close();
    }, 500);
  });
}

export type Rings = ReturnType<typeof createRings>;

export function createRings() {
  /** Calls ringing us from the hub, newest last (at most one per room). */
  const hub = signal<readonly Ring[]>([]);
  /** A call we accepted from the shell's banner: its room's call model answers it once open. */
  const answering = signal<{ roomId: string; callId: string } | null>(null);
  /** Calls we declined or answered busy: their banner stays away. */
  const dismissed = signal<ReadonlySet<string>>(new Set());

  function drop(callId: string) {
    if (hub.peek().some((r) => r.callId === callId)) hub.value = hub.peek().filter((r) => r.callId !== callId);
  }

  return {
    hub: hub as ReadonlySignal<readonly Ring[]>,
    answering: answering as ReadonlySignal<{ roomId: string; callId: string } | null>,
    dismissed: dismissed as ReadonlySignal<ReadonlySet<string>>,

    /** A ring frame from the hub. */
    receive(f: RingFrame) {
      if (f.type === "call.ring") {
        const { type: _t, ...r } = f;
        hub.value = [...hub.peek().filter((x) => x.roomId !== r.roomId), r];
        return;
      }
      drop(f.callId);
      // It stopped ringing us before its room could answer: nothing left to answer.
      if (answering.peek()?.callId === f.callId) answering.value = null;
    },
    /** The hub channel came back: what happened while it was away (a ring that ended included) did not reach us. */
    reset() {
      hub.value = [];
    },

    /** The ring for the shell's banner: the newest one from a room other than the open one. */
    elsewhere(openRoomId: string | null): Ring | null {
      return hub.value.findLast((x) => x.roomId !== openRoomId) ?? null;
    },
    /** Accept from the shell's banner: its banner goes; the room (opened by the caller of this) answers. */
    accept(r: Ring) {
      drop(r.callId);
      answering.value = { roomId: r.roomId, callId: r.callId };
    },
    /** Decline from the shell's banner: its banner goes, and the room is told (in the background). */
    decline(r: Ring, send: (roomId: string, callId: string) => void = declineInBackground) {
      drop(r.callId);
      send(r.roomId, r.callId);
    },

    /** We declined `callId` in its room, or answered busy: no banner for it any more. */
    dismiss(callId: string) {
      if (!dismissed.peek().has(callId)) dismissed.value = new Set([...dismissed.peek(), callId]);
    },

    /**
     * The call accepted from the shell's banner is answered by `accept` as soon as room
     * `roomId` shows it ringing us (`incoming`). Returns the stop.
     */
    answerWhenRinging(roomId: string, incoming: ReadonlySignal<CallState | null>, accept: (callId: string) => void): () => void {
      return effect(() => {
        const a = answering.value;
        const c = incoming.value;
        if (!a || a.roomId !== roomId || !c || c.id !== a.callId) return;
        untracked(() => {
          answering.value = null;
          accept(a.callId);
        });
      });
    },
  };
}
