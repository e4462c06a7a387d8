/**
 * Keeps a room's stores alive while we are in its call and the room is off screen (the
 * person opened another conversation): the call goes on, with a bar to return or hang up.
 * One per signed-in shell (calls.ts); disposes what it holds once that call is over.
 */
import { effect, signal, type ReadonlySignal } from "@preact/signals";
import type { RoomStore } from "../room";
import type { RoomCall } from "./room-call";

export type Held = { room: RoomStore; call: RoomCall };

export class CallHolder {
  readonly #held = signal<Held | null>(null);
  /** Stops watching the held call (which lets go of it once the call is over). */
  #unwatch: (() => void) | null = null;

  get held(): ReadonlySignal<Held | null> {
    return this.#held;
  }

  /** The room goes off screen: keeps its stores if we are in its call (true), else false. */
  keep(room: RoomStore, call: RoomCall): boolean {
    const phase = call.phase.peek();
    if (phase === "idle" || phase === "preparing") return false;
    this.#drop(true);
    this.#held.value = { room, call };
    this.#unwatch = effect(() => {
      if (call.phase.value === "idle") queueMicrotask(() => this.#held.peek()?.call === call && this.#drop(true));
    });
    return true;
  }

  /** The room comes back on screen: its held stores, if any (no longer held). */
  take(roomId: string): Held | null {
    const h = this.#held.peek();
    if (!h || h.room.id !== roomId) return null;
    this.#drop(false);
    return h;
  }

  dispose(): void {
    this.#drop(true);
  }

  #drop(dispose: boolean): void {
    this.#unwatch?.();
    this.#unwatch = null;
    const h = this.#held.peek();
    this.#held.value = null;
    if (h && dispose) {
      h.call.dispose();
      h.room.dispose();
    }
  }
}
