/**
 * What both Durable Objects that hold hibernatable sockets (ChatRoom, UserHub) do alike:
 * send without throwing, close and finish the closing handshake, read a socket's
 * attachment, tell a live socket from a ghost, and read their settings from `env`.
 */
import { HEARTBEAT_PING, HEARTBEAT_PONG } from "../protocol";

/** Sends unless the socket is already closing: its close event will clean up. */
export function send(ws: WebSocket, data: string): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  try {
    ws.send(data);
  } catch {
    // closed between the check and the send
  }
}

/** Closes unless already closed. */
export function close(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}

/** Answers a close from the client; 1005/1006/1015 are never sent on the wire. */
export function finishClose(ws: WebSocket, code: number, reason: string): void {
  if (code !== 1005 && code !== 1006 && code !== 1015) close(ws, code, reason);
}

/**
 * The close reason (with Close.UNAUTHORIZED) for a socket whose session has ended: every
 * socket carries its session's deadline as of the upgrade (UserIdentity.until) and is closed
 * when it sends after it, or by the object's alarm. A client whose session was kept alive
 * by requests meanwhile finds it still valid when it checks, and reconnects with a new deadline.
 */
export const SESSION_EXPIRED = "your session has expired";

export function attachment<T>(ws: WebSocket): T | null {
  return (ws.deserializeAttachment() as T | null) ?? null;
}

/** Heartbeats are answered by the runtime without waking the object. */
export function answerHeartbeats(ctx: DurableObjectState): void {
  ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG));
}

/**
 * When a socket was last heard from: accepted at `acceptedAt`, a heartbeat the runtime
 * answered, or a frame the object saw (`lastFrame`, if it keeps track).
 */
export function lastSeen(ctx: DurableObjectState, ws: WebSocket, acceptedAt: number, lastFrame = 0): number {
  return Math.max(acceptedAt, ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0, lastFrame);
}

/** A positive number from a `[vars]` entry, or `fallback` when it is unset or not one. */
export function envNumber(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
}
