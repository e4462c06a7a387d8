/**
 * The room's confirmed messages, in one total order by seq, never a duplicate; and the
 * paging of older history.
 *
 * - The first welcome is the starting point (the room's latest page). On reconnect we ask
 *   for `since` = the highest seq up to which we hold every message, and the room replays
 *   what followed it, plus `sync`: the current reactions and deletions of what we held.
 * - When the room answers `gap` (we were too far behind for a replay), or its log is
 *   behind ours (its storage was reset, e.g. a wiped dev server), we start over from its
 *   page instead of paging the whole hole: the list stays contiguous and older messages
 *   load on scroll-up like any history.
 * - A jump to a message not held (a search result) loads a window of history around it
 *   (`showWindow`). When the window does not reach the messages held after it, the list has a
 *   gap: only what is up to the gap is shown (`gapAfter`), pages after it load on scroll-down
 *   (`loadNewer`) until the gap closes, and `toLatest` drops the window to show the newest
 *   messages again. Live messages keep arriving meanwhile, held but not shown.
 */
import { batch, computed, signal, type ReadonlySignal } from "@preact/signals";
import { MAX_PAGE, type Message, type ServerFrameOf } from "../../../worker/protocol";
import { api } from "../../api";
import { applyDelete, applyEdit, applyReaction, applySync, contiguousFrom, gapAfterWindow, mergeBySeq, updateBySeq } from "./list";

/** Older messages are fetched this many at a time. */
export const PAGE = Math.min(50, MAX_PAGE);

export class Timeline {
  readonly #roomId: string;
  readonly #messages = signal<readonly Message[]>([]);
  readonly #hasMore = signal(false);
  readonly #loadingOlder = signal(false);
  readonly #olderError = signal<string | null>(null);
  readonly #ready = signal(false);
  /** Seq of the last message shown before a gap (a window opened by a jump); null: no gap. */
  readonly #gapAfter = signal<number | null>(null);
  readonly #loadingNewer = signal(false);
  /** Seq up to which we hold every message, as of the last welcome; null before the first. */
  #synced: number | null = null;
  /** The older page on its way, if any. */
  #loading: Promise<void> | null = null;

