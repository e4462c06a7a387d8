/**
 * A room's call as its page sees it, whether or not the call code has loaded. The call model
 * (model.ts) and everything under it (the session reducer, peers, media) come in a chunk of
 * their own (web/ui/calls/calls.tsx), so a room without a call never fetches WebRTC code.
 *
 * When it loads: as soon as the room has a call (ringing us, running, or ours in another
 * tab), when the call accepted on the shell's banner is this room's, or when the person
 * presses a call button. Until then this shows the room's call with an idle session, through
 * the same pure functions the model uses (derive.ts): a ring shows, and rings, the moment its
 * `call` frame arrives. An action (start, accept, join) waits for the code, then goes to the
 * model; Decline needs no code. Once the code is there, loaded for this room or another, every
 * open room's call gets its model at once, so the one-call lock and the busy answer work as
 * before. A model made late starts idle, which is what it would be: while idle, the session
 * ignores the room's frames (the room store keeps the call state the model reads).
 */
import { computed, effect, signal, untracked, type ReadonlySignal } from "@preact/signals";
import type { CallMedia } from "../../../worker/protocol";
import { loadFailed, prefetch, type Lazy } from "../lazy";
import type { Calls } from "./calls";
import { IDLE_SESSION, inCallElsewhere, joinableCall, ringingUs } from "./derive";
import type { CallModel } from "./model";
import { failedNotice } from "./page";
import { newReq, type CallRoom } from "./ports";
import type { Phase } from "./session";

/** What the call chunk provides for this. */
export type CallCode = { createCallModel: (room: CallRoom, calls: Calls) => CallModel };

export { CALLS_FAILED as CALL_CODE_FAILED } from "./page";

export type RoomCall = ReturnType<typeof createRoomCall>;

export function createRoomCall(room: CallRoom, calls: Calls, code: Lazy<CallCode>) {
  const model = signal<CallModel | null>(null);
  /** An action is waiting for the call code. */
  const waiting = signal(false);
  const failed = failedNotice();
  let disposed = false;
  const me = () => room.me.value.id;

  const stops = [
    // The code is here (loaded now, or for another room before): the model takes over.
    effect(() => {
      const m = code.module.value;
      if (m && !disposed && !model.peek()) model.value = untracked(() => m.createCallModel(room, calls));
    }),
    // Something to show or answer: fetch the code now rather than when a button is pressed.
    effect(() => {
      if (room.call.value || calls.rings.answering.value?.roomId === room.roomId) prefetch(code);
    }),
  ];

  /** Runs `action` on the model, first waiting for the code if it is not here yet. */
  async function withModel(action: (m: CallModel) => Promise<void>): Promise<void> {
    const now = model.peek();
    // Here already: at once (still inside the click, for what needs a user gesture).
    if (now) return action(now);
    waiting.value = true;
    try {
      await code.load();
    } catch (e) {
      loadFailed(e);
      if (!disposed) failed.show();
      return;
    } finally {
      waiting.value = false;
    }
    const m = model.peek();
    if (m && !disposed) await action(m);
  }

  return {
    room,
    /** The call model, once the call code has loaded (what the call view draws). */
    model: model as ReadonlySignal<CallModel | null>,
    /** As the model's; "preparing" while a pressed button waits for the code. */
    phase: computed<Phase>(() => model.value?.phase.value ?? (waiting.value ? "preparing" : "idle")),
    /** The call ringing us (the banner), if any. */
    incoming: computed(() => {
      const m = model.value;
      return m ? m.incoming.value : ringingUs(room.call.value, me(), IDLE_SESSION, calls.rings.dismissed.value);
    }),
    /** A running call we are not in (the header's "Join call"). */
    joinable: computed(() => {
      const m = model.value;
      return m ? m.joinable.value : joinableCall(room.call.value, me(), IDLE_SESSION);
    }),
    /** We are in this room's call from another tab. */
    elsewhere: computed(() => {
      const m = model.value;
      return m ? m.elsewhere.value : inCallElsewhere(room.call.value, me(), IDLE_SESSION);
    }),
    /** We are in a call in another room (on this page). */
    busy: computed(() => {
      const m = model.value;
      return m ? m.busy.value : calls.lock.holders.value.size > 0;
    }),
    /** A notice for a moment ("Call is full", or the code could not load). */
    notice: computed(() => model.value?.notice.value ?? failed.text.value),

    start: (media: CallMedia) => withModel((m) => m.start(media)),
    accept: (callId: string) => withModel((m) => m.accept(callId)),
    join: (callId: string) => withModel((m) => m.join(callId)),
    decline(callId: string) {
      const m = model.peek();
      if (m) return m.decline(callId);
      // The model's decline, without waiting for its code.
      room.send({ type: "call.decline", callId, req: newReq() });
      calls.rings.dismiss(callId);
    },

    dispose() {
      disposed = true;
      for (const stop of stops) stop();
      failed.stop();
      model.peek()?.dispose();
    },
  };
}
