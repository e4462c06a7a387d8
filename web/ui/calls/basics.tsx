/**
 * The call stand-ins, a small chunk fetched when the shell first renders (code.tsx; what
 * stands in before it is web/state/call/page.ts): the page's calls (rings, the one-call lock,
 * the held call), each open room's call before and after the call code loads (room-call.ts),
 * the call buttons and the ring banner with its ringtone. None of it is needed to show a room
 * and send; it is here before a ring can be, in practice (a ring that comes first shows once
 * it is: a round trip, once per page).
 */
import type { Calls, CallHolder, RoomCall } from "../../state/call";
import { callRoom } from "../../state/call/room-adapter";
import { createRoomCall as roomCall } from "../../state/call/room-call";
import type { RoomStore } from "../../state/room";
import { callCode } from "./code";

export { createCalls } from "../../state/call/calls";
export { CallButtons } from "./CallButtons";
export { IncomingCall, RingingElsewhere } from "./IncomingCall";

export function createRoomCall(store: RoomStore, calls: Calls): RoomCall {
  return roomCall(callRoom(store), calls, callCode);
}

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
