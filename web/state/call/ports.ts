/**
 * What the call folder needs from outside, as small interfaces of its own: the room (its
 * socket, its call state, who we are) and the browser (media, peer connections, ICE
 * servers). Tests pass fakes; `room-adapter.ts` is the one place that adapts the room store,
 * and model.ts has the browser's own (`browserEnv`).
 */
import type { ReadonlySignal } from "@preact/signals";
import type { ClientFrame, IceServersResponse, Peer, CallState, ServerFrameOf } from "../../../worker/protocol";
import type { ApiResult } from "../../api";

/** Every frame the call sends: the call actions (each may carry a `req`) and signaling. */
export type CallClientFrame = Extract<ClientFrame, { type: `call.${string}` | "rtc" }>;
/** The call actions: the room echoes their `req` in the `error` frame that refuses one. */
export type CallActionFrame = Exclude<CallClientFrame, { type: "rtc" }>;

/** What the room tells the call, by event name. */
export interface CallRoomEvents {
  /** The room's call changed (null: none). `CallRoom.call` already holds it when this runs. */
  call: ServerFrameOf<"call">;
  /** Why a call ended, for those it concerned. */
  "call.ended": ServerFrameOf<"call.ended">;
  /** Signaling from another participant. */
  rtc: ServerFrameOf<"rtc">;
  /**
   * Errors the room sent us. The call acts only on those whose `req` it issued; any other
   * (a message's, or a call error without `req`, e.g. an ICE candidate to someone who just left) is not its news.
   */
  error: ServerFrameOf<"error">;
  /** Our socket joined the room (a `welcome`): the first time, or again after it dropped. */
  welcome: void;
}

/** The room, as the call sees it. */
export interface CallRoom {
  readonly roomId: string;
  /** Who we are in this room (id and display name). */
  readonly me: ReadonlySignal<Peer>;
  /** The room's running call, as the server last stated it (null: none). */
  readonly call: ReadonlySignal<CallState | null>;
  /** The socket is up: actions can be sent now. */
  readonly online: ReadonlySignal<boolean>;
  /** The room is over for us (removed, deleted, signed out, or its socket stopped for good). */
  readonly gone: ReadonlySignal<boolean>;
  /** Sends a frame now; false when not connected (nothing is queued). */
  send(frame: CallClientFrame): boolean;
  /** Listens to one kind of event; returns the unsubscribe. */
  on<K extends keyof CallRoomEvents>(type: K, fn: (event: CallRoomEvents[K]) => void): () => void;
}

/** What the call needs from the browser. */
export interface CallEnv {
  iceServers(): Promise<ApiResult<IceServersResponse>>;
  getUserMedia(c: MediaStreamConstraints): Promise<MediaStream>;
  getDisplayMedia(c: DisplayMediaStreamOptions): Promise<MediaStream>;
  enumerateDevices(): Promise<MediaDeviceInfo[]>;
  peer(config: RTCConfiguration): RTCPeerConnection;
}

/** A fresh request id for one action (≤ MAX_REQ characters). */
export const newReq = (): string => crypto.randomUUID().replaceAll("-", "").slice(0, 16);
