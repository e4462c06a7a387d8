/**
 * The call code, in a chunk of its own (loaded on demand: web/state/call/room-call.ts says
 * when): the call model with the session, peers, mesh and media under it, and the parts of
 * the call UI that only show once a model exists. What must show before it loads (the call
 * buttons, the ring banner, the ringtone) stays in the first chunk.
 */
import type { CallModel } from "../../state/call";
import { CallView } from "./CallView";
import { MediaProblemDialog } from "./MediaProblemDialog";

export { createCallModel } from "../../state/call/model";
export { OngoingCall } from "./OngoingCall";

/** The call in its room: the call view (and the outcome after it), the media-problem dialog. */
export function RoomCallView({ call }: { call: CallModel }) {
  return (
    <>
      <CallView call={call} />
      <MediaProblemDialog call={call} />
    </>
  );
}
