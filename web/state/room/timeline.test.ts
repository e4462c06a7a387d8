/**
 * The timeline on its own: the first welcome, replays with sync, gaps, a room whose log
 * went backwards, live reactions and deletions, `since`, and paging older history.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json, stubBrowser } from "../fakes";
import { bob, m, me, room, welcome } from "./fixtures";
import { PAGE, Timeline } from "./timeline";

let t: Timeline;
const seqs = () => t.messages.value.map((x) => x.seq);

beforeEach(() => {
  stubBrowser();
  vi.stubGlobal("fetch", vi.fn());
  t = new Timeline(room.id);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("timeline", () => {
  it("starts from the first welcome's page; says whether older messages exist", () => {
    expect(t.since()).toBeNull();
    expect(t.ready.value).toBe(false);
    t.welcome(welcome([m(5), m(6)], 6));
    expect(seqs()).toEqual([5, 6]);
    expect(t.ready.value).toBe(true);
    expect(t.hasMore.value).toBe(true);
    t = new Timeline(room.id);
    t.welcome(welcome([m(1)], 1));
    expect(t.hasMore.value).toBe(false);
  });

  it("asks for since = the highest contiguous seq it holds", () => {
    t.welcome(welcome([m(1), m(2)], 2));
    t.add([m(3)]);
    t.add([m(5)]); // 4 never arrived
    expect(t.since()).toBe(3);
  });

  it("merges a replay after since into what it holds", () => {
    t.welcome(welcome([m(1), m(2)], 2));
    t.welcome(welcome([m(3), m(4)], 4));
    expect(seqs()).toEqual([1, 2, 3, 4]);
    expect(t.since()).toBe(4);
  });

  it("starts over from the welcome page when the room reports a gap", () => {
    t.welcome(welcome([m(1), m(2)], 2));
    t.welcome(welcome([m(300), m(301)], 301, true));
    expect(seqs()).toEqual([300, 301]);
    expect(t.hasMore.value).toBe(true);
  });

  it("starts over when the room's log is behind what we hold (its storage was reset)", () => {
    t.welcome(welcome([m(1), m(2), m(3)], 3));
    t.welcome(welcome([m(1)], 1));
    t.add([{ ...m(2), cid: "new", text: "fresh" }]);
    expect(t.messages.value.map((x) => x.text)).toEqual(["m1", "fresh"]);
  });

  it("applies reaction frames in order, and a deleted frame makes a tombstone", () => {
    const file = { id: "att-1", name: "a.png", type: "image/png", size: 10, thumb: false };
    t.welcome(welcome([{ ...m(1), attachments: [file], reactions: [{ emoji: "👍", users: [bob.id] }] }], 1));
    t.react({ type: "reaction", seq: 1, emoji: "👍", user: me.id, on: true });
    t.react({ type: "reaction", seq: 1, emoji: "🎉", user: bob.id, on: true });
    t.react({ type: "reaction", seq: 1, emoji: "👍", user: bob.id, on: false });
    t.react({ type: "reaction", seq: 1, emoji: "👍", user: me.id, on: true }); // a repeat is a no-op
    expect(t.messages.value[0]!.reactions).toEqual([
      { emoji: "👍", users: [me.id] },
      { emoji: "🎉", users: [bob.id] },
    ]);
    t.deleted(1);
    const gone = t.messages.value[0]!;
    expect(gone).toMatchObject({ seq: 1, text: "", deleted: true });
    expect(gone.attachments).toBeUndefined();
    expect(gone.reactions).toBeUndefined();
    t.react({ type: "reaction", seq: 1, emoji: "👍", user: me.id, on: true }); // none on a tombstone
    expect(t.messages.value[0]!.reactions).toBeUndefined();
  });

  it("welcome.sync on a reconnect replaces reactions of held messages and tombstones deletions", () => {
    t.welcome(welcome([{ ...m(1), reactions: [{ emoji: "👍", users: [bob.id] }] }, m(2), m(3)], 3));
    t.welcome(welcome([m(4)], 4, false, { sync: { from: 1, to: 3, reactions: [{ seq: 2, reactions: [{ emoji: "🎉", users: [me.id] }] }], deleted: [3] } }));
    const [a, b, c, d] = t.messages.value;
    expect(a!.reactions).toBeUndefined();
    expect(b!.reactions).toEqual([{ emoji: "🎉", users: [me.id] }]);
    expect(c).toMatchObject({ deleted: true, text: "" });
    expect(d!.seq).toBe(4);
  });

  it("loads the page before the oldest message, once at a time, and says when there is no more", async () => {
    t.welcome(welcome([m(51), m(52)], 52));
    vi.mocked(fetch).mockResolvedValueOnce(json({ messages: [m(49), m(50)], hasMore: false }));
    const loading = t.loadOlder();
    void t.loadOlder(); // already loading: no second request
    expect(t.loadingOlder.value).toBe(true);
    await loading;
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(String(vi.mocked(fetch).mock.calls[0]![0])).toBe(`/api/rooms/${room.id}/messages?before=51&limit=${PAGE}`);
    expect(seqs()).toEqual([49, 50, 51, 52]);
    expect(t.hasMore.value).toBe(false);
    await t.loadOlder(); // nothing more to ask for
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("says why older messages did not load, and tries again when asked", async () => {
    t.welcome(welcome([m(51)], 51));
    vi.mocked(fetch).mockRejectedValueOnce(new TypeError("Failed to fetch"));
    await t.loadOlder();
    expect(t.olderError.value).toBe("Couldn't load older messages (offline).");
    vi.mocked(fetch).mockResolvedValueOnce(json({ messages: [m(50)], hasMore: true }));
    await t.loadOlder();
    expect(t.olderError.value).toBeNull();
    expect(seqs()).toEqual([50, 51]);
    expect(t.hasMore.value).toBe(true);
  });

  describe("a window opened by a jump (search result)", () => {
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => m(a + i));

    it("shows the window up to its gap, keeps live messages held but hidden, pages after it until the gap closes", async () => {
      t.welcome(welcome(range(901, 1000), 1000));
      expect(t.holds(500)).toBe(false);
      t.showWindow(range(475, 525), true);
      expect(seqs()).toEqual(range(475, 525).map((x) => x.seq));
      expect(t.hasNewer.value).toBe(true);
      expect(t.hasMore.value).toBe(true);
      // Live messages while away from the end: held, not shown; `since` unchanged by the window.
      t.add([m(1001)]);
      expect(t.hidden(1001)).toBe(true);
      expect(seqs().at(-1)).toBe(525);
      expect(t.since()).toBe(1001);

      vi.mocked(fetch).mockResolvedValueOnce(json({ messages: range(526, 575), hasMore: true }));
      await t.loadNewer();
      expect(String(vi.mocked(fetch).mock.calls[0]![0])).toBe(`/api/rooms/${room.id}/messages?after=525&limit=${PAGE}`);
      expect(seqs().at(-1)).toBe(575);
      expect(t.hasNewer.value).toBe(true);
      // The page that reaches what is held closes the gap: everything shows, in one order.
      vi.mocked(fetch).mockResolvedValueOnce(json({ messages: range(576, 900), hasMore: true }));
      await t.loadNewer();
      expect(t.hasNewer.value).toBe(false);
      expect(seqs()).toEqual(range(475, 1001).map((x) => x.seq));
    });

    it("a window that runs into what is held has no gap", () => {
      t.welcome(welcome(range(51, 100), 100));
      t.showWindow(range(30, 60), true);
      expect(t.hasNewer.value).toBe(false);
      expect(seqs()).toEqual(range(30, 100).map((x) => x.seq));
    });

    it("toLatest drops the window: the newest show again, older ones page as before", () => {
      t.welcome(welcome(range(901, 1000), 1000));
      t.showWindow(range(475, 525), true);
      t.toLatest();
      expect(t.hasNewer.value).toBe(false);
      expect(seqs()).toEqual(range(901, 1000).map((x) => x.seq));
      expect(t.hasMore.value).toBe(true);
    });

    it("a second jump replaces the first window: one run, at most one gap", () => {
      t.welcome(welcome(range(901, 1000), 1000));
      t.showWindow(range(100, 150), true);
      t.showWindow(range(475, 525), true);
      expect(seqs()).toEqual(range(475, 525).map((x) => x.seq));
      t.toLatest();
      expect(seqs()).toEqual(range(901, 1000).map((x) => x.seq));
    });

    it("an empty page after the gap (D1 has nothing newer yet) closes it", async () => {
      t.welcome(welcome(range(901, 1000), 1000));
      t.showWindow(range(475, 525), true);
      vi.mocked(fetch).mockResolvedValueOnce(json({ messages: [], hasMore: true }));
      await t.loadNewer();
      expect(t.hasNewer.value).toBe(false);
    });

    it("a reset by the room (gap in the welcome) drops the window", () => {
      t.welcome(welcome(range(901, 1000), 1000));
      t.showWindow(range(475, 525), true);
      t.welcome(welcome(range(1500, 1550), 1550, true));
      expect(t.hasNewer.value).toBe(false);
      expect(seqs()).toEqual(range(1500, 1550).map((x) => x.seq));
    });
  });
});

