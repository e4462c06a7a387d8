/** The switcher's logic: conversations by name, rows and the keyboard, messages paged from /api/search. */
import { signal } from "@preact/signals";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RoomSummary, SearchHit } from "../../worker/protocol";
import { json, roomSummary } from "./fakes";
import { SEARCH_DEBOUNCE_MS, createSwitcherStore, fold, matchConversations, moveActive, searchable } from "./search";

const conv = (id: string, name: string, kind: "group" | "dm" = "group"): RoomSummary => roomSummary(id, 0, { name, kind });
const hit = (seq: number): SearchHit => ({ roomId: "r1", roomName: "Team", roomKind: "group", seq, uid: "u", name: "Ann", ts: 1, snippet: [{ text: "x", hit: true }] });

const rooms = [conv("a", "Design reviews"), conv("b", "Zoë Kravitz", "dm"), conv("c", "Team design"), conv("d", "Random")];

describe("finding conversations by name", () => {
  it("folds case, diacritics and spaces", () => {
    expect(fold("  Zoë   KRÁVITZ ")).toBe("zoe kravitz");
  });

  it("keeps names holding every word, those starting with the query first, else in the sidebar's order", () => {
    expect(matchConversations(rooms, "design").map((r) => r.id)).toEqual(["a", "c"]);
    expect(matchConversations(rooms, "team des").map((r) => r.id)).toEqual(["c"]);
    expect(matchConversations(rooms, "DESIGN team").map((r) => r.id)).toEqual(["c"]);
    // People are their DMs.
    expect(matchConversations(rooms, "zoe").map((r) => r.id)).toEqual(["b"]);
    expect(matchConversations(rooms, "   ")).toEqual([]);
    expect(matchConversations(rooms, "e", 2)).toHaveLength(2);
  });

  it("moves the active row with the arrows, wrapping at both ends", () => {
    expect(moveActive(0, 1, 3)).toBe(1);
    expect(moveActive(2, 1, 3)).toBe(0);
    expect(moveActive(0, -1, 3)).toBe(2);
    expect(moveActive(-1, -1, 3)).toBe(2);
    expect(moveActive(1, 1, 0)).toBe(-1);
  });

  it("asks the server only when there is a letter or digit", () => {
    expect(searchable("a")).toBe(true);
    expect(searchable("7")).toBe(true);
    expect(searchable("ж")).toBe(true);
    expect(searchable(' "*( ')).toBe(false);
  });
});

describe("the switcher's store", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal("fetch", vi.fn());
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("filters conversations at once, asks for messages after a pause, pages with the cursor; rows are conversations then messages", async () => {
    const s = createSwitcherStore(signal(rooms));
    vi.mocked(fetch).mockResolvedValueOnce(json({ results: [hit(9), hit(8)], next: "42" }));
    s.setQuery("design");
    s.setQuery("design r");
    expect(s.conversations.value.map((r) => r.id)).toEqual(["a"]);
    expect(fetch).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(String(vi.mocked(fetch).mock.calls[0]![0])).toBe("/api/search?q=design+r");
    expect(s.items.value.map((i) => (i.kind === "room" ? i.room.id : i.hit.seq))).toEqual(["a", 9, 8]);
    expect(s.hasMore.value).toBe(true);

    vi.mocked(fetch).mockResolvedValueOnce(json({ results: [hit(7)], next: null }));
    s.more();
    await vi.advanceTimersByTimeAsync(0);
    expect(String(vi.mocked(fetch).mock.calls[1]![0])).toBe("/api/search?q=design+r&before=42");
    expect(s.hits.value.map((h) => h.seq)).toEqual([9, 8, 7]);
    expect(s.hasMore.value).toBe(false);

    s.move(-1);
    expect(s.active.value).toBe(3);
    s.move(1);
    expect(s.active.value).toBe(0);
  });

  it("clears messages for a query with nothing searchable, and says when the server fails", async () => {
    const s = createSwitcherStore(signal(rooms));
    s.setQuery('"*');
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS * 2);
    expect(fetch).not.toHaveBeenCalled();
    expect(s.items.value).toEqual([]);
    vi.mocked(fetch).mockRejectedValueOnce(new TypeError("Failed to fetch"));
    s.setQuery("hello");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    expect(s.error.value).toBe("Can't search while offline.");
  });
});
