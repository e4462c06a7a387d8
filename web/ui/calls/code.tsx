/**
 * Where the call code comes from, in two chunks loaded on demand:
 * - the call stand-ins (basics.tsx: the page's calls and rings, each room's call before the
 *   call code, the call buttons, the ring banner with the ringtone), asked for when the shell
 *   first renders (web/state/call/page.ts stands in before), so it is here before any ring
 *   comes, in practice (a ring that came first shows once it is: a round trip, once per page);
 * - the call code itself (calls.tsx: the call model, session, peers, media, the call view),
 *   fetched when a room has a call or a call button is pointed at (room-call.ts).
 * The components below draw nothing until their chunk is here; a room's call exists only once
 * the stand-ins are, so what takes one draws at once.
 */
import type { CallMedia } from "../../../worker/protocol";
import { lazy } from "../../state/lazy";
import { PhoneIcon, VideoIcon } from "../Icons";
import { lazyComponent } from "../Lazy";

export const callCode = lazy(() => import("./calls"));
export const callBasics = lazy(() => import("./basics"));

/** Audio and video call buttons, or "Join call" (CallButtons.tsx). */
export const CallButtons = lazyComponent(callBasics, (m) => m.CallButtons);
/** Someone is calling us in the open room. */
export const IncomingCall = lazyComponent(callBasics, (m) => m.IncomingCall);
/** A call ringing us in a room that is not open. */
export const RingingElsewhere = lazyComponent(callBasics, (m) => m.RingingElsewhere);
/** The room's call view and media-problem dialog, once its call has a model. */
export const CallScreen = lazyComponent(callBasics, (m) => m.CallScreen);
/** The bar for the call we are in while its room is off screen. */
export const HeldCall = lazyComponent(callBasics, (m) => m.HeldCall);

/**
 * The audio and video call buttons while no call is going on (CallButtons), and their place
 * before the stand-ins are here (RoomView): a press then fetches them and goes on.
 */
export function IdleCallButtons(props: { disabled: boolean; onStart: (media: CallMedia) => void; onHint: () => void }) {
  return (
    <span class="call-buttons" onPointerEnter={props.onHint}>
      <button type="button" class="button ghost icon" aria-label="Audio call" title="Audio call" disabled={props.disabled} onClick={() => props.onStart("audio")}>
        <PhoneIcon />
      </button>
      <button type="button" class="button ghost icon" aria-label="Video call" title="Video call" disabled={props.disabled} onClick={() => props.onStart("video")}>
        <VideoIcon />
      </button>
    </span>
  );
}
