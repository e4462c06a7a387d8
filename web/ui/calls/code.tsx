/**
 * Where the call code comes from (calls.tsx, a chunk loaded on demand) and the two places
 * the shell and the room draw its UI: nothing until a call model exists, which implies the
 * chunk is here. Also the ring banners (IncomingCall.tsx, with the ringtone), a small chunk
 * of their own asked for when the shell and the room first render, so it is here before any
 * ring comes (a ring that came first shows once it is: a round trip, once per page).
 */
import type { CallHolder, RoomCall } from "../../state/call";
import { lazy } from "../../state/lazy";
import { lazyComponent } from "../Lazy";

export const callCode = lazy(() => import("./calls"));

const bannerCode = lazy(() => import("./IncomingCall"));
/** Someone is calling us in the open room. */
export const IncomingCall = lazyComponent(bannerCode, (m) => m.IncomingCall);
/** A call ringing us in a room that is not open. */
export const RingingElsewhere = lazyComponent(bannerCode, (m) => m.RingingElsewhere);

/** The room's call view and media-problem dialog, once its call has a model. */
export function CallScreen({ call }: { call: RoomCall }) {
  const m = call.model.value;
  const code = callCode.module.value;
  return m && code ? <code.RoomCallView call={m} /> : null;
}

/** The bar for the call we are in while its room is off screen. */
export function HeldCall({ holder }: { holder: CallHolder }) {
  const h = holder.held.value;
  const m = h?.call.model.value;
  const code = callCode.module.value;
  return h && m && code ? <code.OngoingCall room={h.room} call={m} /> : null;
}
