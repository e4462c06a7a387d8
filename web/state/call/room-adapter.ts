/**
 * The one place that adapts a room store to what the call needs (`CallRoom`, ports.ts):
 * the room's channel hands over the call's frames as they come (`on`, registered after
 * the room's own listeners, so the room's `call` signal is already set), and sends its
 * frames without queueing (`send` is false when not connected).
 */
import { computed } from "@preact/signals";
import type { RoomStore } from "../room";
import type { CallRoom, CallRoomEvents } from "./ports";

export function callRoom(store: RoomStore): CallRoom {
  return {
    roomId: store.id,
    me: store.me,
    call: store.call,
    online: computed(() => store.connection.value === "online"),
    gone: computed(() => store.problem.value !== null || store.connection.value === "closed"),
    send: (frame) => store.send(frame),
    on<K extends keyof CallRoomEvents>(type: K, fn: (event: CallRoomEvents[K]) => void): () => void {
      const f = fn as (event: unknown) => void;
      switch (type) {
        case "welcome":
          return store.on("welcome", () => f(undefined));
        case "call":
          return store.on("call", f);
        case "call.ended":
          return store.on("call.ended", f);
        case "rtc":
          return store.on("rtc", f);
        default:
          return store.on("error", f);
      }
    },
  };
}
