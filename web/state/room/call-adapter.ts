/**
 * What the call store (web/state/call.ts) takes from the room, built on the channel: its
 * frames (`call`, `call.ended`, `rtc` and the call errors), a way to send call frames, and
 * a count of welcomes (a change after the first means our socket came back: it rejoins).
 * The call store is moving to a `CallRoom` (me, call, send, on(type, fn), connection),
 * which the room store offers as is; this adapter goes when it lands.
 */
import { signal, type ReadonlySignal } from "@preact/signals";
import { CallErrorCode, type ClientFrame, type ServerFrame, type ServerFrameOf } from "../../../worker/protocol";
import type { Channel } from "./channel";

type CallErrorCode = (typeof CallErrorCode)[keyof typeof CallErrorCode];
const CALL_ERRORS: readonly string[] = Object.values(CallErrorCode);

/** Frames the room hands to its call store: signaling, call outcomes and call errors. */
export type CallFrame =
  | Extract<ServerFrame, { type: "call" | "call.ended" | "rtc" }>
  | (ServerFrameOf<"error"> & { code: CallErrorCode });

/** An error about a call action (not about a message: those carry a cid). */
export function isCallError(f: ServerFrameOf<"error">): f is ServerFrameOf<"error"> & { code: CallErrorCode } {
  return !f.cid && CALL_ERRORS.includes(f.code);
}

export interface CallBridge {
  welcomes: ReadonlySignal<number>;
  /** The call store listens here; returns an unsubscribe. */
  onCallFrame(fn: (f: CallFrame) => void): () => void;
  /** Sends a call frame now; false when not connected (nothing is queued). */
  sendCall(f: Extract<ClientFrame, { type: `call.${string}` | "rtc" }>): boolean;
}

/** Subscribe after the room's own listeners: the room's `call` signal is set before the call store sees the frame. */
export function callBridge(channel: Channel): CallBridge {
  const welcomes = signal(0);
  channel.on("welcome", () => welcomes.value++);
  return {
    welcomes,
    onCallFrame(fn) {
      const offs = [
        channel.on("call", fn),
        channel.on("call.ended", fn),
        channel.on("rtc", fn),
        channel.on("error", (f) => {
          if (isCallError(f)) fn(f);
        }),
      ];
      return () => offs.forEach((off) => off());
    },
    sendCall: (f) => channel.send(f),
  };
}
