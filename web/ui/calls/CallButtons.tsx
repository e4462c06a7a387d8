import type { RoomCall } from "../../state/call";
import { prefetch } from "../../state/lazy";
import { PhoneIcon } from "../Icons";
import { callCode, IdleCallButtons } from "./code";

/**
 * Audio and video call buttons, or "Join call" while a call runs here without us. A pointer
 * over the buttons fetches the call code (if the room's call has not already); a press
 * before it is here waits for it (the buttons are off meanwhile), then goes on.
 */
export function CallButtons({ call }: { call: RoomCall }) {
  const phase = call.phase.value;
  const joinable = call.joinable.value;
  const online = call.room.online.value;
  const c = call.elsewhere.value ? call.room.call.value : null;
  if (c) {
    // We are in it from another tab (or device): move it here (the room hands the call over).
    return (
      <button type="button" class="button small join-call" disabled={!online || call.busy.value} onClick={() => void call.join(c.id)}>
        <PhoneIcon size={16} /> Join here
      </button>
    );
  }
  if (joinable && joinable.answeredAt !== null) {
    return (
      <button type="button" class="button small join-call" disabled={!online || call.busy.value} onClick={() => void call.join(joinable.id)}>
        <PhoneIcon size={16} /> Join call
      </button>
    );
  }
  const busy = phase !== "idle" || !!joinable || !online || call.busy.value;
  return <IdleCallButtons disabled={busy} onStart={(media) => void call.start(media)} onHint={() => prefetch(callCode)} />;
}