  /** Confirmed messages, oldest first: up to the gap, when there is one. */
  readonly messages: ReadonlySignal<readonly Message[]> = computed(() => {
    const all = this.#messages.value;
    const gap = this.#gapAfter.value;
    return gap === null ? all : all.filter((m) => m.seq <= gap);
  });
  /** Newer messages exist after the last one shown (a window opened by a jump). */
  readonly hasNewer: ReadonlySignal<boolean> = computed(() => this.#gapAfter.value !== null);
  readonly loadingNewer: ReadonlySignal<boolean> = this.#loadingNewer;
  /** Older messages exist before the first one held. */
  readonly hasMore: ReadonlySignal<boolean> = this.#hasMore;
  readonly loadingOlder: ReadonlySignal<boolean> = this.#loadingOlder;
  readonly olderError: ReadonlySignal<string | null> = this.#olderError;
  /** True once the first welcome has been applied (the list is meaningful). */
  readonly ready: ReadonlySignal<boolean> = this.#ready;

  constructor(roomId: string) {
    this.#roomId = roomId;
  }

  /** What to ask the room to replay after: null the first time (we want its latest page). */
  since(): number | null {
    if (this.#synced === null) return null;
    return (this.#synced = contiguousFrom(this.#synced, this.#messages.peek()));
  }

  /**
   * Messages kept on the device (offline.ts), shown until the first welcome replaces them with
   * the room's own page (`since` stays null: the welcome starts over, nothing is merged).
   */
  showKept(ms: readonly Message[]): void {
    batch(() => {
      this.#messages.value = mergeBySeq([], ms);
      this.#ready.value = true;
    });
  }

  welcome(w: ServerFrameOf<"welcome">): void {
    batch(() => {
      const held = this.#messages.peek();
      const newest = held[held.length - 1]?.seq ?? 0;
      if (this.#synced === null || w.gap || w.lastSeq < newest) {
        this.#messages.value = mergeBySeq([], w.messages);
        this.#gapAfter.value = null;
        const first = w.messages[0];
        this.#hasMore.value = first !== undefined && (w.gap || first.seq > 1);
      } else {
        const synced = w.sync ? applySync(held, w.sync) : held;
        this.#messages.value = mergeBySeq(synced, w.messages);
      }
      this.#synced = w.lastSeq;
      this.#ready.value = true;
    });
  }

  /** New messages (a `msgs` frame, our own acked one). */
  add(ms: readonly Message[]): void {
    this.#messages.value = mergeBySeq(this.#messages.peek(), ms);
  }

  react(f: ServerFrameOf<"reaction">): void {
    this.#update(f.seq, (m) => (m.deleted ? m : { ...m, reactions: applyReaction(m.reactions, f.emoji, f.user, f.on) }));
  }

  /** Message `seq` was deleted: a tombstone from now on (and replies to it say so). */
  deleted(seq: number): void {
    this.#messages.value = applyDelete(this.#messages.peek(), seq);
  }

  /** Message `seq` was edited: its new text (and replies to it quote it). */
  edited(f: ServerFrameOf<"edited">): void {
    this.#messages.value = applyEdit(this.#messages.peek(), f);
  }

  /** Loads the page before the oldest message we hold (the one already on its way, if any). */
  loadOlder(): Promise<void> {
    return (this.#loading ??= this.#loadOlder().finally(() => (this.#loading = null)));
  }

  async #loadOlder(): Promise<void> {
    const first = this.#messages.peek()[0];
    if (!this.#hasMore.peek() || !first) return;
    batch(() => {
      this.#loadingOlder.value = true;
      this.#olderError.value = null;
    });
    const r = await api.history(this.#roomId, first.seq, PAGE);
    batch(() => {
      this.#loadingOlder.value = false;
      if (!r.ok) {
        this.#olderError.value = r.status === 0 ? "Couldn't load older messages (offline)." : `Couldn't load older messages: ${r.message}`;
        return;
      }
      this.#messages.value = mergeBySeq(this.#messages.peek(), r.data.messages);
      this.#hasMore.value = r.data.hasMore && r.data.messages.length > 0;
    });
  }

  /** Whether message `seq` is held (shown or beyond the gap). */
  holds(seq: number): boolean {
    return this.#messages.peek().some((m) => m.seq === seq);
  }

  /** Whether message `seq` is held beyond the gap (not shown until toLatest). */
  hidden(seq: number): boolean {
    const gap = this.#gapAfter.peek();
    return gap !== null && seq > gap;
  }

  /** A page of history around a message we jump to (GET …/messages?around=): see the top. */
  showWindow(page: readonly Message[], hasMore: boolean): void {
    if (page.length === 0) return;
    batch(() => {
      // A window opened before goes: what is held stays one run, with at most one gap.
      const gap = this.#gapAfter.peek();
      const held = gap === null ? this.#messages.peek() : this.#messages.peek().filter((m) => m.seq > gap);
      const oldest = held[0]?.seq;
      const merged = mergeBySeq(held, page);
      this.#messages.value = merged;
      // Older pages now load before the window, when it starts before what we held.
      if (oldest === undefined || page[0]!.seq < oldest) this.#hasMore.value = hasMore;
      this.#gapAfter.value = gapAfterWindow(merged, page.at(-1)!.seq);
    });
  }

  /** Loads the page after the gap; the gap closes when it reaches what is held after it. */
  async loadNewer(): Promise<void> {
    const gap = this.#gapAfter.peek();
    if (gap === null || this.#loadingNewer.peek()) return;
    this.#loadingNewer.value = true;
    const r = await api.historyAfter(this.#roomId, gap, PAGE);
    batch(() => {
      this.#loadingNewer.value = false;
      if (!r.ok) {
        this.#olderError.value = r.status === 0 ? "Couldn't load newer messages (offline)." : `Couldn't load newer messages: ${r.message}`;
        return;
      }
      if (this.#gapAfter.peek() !== gap) return; // dropped meanwhile (toLatest, a reset)
      const page = r.data.messages;
      const merged = mergeBySeq(this.#messages.peek(), page);
      this.#messages.value = merged;
      // An empty page: D1 has nothing newer yet; the rest is what the room sent us.
      this.#gapAfter.value = page.length === 0 ? null : gapAfterWindow(merged, page.at(-1)!.seq);
    });
  }

  /** Drops a jump's window: the newest messages show again (older ones load on scroll-up). */
  toLatest(): void {
    const gap = this.#gapAfter.peek();
    if (gap === null) return;
    batch(() => {
      this.#messages.value = this.#messages.peek().filter((m) => m.seq > gap);
      this.#gapAfter.value = null;
      this.#hasMore.value = (this.#messages.peek()[0]?.seq ?? 1) > 1;
    });
  }

  #update(seq: number, fn: (m: Message) => Message) {
    this.#messages.value = updateBySeq(this.#messages.peek(), seq, fn);
  }
}
