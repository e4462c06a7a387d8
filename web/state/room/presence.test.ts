/**
 * Presence and typing: the online set from a welcome and deltas; typing that runs out by
 * its stored `until` under one timer for everyone; our own typing frames, throttled.
 */
import { signal } from "@preact/signals";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TYPING_TTL_MS, type ClientFrame } from "../../../worker/protocol";
import { stubBrowser } from "../fakes";
import { bob, carol, me } from "./fixtures";
import { OwnTyping, Presence, typingLine } from "./presence";

let p: Presence;

beforeEach(() => {
  stubBrowser();
  p = new Presence(signal(me));
});

afterEach(() => {
  p.dispose();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const typing = (who = bob, ttl = 6000, on = true) => p.typing({ type: "typing", user: who, on, ttl });

describe("presence", () => {
  it("takes the welcome's online list, then presence deltas", () => {
    p.setOnline([me, bob]);
    p.change({ type: "presence", joined: [carol], left: [bob.id] });
    expect(p.online.value.map((x) => x.name)).toEqual(["Alice", "Carol"]);
    p.change({ type: "presence", joined: [{ ...carol, name: "Caroline" }], left: [] }); // renamed: one entry, the new name
    expect(p.online.value.map((x) => x.name)).toEqual(["Alice", "Caroline"]);
  });

  it("shows who types until their ttl runs out", () => {
    typing(carol, 6000);
    expect(p.typingText.value).toBe("Carol is typing…");
    vi.advanceTimersByTime(5999);
    expect(p.typingText.value).toBe("Carol is typing…");
    vi.advanceTimersByTime(2);
    expect(p.typingText.value).toBe("");
  });

  it("runs one timer for everyone typing, set for whoever runs out first", () => {
    typing(bob, 3000);
    typing(carol, 6000);
    expect(p.typingText.value).toBe("Bob and Carol are typing…");
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(3001);
    expect(p.typingText.value).toBe("Carol is typing…");
    expect(vi.getTimerCount()).toBe(1);
    typing(bob, 6000); // Bob again: now Carol runs out first
    vi.advanceTimersByTime(3000);
    expect(p.typingText.value).toBe("Bob is typing…");
    vi.advanceTimersByTime(3001);
    expect(p.typingText.value).toBe("");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a typing frame renews the time; `on: false`, leaving, or our socket closing end it at once", () => {
    typing(bob, 6000);
    vi.advanceTimersByTime(5000);
    typing(bob, 6000);
    vi.advanceTimersByTime(5000);
    expect(p.typingNames.value).toEqual(["Bob"]);
    typing(bob, 6000, false);
    expect(p.typingNames.value).toEqual([]);
    p.setOnline([me, bob, carol]);
    typing(bob);
    typing(carol);
    p.change({ type: "presence", joined: [], left: [bob.id] });
    expect(p.typingNames.value).toEqual(["Carol"]);
    p.clearTyping();
    expect(p.typingNames.value).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("never shows us typing, and caps a ttl it is told", () => {
    typing(me);
    expect(p.typingNames.value).toEqual([]);
    typing(bob, 10 * 60_000);
    vi.advanceTimersByTime(TYPING_TTL_MS * 2 + 1);
    expect(p.typingNames.value).toEqual([]);
  });

  it("typingLine", () => {
    expect(typingLine([])).toBe("");
    expect(typingLine(["Alice"])).toBe("Alice is typing…");
    expect(typingLine(["Alice", "Bob"])).toBe("Alice and Bob are typing…");
    expect(typingLine(["A", "B", "C"])).toBe("A, B and C are typing…");
    expect(typingLine(["A", "B", "C", "D"])).toBe("Several people are typing…");
  });
});

describe("our own typing", () => {
  it("sends `on` at most once per half TTL while typing, `off` once when it stops", () => {
    const sent: ClientFrame[] = [];
    const own = new OwnTyping((f) => (sent.push(f), true));
    own.set(true, 0);
    own.set(true, TYPING_TTL_MS / 2 - 1);
    own.set(true, TYPING_TTL_MS / 2);
    own.set(false, TYPING_TTL_MS);
    own.set(false, TYPING_TTL_MS);
    expect(sent).toEqual([
      { type: "typing", on: true },
      { type: "typing", on: true },
      { type: "typing", on: false },
    ]);
  });

  it("a new connection forgets what was sent: the next keystroke says so again", () => {
    const sent: ClientFrame[] = [];
    let up = true;
    const own = new OwnTyping((f) => up && (sent.push(f), true));
    own.set(true, 0);
    own.reset();
    own.set(true, 1);
    up = false;
    own.reset();
    own.set(true, 2); // not connected: nothing sent, nothing to take back
    own.set(false, 3);
    expect(sent).toEqual([
      { type: "typing", on: true },
      { type: "typing", on: true },
    ]);
  });
});
