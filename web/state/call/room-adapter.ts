/**
 * The one place that adapts a room store to what the call needs (`CallRoom`, ports.ts).
 * Today's room store hands the call its frames through `onCallFrame` (call, call.ended,
 * rtc, and error frames with a call error code) and counts welcomes in a signal.
 */
import { computed, effect, untracked } from "@preact/signals";
import type { RoomStore } from "../room";
import type { CallRoom, CallRoomEvents } from "./ports";

export function callRoom(store: RoomStore): CallRoom {
  return {
    roomId: store.id,
    me: store.me,
    call: store.call,
    online: computed(() => store.connection.value === "online"),
    gone: computed(() => store.problem.value !== null || store.connection.value === "closed"),
    send: (frame) => store.sendCall(frame),
    on<K extends keyof CallRoomEvents>(type: K, fn: (event: CallRoomEvents[K]) => void): () => void {
      if (type === "welcome") {
        // A change of the count is a welcome (it changes inside the welcome's batch, before
        // the `call` frame that follows it is handled).
        let seen = store.welcomes.peek();
        return effect(() => {
          const n = store.welcomes.value;
          if (n === seen) return;
          seen = n;
          untracked(() => (fn as () => void)());
        });
      }
      return store.onCallFrame((f) => {
        if (f.type === type) fn(f as CallRoomEvents[K]);
      });
    },
  };
}
