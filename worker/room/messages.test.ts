import { describe, expect, it } from "vitest";
import { REPLAY_LIMIT } from "../protocol";
import type { Effect } from "./effects";
import * as messages from "./messages";
import { MessageBudget } from "./rate-limit";
import { alice, bob, newStore } from "./testing/fixtures";

const ROOM = { perSec: 50, burst: 100 };
const budget = () => new MessageBudget({ perSec: 10, burst: 20 }, ROOM);
const send = (cid: string, text = cid, attachments?: string[]) => ({ type: "send" as const, cid, text, ...(attachments ? { attachments } : {}) });
const kinds = (effects: Effect[]) => effects.map((e) => e.type);

describe("send", () => {
  it("stores the message under the next seq, then acks the sender, publishes it and makes a flush due", () => {
    const { store } = newStore();
    const out = messages.send(store, budget(), alice, send("c1", "hello"), 1000);
    expect(out).toEqual([
      { type: "frame", to: { conn: alice.conn }, frame: { type: "ack", cid: "c1", seq: 1, ts: 1000 } },
      { type: "publish", message: { seq: 1, ts: 1000, cid: "c1", uid: alice.uid, name: "Alice", text: "hello" } },
      { type: "flush" },
    ]);
    expect(store.page(null, 5).map((m) => m.text)).toEqual(["hello"]);
  });

  it("answers a resend with the first ack, and stores and publishes nothing (nor spends the budget)", () => {
    const { store } = newStore();
    const b = new MessageBudget({ perSec: 10, burst: 1 }, ROOM);
    messages.send(store, b, alice, send("c1"), 1000);
    const again = messages.send(store, b, alice, send("c1"), 1001);
    expect(again).toEqual([{ type: "frame", to: { conn: alice.conn }, frame: { type: "ack", cid: "c1", seq: 1, ts: 1000 } }]);
    expect(store.bounds().last).toBe(1);
    // The same cid from someone else is a different message.
    expect(kinds(messages.send(store, budget(), bob, send("c1"), 1002))).toEqual(["frame", "publish", "flush"]);
  });

  it("refuses a message over the sender's budget with when to retry, counting no strike", () => {
    const { store } = newStore();
    const b = new MessageBudget({ perSec: 10, burst: 2 }, ROOM);
    messages.send(store, b, alice, send("a"), 0);
    messages.send(store, b, alice, send("b"), 0);
    const out = messages.send(store, b, alice, send("c"), 0);
    expect(out).toEqual([
      { type: "reject", conn: alice.conn, code: "rate_limited", message: expect.any(String), cid: "c", retryMs: 100, strike: false },
    ]);
    expect(store.bounds().last).toBe(2);
    // After the advertised wait it is taken.
    expect(kinds(messages.send(store, b, alice, send("c"), 100))).toEqual(["frame", "publish", "flush"]);
  });

  it("takes only finished uploads of the sender that no message carries yet", () => {
    const { store } = newStore();
    const meta = { id: "f1", name: "a.png", type: "image/png", size: 3, thumb: false };
    store.fileReady(alice.uid, meta);
    store.fileReady(bob.uid, { ...meta, id: "f-bob" });
    for (const ids of [["nope"], ["f-bob"]]) {
      const [e] = messages.send(store, budget(), alice, send("x", "", ids), 0);
      expect(e).toMatchObject({ type: "reject", code: "bad_attachment", cid: "x", strike: true });
    }
    const ok = messages.send(store, budget(), alice, send("y", "", ["f1"]), 0);
    expect(ok[0]).toMatchObject({ frame: { type: "ack", attachments: [meta] } });
    expect(messages.send(store, budget(), alice, send("z", "", ["f1"]), 0)[0]).toMatchObject({ code: "bad_attachment" });
  });
});

