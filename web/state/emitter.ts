/**
 * A typed event for coordination between stores: `on(fn)` subscribes and returns the
 * unsubscribe, `emit(...)` calls every listener in subscription order. Stores announce
 * what happened (the room list changed, a new session) instead of bumping a counter
 * signal that others have to diff against the value they saw last.
 */
export class Emitter<A extends unknown[] = []> {
  readonly #listeners = new Set<(...args: A) => void>();

  /** Subscribes `fn`; the returned function unsubscribes it. */
  readonly on = (fn: (...args: A) => void): (() => void) => {
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  };

  emit(...args: A): void {
    // A copy: a listener may unsubscribe (itself or another) while we go through them.
    for (const fn of [...this.#listeners]) fn(...args);
  }

  clear(): void {
    this.#listeners.clear();
  }
}
