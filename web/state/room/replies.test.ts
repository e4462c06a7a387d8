/**
 * Replies, edits, jumping to an original and mark-as-unread in the room store, against the scripted fake
 * socket: what goes on the wire, what the timeline shows, what the sidebar is told.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { signal } from "@preact/signals";
import type { HistoryResponse } from "../../../worker/protocol";
import { FakeSocket, json, stubBrowser } from "../fakes";
import { alice, bob, m, me, room, roomResponse, welcome } from "./fixtures";
import { applyDelete, applyEdit, applySync } from "./list";
import { createRoomStore, type RoomHost, type RoomStore } from "./model";

let store: RoomStore;
let calls: string[];
const last = () => FakeSocket.all[FakeSocket.all.length - 1]!;
const connect = (...args: Parameters<typeof welcome>) => {
  last().open();
  last().receive(welcome(...args));
};

beforeEach(() => {
  stubBrowser();
  vi.stubGlobal("fetch", vi.fn(async () => json(roomResponse)));
  calls = [];
  const host: RoomHost = {
    sidebar: {
      setActive: () => undefined,
      markRead: (_id, seq) => void calls.push(`read:${seq}`),
      markUnread: (id, seq) => void calls.push(`unread:${id === room.id ? "room" : id}:${seq}`),
      onRoomsChanged: () => () => undefined,
      forget: () => undefined,
      rooms: signal([]),
    },
  };
  store = createRoomStore(roomResponse, alice, host);
});

afterEach(() => {
  store.dispose();
  FakeSocket.all = [];
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("replies", () => {
  it("send the original's seq and show our quote while pending and once acked; ✕ drops it", () => {
    connect([m(1), m(2)], 2);
    store.reply(m(1));
    expect(store.replying.value).toEqual({ seq: 1, uid: bob.id, name: "Bob", text: "m1" });
    store.sendMessage("yes");
    expect(store.replying.value).toBeNull();
    const sent = last().frames().at(-1)!;
    expect(sent).toMatchObject({ type: "send", text: "yes", replyTo: 1 });
    expect(store.pending.value[0]?.replyTo?.seq).toBe(1);
    last().receive({ type: "ack", cid: sent.cid!, seq: 3, ts: 1 });
    expect(store.messages.value.at(-1)?.replyTo).toMatchObject({ seq: 1, text: "m1" });
    store.reply(m(2));
    store.cancelCompose();
    store.sendMessage("plain");
    expect(last().frames().at(-1)).not.toHaveProperty("replyTo");
  });

  it("follow their original's edit and deletion, live and in a reconnect's sync", () => {
    const reply = { ...m(2), replyTo: { seq: 1, uid: bob.id, name: "Bob", text: "m1" } };
    let list = applyEdit([m(1), reply], { seq: 1, text: "new\nsecond", edited: 9 });
    expect(list[0]).toMatchObject({ text: "new\nsecond", edited: 9 });
    expect(list[1]!.replyTo).toMatchObject({ text: "new" });
    list = applyDelete(list, 1);
    expect(list[1]!.replyTo).toMatchObject({ text: "", deleted: true });
    const synced = applySync([m(1), reply], { from: 1, to: 2, reactions: [], deleted: [], edited: [{ seq: 1, text: "x", edited: 5 }] });
    expect(synced.map((x) => [x.text, x.replyTo?.text])).toEqual([["x", undefined], ["m2", "x"]]);
    expect(applySync([m(1), reply], { from: 1, to: 2, reactions: [], deleted: [1] })[1]!.replyTo?.deleted).toBe(true);
  });

  it("take the mentions an edit gives them, and lose those it no longer has", () => {
    const mentioned = { ...m(1), text: "@[Bob](u-bob) hi", mentions: ["u-bob"] };
    const moved = applyEdit([mentioned], { seq: 1, text: "@[Ann](u-ann) hi", edited: 9, mentions: ["u-ann"] });
    expect(moved[0]).toMatchObject({ text: "@[Ann](u-ann) hi", mentions: ["u-ann"] });
    expect(applyEdit(moved, { seq: 1, text: "hi", edited: 10 })[0]).not.toHaveProperty("mentions");
    const synced = applySync([mentioned], { from: 1, to: 1, reactions: [], deleted: [], edited: [{ seq: 1, text: "plain", edited: 5 }] });
    expect(synced[0]).not.toHaveProperty("mentions");
  });

  it("a quote's original far back loads in one window around it (jumpTo), then is the focus", async () => {
    connect([m(60), m(61)], 61, true);
    const around: HistoryResponse = { messages: Array.from({ length: 10 }, (_, i) => m(38 + i)), hasMore: true };
    vi.mocked(fetch).mockResolvedValueOnce(json(around));
    expect(await store.jumpTo(42)).toBe(true);
    expect(vi.mocked(fetch)).toHaveBeenCalledTimes(1);
    expect(String(vi.mocked(fetch).mock.calls[0]![0])).toContain("around=42");
    expect(store.focus.value).toMatchObject({ seq: 42 });
    // Held already: no request.
    expect(await store.jumpTo(61)).toBe(true);
    expect(vi.mocked(fetch)).toHaveBeenCalledTimes(1);
    expect(store.focus.value).toMatchObject({ seq: 61 });
  });
});

describe("edits", () => {
  it("↑ edits our newest message; saving sends an edit frame and the edited frame shows it", () => {
    connect([m(1, me), m(2, me), m(3)], 3);
    expect(store.editLast()).toBe(true);
    expect(store.editing.value).toEqual({ seq: 2, text: "m2" });
    expect(store.saveEdit("m2 fixed")).toBe(true);
    expect(store.editing.value).toBeNull();
    expect(last().frames().at(-1)).toEqual({ type: "edit", seq: 2, text: "m2 fixed" });
    last().receive({ type: "edited", seq: 2, text: "m2 fixed", edited: 77 });
    expect(store.messages.value[1]).toMatchObject({ text: "m2 fixed", edited: 77 });
    // The edited text's mention tokens go as the edit's mentions.
    store.edit(store.messages.value[1]!);
    expect(store.saveEdit("@[Bob](u-bob) m2")).toBe(true);
    expect(last().frames().at(-1)).toEqual({ type: "edit", seq: 2, text: "@[Bob](u-bob) m2", mentions: ["u-bob"] });
  });

  it("an unchanged text sends nothing; nothing of ours to edit: false", () => {
    connect([m(1, me)], 1);
    store.edit(m(1, me));
    const before = last().frames().length;
    expect(store.saveEdit("m1")).toBe(true);
    expect(last().frames()).toHaveLength(before);
    store.dispose();
    FakeSocket.all = [];
    store = createRoomStore(roomResponse, alice);
    connect([m(1)], 1);
    expect(store.editLast()).toBe(false);
  });
});

describe("mark as unread", () => {
  it("moves the line and the read position back to just before the message, and holds reading until the view goes", () => {
    connect([m(1), m(2), m(3)], 3);
    const hide = store.show();
    expect(calls).toEqual(["read:3"]);
    store.markUnread(2);
    expect(calls.at(-1)).toBe("unread:room:1");
    expect(store.unreadLine.value).toBe(1);
    last().receive({ type: "msgs", messages: [m(4)] });
    expect(calls.at(-1)).toBe("unread:room:1"); // not read again while it stays on screen
    hide();
    store.show();
    expect(calls.at(-1)).toBe("read:4");
  });
});
