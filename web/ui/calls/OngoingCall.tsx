import { useEffect, useRef } from "preact/hooks";
import type { CallModel } from "../../state/call";
import type { RoomStore } from "../../state/room";
import { formatDuration } from "../../state/messages";
import { Link } from "../Link";
import { useNow } from "./clock";
import { HangUpIcon } from "./icons";

/**
 * The call we are in while its room is off screen: a bar to go back to it or hang up.
 * It also plays the others' audio (their video elements are not on screen now).
 */
export function OngoingCall({ room, call }: { room: RoomStore; call: CallModel }) {
  const now = useNow(true);
  const c = call.current.value;
  const phase = call.phase.value;
  const peers = [...call.peers.value.values()];
  return (
    <div class="ongoing-call" role="region" aria-label="Ongoing call">
      {peers.map((p) => p.stream && <RemoteAudio key={p.id} stream={p.stream} />)}
      <span class="ongoing-dot" aria-hidden="true" />
      <Link href={`/r/${room.id}`} class="ongoing-link" label={`Return to the call in ${room.room.value.name}`}>
        <span class="ongoing-name">{room.room.value.name}</span>
        <span class="ongoing-time">
          {phase === "ringing" ? "Ringing…" : c?.answeredAt != null && phase === "active" ? formatDuration(now - c.answeredAt) : "Connecting…"}
        </span>
      </Link>
      <button type="button" class="round-button hangup small" aria-label="Hang up" title="Hang up" onClick={call.hangup}>
        <HangUpIcon size={18} />
      </button>
    </div>
  );
}

function RemoteAudio({ stream }: { stream: MediaStream }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const a = ref.current;
    if (!a) return;
    if (a.srcObject !== stream) a.srcObject = stream;
    void a.play().catch(() => {});
  });
  return <audio ref={ref} autoplay />;
}
