import { describe, expect, it } from "vitest";
import { MAX_QUOTE, type Message } from "../protocol";
import type { Effect } from "./effects";
import * as messages from "./messages";
import { MessageBudget } from "./rate-limit";
import { alice, bob, newStore } from "./testing/fixtures";

const ROOM = { perSec: 50, burst: 100 };
const budget = () => new MessageBudget({ perSec: 10, burst: 20 }, ROOM);
const send = (cid: string, text = cid, replyTo?: number) => ({ type: "send" as const, cid, text, ...(replyTo === undefined ? {} : { replyTo }) });
const edit = (seq: number, text: string) => ({ type: "edit" as const, seq, text, req: "r1" });
const published = (out: Effect[]) => out.flatMap((e) => (e.type === "publish" ? [e.message] : []));
/** D1's copy of a message older than the log. */
const older = (seq: number, uid = alice.uid, over: Partial<Message> = {}): Message => ({ seq, cid: `old${seq}`, uid, name: "Alice", text: `old ${seq}`, ts: 1, ...over });

describe("replies", () => {
  it("stamp the original's author and first line on the reply, truncated", () => {
    const { store } = newStore();
    const long = `${"x".repeat(MAX_QUOTE + 50)}\nsecond line`;
    messages.send(store, budget(), bob, send("o", long), 1);
    const [m] = published(messages.send(store, budget(), alice, send("r", "yes", 1), 2));
    expect(m!.replyTo).toEqual({ seq: 1, uid: bob.uid, name: "Bob", text: `${"x".repeat(MAX_QUOTE - 1)}…` });
    expect(store.page(null, 1)[0]!.replyTo?.seq).toBe(1);
  });

  it("to a seq the room never gave out is refused with a code, nothing stored", () => {
    const { store } = newStore();
    messages.send(store, budget(), bob, send("o"), 1);
    expect(messages.needsOlder(store, 99)).toBe(false);
    const out = messages.send(store, budget(), alice, send("r", "yes", 99), 2);
    expect(out).toEqual([expect.objectContaining({ type: "reject", code: "no_such_message", cid: "r" })]);
    expect(store.bounds().last).toBe(1);
  });

  it("to a deleted message is refused", () => {
    const { store } = newStore();
    messages.send(store, budget(), bob, send("o"), 1);
    messages.remove(store, bob, { type: "delete", seq: 1 });
    expect(messages.send(store, budget(), alice, send("r", "yes", 1), 2)).toEqual([expect.objectContaining({ code: "message_deleted", strike: false })]);
  });

  it("to a message older than the log uses D1's copy (and asks for it)", () => {
    const { store } = newStore();
    for (let i = 0; i < 3; i++) messages.send(store, budget(), bob, send(`m${i}`), 1);
    store.markFlushed([1, 2, 3]);
    store.trim(1, 0);
    expect(messages.needsOlder(store, 1)).toBe(true);
    expect(messages.needsOlder(store, 3)).toBe(false);
    const [m] = published(messages.send(store, budget(), alice, send("r", "yes", 1), 2, older(1, bob.uid, { name: "Bob" })));
    expect(m!.replyTo).toEqual({ seq: 1, uid: bob.uid, name: "Bob", text: "old 1" });
    // D1 has no copy: refused.
    expect(messages.send(store, budget(), alice, send("r2", "yes", 2), 2, null)).toEqual([expect.objectContaining({ code: "no_such_message" })]);
  });

  it("show the original's edit and deletion in their quote", () => {
    const { store } = newStore();
    messages.send(store, budget(), bob, send("o", "first"), 1);
    messages.send(store, budget(), alice, send("r", "yes", 1), 2);
    messages.edit(store, budget(), bob, edit(1, "changed\nmore"), 3);
    expect(store.message(2)!.replyTo).toMatchObject({ text: "changed" });
    messages.remove(store, bob, { type: "delete", seq: 1 });
    expect(store.message(2)!.replyTo).toEqual({ seq: 1, uid: bob.uid, name: "Bob", text: "", deleted: true });
  });
});

