import type { CallSummary } from "../../../worker/protocol";
import { callLine } from "../../state/messages";
import { PhoneIcon, VideoIcon } from "../Icons";

/** A call's entry in the history: an icon and one line, not a chat bubble. */
export function CallEntry({ call, caller, mine }: { call: CallSummary; caller: string; mine: boolean }) {
  const { text, missed } = callLine(call, caller, mine);
  return (
    <div class={`call-entry${missed ? " missed" : ""}`} data-outcome={call.outcome}>
      <span class="call-entry-icon">{call.media === "video" ? <VideoIcon size={16} /> : <PhoneIcon size={16} />}</span>
      <span class="call-entry-text">{text}</span>
    </div>
  );
}
