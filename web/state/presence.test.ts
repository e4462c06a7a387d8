/**
 * Presence on the client: how "last seen" reads, when a tab counts as away (hidden or idle),
 * a member's status in an open room, and a DM's header (the other person, never our own
 * connection).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AWAY_IDLE_MS, type Presence } from "../../worker/protocol";
import { stubBrowser } from "./fakes";
import { dmHeader, lastSeenText, memberCounts, memberStatus, presenceText, tabAway, watchAway } from "./presence";

const MIN = 60_000;
const now = Date.UTC(2026, 5, 15, 12, 0);

describe("last seen", () => {
  it("reads in minutes, hours, days, then a date", () => {
    expect(lastSeenText(now - 20_000, now)).toBe("last seen just now");
    expect(lastSeenText(now - 10 * MIN, now)).toBe("last seen 10 min ago");
    expect(lastSeenText(now - 59 * MIN, now)).toBe("last seen 59 min ago");
    expect(lastSeenText(now - 3 * 60 * MIN - 5 * MIN, now)).toBe("last seen 3 h ago");
    expect(lastSeenText(now - 30 * 60 * MIN, now)).toBe("last seen yesterday");
    expect(lastSeenText(now - 4 * 24 * 60 * MIN, now)).toBe("last seen 4 days ago");
    expect(lastSeenText(now - 40 * 24 * 60 * MIN, now)).toMatch(/^last seen on /);
    // Never seen; a clock a little behind the server's.
    expect(lastSeenText(0, now)).toBe("offline");
    expect(lastSeenText(now + 5000, now)).toBe("last seen just now");
  });

  it("a person's presence reads Online, Away or last seen", () => {
    expect(presenceText({ id: "b", status: "online", lastSeen: now - 10 * MIN }, now)).toBe("Online");
    expect(presenceText({ id: "b", status: "away", lastSeen: 0 }, now)).toBe("Away");
    expect(presenceText({ id: "b", status: "offline", lastSeen: now - 10 * MIN }, now)).toBe("last seen 10 min ago");
    expect(presenceText(undefined, now)).toBe("");
  });
});

describe("a DM's header", () => {
  const members = [
    { id: "me", me: true },
    { id: "bob", me: false },
  ];
  it("shows the other person's presence, not ours: Bob offline reads last seen, though we are connected", () => {
    const presence = new Map<string, Presence>([
      ["me", { id: "me", status: "online", lastSeen: 0 }],
      ["bob", { id: "bob", status: "offline", lastSeen: now - 10 * MIN }],
    ]);
    expect(dmHeader(members, presence, now)).toEqual({ text: "last seen 10 min ago", status: "offline" });
    presence.set("bob", { id: "bob", status: "away", lastSeen: 0 });
    expect(dmHeader(members, presence, now)).toEqual({ text: "Away", status: "away" });
  });

  it("says nothing while Bob's presence is not known yet", () => {
    expect(dmHeader(members, new Map([["me", { id: "me", status: "online", lastSeen: 0 }]]), now)).toBeNull();
  });
});

describe("member status", () => {
  it("is online when in the room or online elsewhere, away when the hub says so, else offline", () => {
    expect(memberStatus(true, undefined)).toBe("online");
    expect(memberStatus(false, { id: "b", status: "online", lastSeen: 0 })).toBe("online");
    expect(memberStatus(true, { id: "b", status: "away", lastSeen: 0 })).toBe("away");
    expect(memberStatus(false, { id: "b", status: "offline", lastSeen: 1 })).toBe("offline");
    expect(memberStatus(false, undefined)).toBe("offline");
  });

  it("counts the away apart from the online, whether or not they are in the room", () => {
    const presence = new Map<string, Presence>([
      ["a", { id: "a", status: "away", lastSeen: 0 }],
      ["b", { id: "b", status: "online", lastSeen: 0 }],
      ["d", { id: "d", status: "offline", lastSeen: 1 }],
    ]);
    const members = [
      { id: "a", online: true },
      { id: "b", online: false },
      { id: "c", online: true },
      { id: "d", online: false },
      { id: "e", online: false },
    ];
    expect(memberCounts(members, presence)).toEqual({ online: 2, away: 1 });
    expect(memberCounts([], presence)).toEqual({ online: 0, away: 0 });
  });
});

describe("away", () => {
  it("a tab is away when hidden or idle for 5 minutes", () => {
    expect(tabAway(false, now - AWAY_IDLE_MS + 1, now)).toBe(false);
    expect(tabAway(false, now - AWAY_IDLE_MS, now)).toBe(true);
    expect(tabAway(true, now, now)).toBe(true);
  });

  describe("watching the tab", () => {
    beforeEach(() => stubBrowser());
    afterEach(() => {
      vi.useRealTimers();
      vi.unstubAllGlobals();
    });

    const setHidden = (hidden: boolean) => {
      (document as unknown as { visibilityState: string }).visibilityState = hidden ? "hidden" : "visible";
      document.dispatchEvent(new Event("visibilitychange"));
    };

    it("reports hidden and visible again, idle after 5 minutes without input, and back at the next input", () => {
      const changes: boolean[] = [];
      const w = watchAway((a) => changes.push(a));
      expect(w.away()).toBe(false);
      setHidden(true);
      setHidden(false);
      expect(changes).toEqual([true, false]);

      vi.advanceTimersByTime(AWAY_IDLE_MS - 1000);
      window.dispatchEvent(new Event("keydown")); // in use: the idle clock starts again
      vi.advanceTimersByTime(AWAY_IDLE_MS - 1000);
      expect(changes).toEqual([true, false]);
      vi.advanceTimersByTime(1000);
      expect(changes).toEqual([true, false, true]);
      window.dispatchEvent(new Event("pointerdown"));
      expect(changes).toEqual([true, false, true, false]);

      // Idle, then hidden, then shown again: back in use at once.
      vi.advanceTimersByTime(AWAY_IDLE_MS);
      setHidden(true);
      setHidden(false);
      expect(changes).toEqual([true, false, true, false, true, false]);

      w.stop();
      setHidden(true);
      expect(changes).toHaveLength(6);
    });
  });
});
