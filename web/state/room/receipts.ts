/**
 * Read receipts of the open room: each member's read and delivered positions, from the
 * welcome and then `receipts` frames (coalesced by the room: worker/room/receipts.ts).
 * An entry replaces that member's, except that positions never go back here either (frames
 * may cross a reconnect's welcome); an entry without `read` means their read is not shown
 * (they, or we, turned "Send read receipts" off).
 */
import { signal, type ReadonlySignal } from "@preact/signals";
import type { Receipt } from "../../../worker/protocol";

export type Positions = ReadonlyMap<string, Receipt>;

/** `was` updated by `next`: forward only; `read` goes when `next` has none (privacy). */
export function merged(was: Receipt | undefined, next: Receipt): Receipt {
  const delivered = Math.max(was?.delivered ?? 0, next.delivered);
  if (next.read === undefined) return { id: next.id, delivered };
  const read = Math.max(was?.read ?? 0, next.read);
  return { id: next.id, delivered: Math.max(delivered, read), read };
}

export class Receipts {
  readonly #positions = signal<Positions>(new Map());
  readonly positions: ReadonlySignal<Positions> = this.#positions;

  /** The welcome's positions: the whole picture (a member not listed has none yet). */
  welcome(list: readonly Receipt[] | undefined): void {
    const was = this.#positions.peek();
    const next = new Map<string, Receipt>();
    for (const r of list ?? []) next.set(r.id, merged(r.read === undefined ? undefined : was.get(r.id), r));
    this.#positions.value = next;
  }

  /** A `receipts` frame: the members it names changed. */
  change(list: readonly Receipt[]): void {
    const next = new Map(this.#positions.peek());
    for (const r of list) next.set(r.id, merged(next.get(r.id), r));
    this.#positions.value = next;
  }
}
