/**
 * The incoming-call banner, one for both kinds of ring: the open room's own call
 * (IncomingCall) and a call ringing us in a room that is not open (RingingElsewhere).
 * Both are in the call stand-ins' small chunk (basics.tsx) fetched when the shell first
 * renders, apart from the call code: a ring shows at once, before the call code has loaded.
 */
import { useEffect } from "preact/hooks";
import type { RoomCall, Rings } from "../../state/call";
import { prefetch } from "../../state/lazy";
import { Avatar } from "../Avatar";
import { useApp } from "../context";
import { PhoneIcon, VideoIcon } from "../Icons";
import { HangUpIcon } from "./icons";
import { callCode } from "./code";
import { useRingtone } from "./ringtone";

/** Who, audio or video, Accept / Decline. It rings while shown. */
function RingBanner(props: {
  caller: { id: string; name: string };
  video: boolean;
  textId: string;
  onDecline: () => void;
  onAccept: () => void;
}) {
  const { caller, video, textId } = props;
  return (
    <div class="incoming-call" role="alertdialog" aria-label="Incoming call" aria-describedby={textId}>
      <Avatar uid={caller.id} name={caller.name} size="lg" />
      <div class="incoming-text" id={textId}>
        <strong>{caller.name}</strong>
        <span>Incoming {video ? "video" : "audio"} call…</span>
      </div>
      <div class="incoming-actions">
        <button type="button" class="round-button decline" aria-label="Decline" title="Decline" onClick={props.onDecline}>
          <HangUpIcon size={22} />
        </button>
        <button type="button" class="round-button accept" aria-label="Accept" title="Accept" onClick={props.onAccept}>
          {video ? <VideoIcon size={22} /> : <PhoneIcon size={22} />}
        </button>
      </div>
    </div>
  );
}

/** Someone is calling us in the open room. */
export function IncomingCall({ call }: { call: RoomCall }) {
  const c = call.incoming.value;
  useRingtone(!!c);
  if (!c) return null;
  return (
    <RingBanner
      caller={c.caller}
      video={c.media === "video"}
      textId="incoming-call-text"
      onDecline={() => call.decline(c.id)}
      onAccept={() => void call.accept(c.id)}
    />
  );
}

/**
 * A call ringing us in a room that is not open (another room, or none), from the user's
 * channel: Accept opens that room, which answers it; Decline tells the room without opening it.
 * The open room's own call shows its own banner (IncomingCall), so it is left out here.
 */
export function RingingElsewhere({ rings, currentId }: { rings: Rings; currentId: string | null }) {
  const app = useApp();
  const r = rings.elsewhere(currentId);
  useRingtone(!!r);
  // Accept would open its room and answer there: have the call code ready by then.
  useEffect(() => {
    if (r) prefetch(callCode);
  }, [!!r]);
  if (!r) return null;
  return (
    <RingBanner
      caller={r.caller}
      video={r.media === "video"}
      textId="ringing-elsewhere-text"
      onDecline={() => rings.decline(r)}
      onAccept={() => {
        rings.accept(r);
        app.navigate(`/r/${r.roomId}`);
      }}
    />
  );
}
