/**
 * The page's calls (calls.ts: rings, the one-call lock, the held call) and each open room's
 * call (room-call.ts) live in a small chunk of their own with the call buttons and the ring
 * banner (web/ui/calls/basics.tsx), fetched when the shell first renders: showing a room and
 * sending in it need none of it. This, in the first chunk, is what stands in meanwhile, one
 * per signed-in shell:
 * - rings from the hub that come before that chunk are kept, in order, and handed to the rings
 *   once it is here (a reconnect of the hub drops them, as it resets the rings);
 * - a room opened before it gets its call as soon as it is here (`forRoom`); the room store
 *   keeps the room's `call` state from its frames meanwhile, so nothing is missed;
 * - a call button pressed before it is here fetches it and goes on (`forRoom(…).start`).
 * The room's GET runs in parallel with the fetch, so in practice the room draws with its call.
 */
import { effect, signal, untracked, type ReadonlySignal } from "@preact/signals";
import type { CallMedia } from "../../../worker/protocol";
import { loadFailed, type Lazy } from "../lazy";
import type { RoomStore } from "../room";
import type { Calls } from "./calls";
import type { Held } from "./holder";
import type { RingFrame } from "./rings";
import type { RoomCall } from "./room-call";

/** What the call stand-ins' chunk provides for this. */
export type CallBasics = {
  createCalls(): Calls;
  createRoomCall(store: RoomStore, calls: Calls): RoomCall;
};

/** What a failed fetch of call code says (here, and room-call.ts for the call code), for a while. */
export const CALLS_FAILED = "Couldn't load calls. Check your connection and try again.";
const FAILED_SHOWN_MS = 6000;

/** CALLS_FAILED in `text` for FAILED_SHOWN_MS from each `show()`; `stop()` drops the timer. */
export function failedNotice() {
  const text = signal<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  return {
    text: text as ReadonlySignal<string | null>,
    show() {
      clearTimeout(timer);
      text.value = CALLS_FAILED;
      timer = setTimeout(() => (text.value = null), FAILED_SHOWN_MS);
    },
    stop: () => clearTimeout(timer),
  };
}

export type PageCalls = ReturnType<typeof pageCalls>;
export type RoomCallSlot = ReturnType<PageCalls["forRoom"]>;

export function pageCalls(code: Lazy<CallBasics>) {
  const calls = signal<Calls | null>(null);
  /** Rings from the hub before the chunk came. */
  let early: RingFrame[] = [];
  let disposed = false;

  // The chunk is here (whoever fetched it): the page's calls, with the rings that came before.
  const stop = effect(() => {
    const m = code.module.value;
    if (!m || disposed || calls.peek()) return;
    untracked(() => {
      const c = m.createCalls();
      for (const f of early) c.rings.receive(f);
      early = [];
      calls.value = c;
    });
  });
  /** Fetches the chunk (once; again after a failure). */
  const load = (): Promise<Calls | null> => code.load().then(() => calls.peek());
  load().catch(loadFailed);

  return {
    /** The page's calls, once their chunk is here. */
    calls: calls as ReadonlySignal<Calls | null>,

    /** A ring frame from the hub. */
    receive(f: RingFrame) {
      const c = calls.peek();
      if (c) return c.rings.receive(f);
      early.push(f);
      // The first fetch failed (offline a moment?): a ring is worth another try.
      load().catch(loadFailed);
    },
    /** The hub channel came back (rings.ts: what it missed is not known). */
    reset() {
      early = [];
      calls.peek()?.rings.reset();
    },

    /** The stores of room `roomId` kept alive while its call ran off screen, if any. */
    take(roomId: string): Held | null {
      return calls.peek()?.holder.take(roomId) ?? null;
    },
    /** The room goes off screen: keeps its stores if we are in its call (true), else false. */
    keep(store: RoomStore, call: RoomCall | null): boolean {
      const c = calls.peek();
      return !!c && !!call && c.holder.keep(store, call);
    },

    /**
     * Room `store`'s call: `held` (the room's stores came back from the holder), at once if the
     * chunk is here, else as soon as it is. `start` is a call button pressed before: it waits
     * for the chunk (`starting` meanwhile), then starts (the room's call then waits for the
     * call code itself, "preparing"); a fetch that fails says so (`failed`) for a while, as
     * the room's call does for the call code. `dispose` stops waiting; the room's call, once
     * made, is its owner's to dispose.
     */
    forRoom(store: RoomStore, held: RoomCall | null = null) {
      const call = signal<RoomCall | null>(held);
      const starting = signal(false);
      const failed = failedNotice();
      const stop = effect(() => {
        const c = calls.value;
        const m = code.module.value;
        if (c && m && !call.peek()) call.value = untracked(() => m.createRoomCall(store, c));
      });
      return {
        call: call as ReadonlySignal<RoomCall | null>,
        starting: starting as ReadonlySignal<boolean>,
        failed: failed.text,
        async start(media: CallMedia): Promise<void> {
          if (call.peek()) return call.peek()?.start(media);
          starting.value = true;
          try {
            await load();
          } catch (e) {
            loadFailed(e);
            failed.show();
            return;
          } finally {
            starting.value = false;
          }
          await call.peek()?.start(media);
        },
        dispose() {
          stop();
          failed.stop();
        },
      };
    },

    dispose() {
      disposed = true;
      early = [];
      stop();
      calls.peek()?.dispose();
    },
  };
}
