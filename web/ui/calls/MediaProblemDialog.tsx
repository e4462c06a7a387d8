import type { CallModel } from "../../state/call";
import { Dialog } from "../Dialog";

/** Camera or microphone refused, missing or busy: continue with audio only, or cancel. */
export function MediaProblemDialog({ call }: { call: CallModel }) {
  const p = call.mediaProblem.value;
  if (!p) return null;
  return (
    <Dialog title="Can't use your camera or microphone" onClose={call.dismissProblem}>
      <p class="dialog-text">{p.message}</p>
      <div class="dialog-actions">
        <button type="button" class="button" onClick={call.dismissProblem}>
          Cancel
        </button>
        {p.audioOnly && (
          <button type="button" class="button primary" onClick={call.continueAudioOnly}>
            Continue with audio only
          </button>
        )}
      </div>
    </Dialog>
  );
}