describe("edits", () => {
  it("change the author's message, tell everyone and leave an entry for the flush", () => {
    const { store } = newStore();
    messages.send(store, budget(), alice, send("a", "helo"), 1);
    const out = messages.edit(store, budget(), alice, edit(1, "hello"), 5);
    expect(out).toEqual([{ type: "frame", to: { all: true }, frame: { type: "edited", seq: 1, text: "hello", edited: 5 } }, { type: "flush" }]);
    expect(store.page(null, 1)[0]).toMatchObject({ text: "hello", edited: 5 });
    expect(store.editChanges(10)).toEqual([{ id: 1, seq: 1, text: "hello", ts: 5, mentions: null }]);
    // Welcome/replay: a reconnect's sync carries it.
    expect(messages.welcome(store, 1).sync?.edited).toEqual([{ seq: 1, text: "hello", edited: 5 }]);
  });

  it("of someone else's, a nonexistent, a deleted or a call's message are refused, nothing stored", () => {
    const { store } = newStore();
    messages.send(store, budget(), alice, send("a"), 1);
    messages.send(store, budget(), alice, send("b"), 1);
    messages.record(store, budget(), { cid: "call:x", uid: alice.uid, name: "Alice", text: "call" }, 1);
    messages.remove(store, alice, { type: "delete", seq: 2 });
    const code = (out: Effect[]) => (out[0]?.type === "reject" ? out[0].code : null);
    expect(code(messages.edit(store, budget(), bob, edit(1, "x"), 2))).toBe("not_your_message");
    expect(code(messages.edit(store, budget(), alice, edit(50, "x"), 2))).toBe("no_such_message");
    expect(code(messages.edit(store, budget(), alice, edit(2, "x"), 2))).toBe("message_deleted");
    expect(code(messages.edit(store, budget(), alice, edit(3, "x"), 2))).toBe("not_editable");
    expect(store.editChanges(10)).toEqual([]);
    expect(store.message(1)!.text).toBe("a");
  });

  it("are rate-limited like sends", () => {
    const { store } = newStore();
    const b = new MessageBudget({ perSec: 10, burst: 2 }, ROOM);
    messages.send(store, b, alice, send("a"), 0);
    messages.edit(store, b, alice, edit(1, "one"), 0);
    expect(messages.edit(store, b, alice, edit(1, "two"), 0)).toEqual([expect.objectContaining({ code: "rate_limited", req: "r1", retryMs: 100, strike: false })]);
    expect(store.message(1)!.text).toBe("one");
  });

  it("of a message older than the log go by D1's copy: author checked, pending edits and deletions on top", () => {
    const { store } = newStore();
    for (let i = 0; i < 3; i++) messages.send(store, budget(), alice, send(`m${i}`), 1);
    store.markFlushed([1, 2, 3]);
    store.trim(1, 0);
    expect(messages.edit(store, budget(), bob, edit(1, "x"), 2, older(1))).toEqual([expect.objectContaining({ code: "not_your_message" })]);
    expect(messages.edit(store, budget(), alice, edit(1, "x"), 2, older(1))[0]).toMatchObject({ frame: { type: "edited", seq: 1 } });
    // The same text as the pending edit: nothing to do.
    expect(messages.edit(store, budget(), alice, edit(1, "x"), 3, older(1))).toEqual([]);
    messages.remove(store, alice, { type: "delete", seq: 1 }, older(1, alice.uid, { attachments: [{ id: "f1", name: "a", type: "text/plain", size: 1, thumb: false }] }));
    expect(store.doomed(10)).toEqual([{ seq: 1, files: ["f1"] }]);
    expect(store.editChanges(10)).toEqual([]);
    expect(messages.edit(store, budget(), alice, edit(1, "y"), 4, older(1))).toEqual([expect.objectContaining({ code: "message_deleted" })]);
  });
});

describe("reactions on a message older than the log", () => {
  it("go to the flush and to everyone; a deleted one is refused", () => {
    const { store } = newStore();
    for (let i = 0; i < 3; i++) messages.send(store, budget(), alice, send(`m${i}`), 1);
    store.markFlushed([1, 2, 3]);
    store.trim(1, 0);
    const f = { type: "react" as const, seq: 1, emoji: "👍", on: true };
    expect(messages.react(store, bob, f, 2, older(1))).toEqual([
      { type: "frame", to: { all: true }, frame: { type: "reaction", seq: 1, emoji: "👍", user: bob.uid, on: true } },
      { type: "flush" },
    ]);
    expect(store.reactionChanges(10)).toMatchObject([{ seq: 1, emoji: "👍", uid: bob.uid, on: true }]);
    expect(messages.react(store, bob, f, 2, older(1, alice.uid, { deleted: true }))).toEqual([expect.objectContaining({ code: "no_such_message" })]);
    expect(messages.react(store, bob, f, 2, null)).toEqual([expect.objectContaining({ code: "no_such_message" })]);
  });
});

