/**
 * The switcher (Ctrl/⌘+K): conversations by name, filtered here from the sidebar's list
 * (DMs are named after the other person, so people are found the same way), and messages
 * by words from GET /api/search, newest first, a page at a time. Loaded with the switcher's
 * chunk, never on the critical path. The pure parts (name matching, the rows and the
 * keyboard's position) are unit-tested in search.test.ts.
 */
import { batch, computed, signal, type ReadonlySignal } from "@preact/signals";
import { SearchResponse, type RoomSummary, type SearchHit } from "../../worker/protocol";
import { call } from "../api";

/** Messages of every room of the user matching `q`, newest first; `before`: the previous page's `next`. */
const searchMessages = (q: string, before: string | null, signal?: AbortSignal) =>
  call("GET", `/api/search?${new URLSearchParams(before ? { q, before } : { q })}`, SearchResponse, undefined, signal);

/** Conversations listed at most. */
export const MAX_CONVERSATIONS = 8;
/** Typing pauses this long (ms) before the server is asked. */
export const SEARCH_DEBOUNCE_MS = 200;

/** Lowercase, without diacritics and with runs of spaces as one: "Zoë  K" → "zoe k". */
export function fold(s: string): string {
  return s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
}

/**
 * The conversations whose name holds every word of `q` (folded), those whose name starts with
 * the query first, otherwise in the sidebar's order (most recent activity). Empty for an empty query.
 */
export function matchConversations(rooms: readonly RoomSummary[], q: string, max = MAX_CONVERSATIONS): RoomSummary[] {
  const words = fold(q).split(" ").filter(Boolean);
  if (words.length === 0) return [];
  const whole = words.join(" ");
  const hits = rooms.filter((r) => {
    const name = fold(r.name);
    return words.every((w) => name.includes(w));
  });
  const starts = hits.filter((r) => fold(r.name).startsWith(whole));
  return [...starts, ...hits.filter((r) => !starts.includes(r))].slice(0, max);
}

/** One row of the switcher: a conversation, or a message found. */
export type SwitcherItem = { kind: "room"; room: RoomSummary } | { kind: "message"; hit: SearchHit };

export const itemKey = (i: SwitcherItem) => (i.kind === "room" ? `r:${i.room.id}` : `m:${i.hit.roomId}:${i.hit.seq}`);

/** The active row after an arrow key: down from the last goes to the first and back. -1: none. */
export function moveActive(active: number, delta: 1 | -1, count: number): number {
  if (count === 0) return -1;
  if (active < 0) return delta === 1 ? 0 : count - 1;
  return (active + delta + count) % count;
}

/** Whether the person typed something the server can search (a letter or a digit). */
export const searchable = (q: string) => /[\p{L}\p{N}]/u.test(q);

export type SwitcherStore = ReturnType<typeof createSwitcherStore>;

/** The switcher's state while it is open: `rooms` is the sidebar's list. */
export function createSwitcherStore(rooms: ReadonlySignal<readonly RoomSummary[]>) {
  const query = signal("");
  const hits = signal<readonly SearchHit[]>([]);
  /** Cursor of the next page (null: no more). */
  const next = signal<string | null>(null);
  const loading = signal(false);
  const error = signal<string | null>(null);
  /** The query the shown hits answer (what "No messages found" is about). */
  const answered = signal<string | null>(null);
  const active = signal(0);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | null = null;

  const conversations = computed(() => matchConversations(rooms.value, query.value));
  const items = computed<SwitcherItem[]>(() => [
    ...conversations.value.map((room) => ({ kind: "room" as const, room })),
    ...hits.value.map((hit) => ({ kind: "message" as const, hit })),
  ]);

  async function fetchPage(q: string, before: string | null) {
    inflight?.abort();
    const ctl = (inflight = new AbortController());
    batch(() => {
      loading.value = true;
      error.value = null;
    });
    const r = await searchMessages(q, before, ctl.signal);
    if (ctl.signal.aborted) return;
    inflight = null;
    batch(() => {
      loading.value = false;
      if (!r.ok) {
        error.value = r.status === 0 ? "Can't search while offline." : `Couldn't search: ${r.message}`;
        return;
      }
      hits.value = before ? [...hits.value, ...r.data.results] : r.data.results;
      next.value = r.data.next;
      answered.value = q;
    });
  }

  return {
    query: query as ReadonlySignal<string>,
    conversations,
    hits: hits as ReadonlySignal<readonly SearchHit[]>,
    items,
    hasMore: computed(() => next.value !== null),
    loading: loading as ReadonlySignal<boolean>,
    error: error as ReadonlySignal<string | null>,
    answered: answered as ReadonlySignal<string | null>,
    /** Index of the highlighted row in `items` (-1: none). */
    active: active as ReadonlySignal<number>,

    /** The input changed: conversations filter at once, messages after a pause. */
    setQuery(q: string) {
      clearTimeout(timer);
      inflight?.abort();
      inflight = null;
      batch(() => {
        query.value = q;
        active.value = 0;
        loading.value = false;
        if (!searchable(q)) {
          hits.value = [];
          next.value = null;
          answered.value = null;
        }
      });
      if (searchable(q)) timer = setTimeout(() => void fetchPage(q, null), SEARCH_DEBOUNCE_MS);
    },
    /** The next page of messages. */
    more() {
      const cursor = next.peek();
      if (cursor && !loading.peek()) void fetchPage(query.peek(), cursor);
    },
    move(delta: 1 | -1) {
      active.value = moveActive(active.peek(), delta, items.peek().length);
    },
    setActive(i: number) {
      active.value = i;
    },
    dispose() {
      clearTimeout(timer);
      inflight?.abort();
    },
  };
}