describe("the room's own messages", () => {
  it("go on the message path once per cid", () => {
    const { store } = newStore();
    const m = { cid: "call:1", uid: alice.uid, name: "Alice", text: "Missed call" };
    const b = budget();
    expect(kinds(messages.record(store, b, m, 5))).toEqual(["publish", "flush"]);
    expect(messages.record(store, b, m, 6)).toEqual([]);
  });
});

describe("reactions and deletion", () => {
  it("broadcasts a reaction that changed something, and nothing for one that did not", () => {
    const { store } = newStore();
    messages.send(store, budget(), alice, send("m"), 0);
    const on = { type: "react" as const, seq: 1, emoji: "👍", on: true };
    expect(messages.react(store, bob, on, 1)).toEqual([
      { type: "frame", to: { all: true }, frame: { type: "reaction", seq: 1, emoji: "👍", user: bob.uid, on: true } },
      { type: "flush" },
    ]);
    expect(messages.react(store, bob, on, 2)).toEqual([]);
  });

  it("refuses a reaction to a missing message, and a 21st emoji, echoing the request id", () => {
    const { store } = newStore();
    expect(messages.react(store, bob, { type: "react", seq: 9, emoji: "👍", on: true, req: "r1" }, 0)).toEqual([
      { type: "reject", conn: bob.conn, code: "no_such_message", message: expect.any(String), req: "r1", strike: true },
    ]);
    messages.send(store, budget(), alice, send("m"), 0);
    for (let i = 0; i < messages.MAX_REACTIONS_PER_USER; i++) store.react(1, `e${i}`, bob.uid, true, i);
    expect(messages.react(store, bob, { type: "react", seq: 1, emoji: "🎉", on: true }, 0)[0]).toMatchObject({ code: "invalid_frame" });
  });

  it("lets only the author delete, and tells everyone", () => {
    const { store } = newStore();
    messages.send(store, budget(), alice, send("m"), 0);
    expect(messages.remove(store, bob, { type: "delete", seq: 1, req: "d" })[0]).toMatchObject({ code: "not_your_message", req: "d" });
    expect(messages.remove(store, alice, { type: "delete", seq: 1 })).toEqual([
      { type: "frame", to: { all: true }, frame: { type: "deleted", seq: 1 } },
      { type: "flush" },
    ]);
    expect(messages.remove(store, alice, { type: "delete", seq: 1 })[0]).toMatchObject({ code: "no_such_message" });
  });
});

describe("welcome", () => {
  const filled = (n: number) => {
    const { store } = newStore();
    for (let i = 1; i <= n; i++) store.append({ cid: `m${i}`, uid: alice.uid, name: "Alice", text: `m${i}` }, i);
    return store;
  };

  it("a first connect gets the latest page", () => {
    const w = messages.welcome(filled(60), null);
    expect(w.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 11 + i));
    expect(w).toMatchObject({ lastSeq: 60, gap: false });
    expect(w.sync).toBeUndefined();
  });

  it("a reconnect gets exactly what it missed, and the current state of what it has", () => {
    const store = filled(10);
    store.react(3, "👍", bob.uid, true, 0);
    store.tombstone(4);
    const w = messages.welcome(store, 8);
    expect(w.messages.map((m) => m.seq)).toEqual([9, 10]);
    expect(w.sync).toEqual({ from: 1, to: 8, reactions: [{ seq: 3, reactions: [{ emoji: "👍", users: [bob.uid] }] }], deleted: [4] });
    expect(messages.welcome(store, 10).messages).toEqual([]);
  });

  it("too far behind, or behind what the log holds: the latest page and `gap`", () => {
    const far = messages.welcome(filled(REPLAY_LIMIT + 10), 5);
    expect(far.gap).toBe(true);
    expect(far.messages.at(-1)?.seq).toBe(REPLAY_LIMIT + 10);
    const store = filled(20);
    store.markFlushed(Array.from({ length: 20 }, (_, i) => i + 1));
    store.trim(5, 0);
    expect(messages.welcome(store, 3).gap).toBe(true);
  });
});
