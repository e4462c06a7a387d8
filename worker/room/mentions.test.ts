import { describe, expect, it } from "vitest";
import { MAX_MENTIONS, ROOM_MENTION_OPEN_UP_TO, mentionIdsOf, mentionToken, parseClientFrame } from "../protocol";
import { flush, type History } from "./flush";
import { MEMBERS_RECHECK_MS, announcedMentions, mentionsOf, memberListNeeded } from "./mentions";
import * as messages from "./messages";
import { MessageBudget } from "./rate-limit";
import { alice, bob, carol, newStore } from "./testing/fixtures";

const budget = () => new MessageBudget({ perSec: 10, burst: 20 }, { perSec: 50, burst: 100 });
const tok = (id: string, name = id) => mentionToken(id, name);
const send = (cid: string, mentions: string[], text = mentions.map((id) => tok(id)).join(" ") + " hi") => ({ type: "send" as const, cid, text, mentions });

/** A store whose member list holds alice (owner), bob and carol, loaded at `at`. */
function withMembers(at = 1000, extra = 0) {
  const s = newStore();
  const list = [
    { uid: alice.uid, role: "owner" as const },
    { uid: bob.uid, role: "member" as const },
    { uid: carol.uid, role: "member" as const },
    ...Array.from({ length: extra }, (_, i) => ({ uid: `u-${i}`, role: "member" as const })),
  ];
  s.store.setMemberList(list, at);
  return s;
}

describe("the mention token", () => {
  it("lists each id once, in order, and keeps brackets and line breaks out of the label", () => {
    expect(mentionToken("u-1", "A [b]\nc")).toBe("@[A bc](u-1)");
    expect(mentionIdsOf(`${tok("u-b", "Bob")} and ${tok("room")} and ${tok("u-b", "Bob")} @[x](bad id) `)).toEqual(["u-b", "room"]);
  });

  it("is required in the text for every id the frame mentions, at most 50, no repeats (schema)", () => {
    const parse = (f: object) => parseClientFrame(JSON.stringify(f));
    expect(parse(send("c", ["u-bob"]))).toMatchObject({ ok: true, frame: { mentions: ["u-bob"] } });
    expect(parse({ type: "send", cid: "c", text: "hi @Bob", mentions: ["u-bob"] })).toMatchObject({ ok: false, code: "invalid_frame", cid: "c" });
    expect(parse({ ...send("c", ["u-bob"]), mentions: ["u-bob", "u-bob"] })).toMatchObject({ ok: false, code: "invalid_frame" });
    const many = Array.from({ length: MAX_MENTIONS + 1 }, (_, i) => `u-${i}`);
    expect(parse(send("c", many))).toMatchObject({ ok: false, code: "invalid_frame" });
    expect(parse(send("c", many.slice(0, MAX_MENTIONS)))).toMatchObject({ ok: true });
    expect(parse({ ...send("c", ["u-bob"]), mentions: ["<script>"] })).toMatchObject({ ok: false, code: "invalid_frame" });
  });
});

describe("send with mentions", () => {
  it("stores and publishes the ids of members with the message", () => {
    const { store } = withMembers();
    const out = messages.send(store, budget(), alice, send("c1", [bob.uid, "room"]), 2000);
    expect(out.map((e) => e.type)).toEqual(["frame", "publish", "flush"]);
    expect(out[1]).toMatchObject({ message: { seq: 1, mentions: [bob.uid, "room"] } });
    expect(store.page(null, 1)[0]!.mentions).toEqual([bob.uid, "room"]);
  });

  it("refuses a mention of a non-member with not_a_member, storing nothing and spending no budget", () => {
    const { store } = withMembers();
    const b = new MessageBudget({ perSec: 10, burst: 1 }, { perSec: 50, burst: 100 });
    const out = messages.send(store, b, alice, send("c1", [bob.uid, "u-stranger"]), 2000);
    expect(out).toEqual([{ type: "reject", conn: alice.conn, code: "not_a_member", message: expect.any(String), cid: "c1", strike: false }]);
    expect(store.bounds().last).toBe(0);
    expect(messages.send(store, b, alice, send("c2", [bob.uid]), 2000).map((e) => e.type)).toEqual(["frame", "publish", "flush"]);
  });

  it("lets anyone mention @room up to 20 members, and only the owner beyond", () => {
    const small = withMembers(1000, ROOM_MENTION_OPEN_UP_TO - 3);
    expect(messages.send(small.store, budget(), bob, send("c1", ["room"]), 2000).map((e) => e.type)).toEqual(["frame", "publish", "flush"]);
    const big = withMembers(1000, ROOM_MENTION_OPEN_UP_TO - 2);
    expect(messages.send(big.store, budget(), bob, send("c1", ["room"]), 2000)).toEqual([
      { type: "reject", conn: bob.conn, code: "room_mention_owner_only", message: expect.any(String), cid: "c1", strike: false },
    ]);
    expect(big.store.bounds().last).toBe(0);
    expect(messages.send(big.store, budget(), alice, send("c2", ["room"]), 2000).map((e) => e.type)).toEqual(["frame", "publish", "flush"]);
  });

  it("acks a resend of a stored message even if a mentioned person has left since", () => {
    const { store } = withMembers();
    messages.send(store, budget(), alice, send("c1", [carol.uid]), 2000);
    store.removeMember(carol.uid);
    expect(messages.send(store, budget(), alice, send("c1", [carol.uid]), 2001)).toEqual([
      { type: "frame", to: { conn: alice.conn }, frame: { type: "ack", cid: "c1", seq: 1, ts: 2000 } },
    ]);
    expect(messages.send(store, budget(), alice, send("c2", [carol.uid]), 2002)[0]).toMatchObject({ code: "not_a_member" });
  });

  it("clears the mentions of a deleted message", () => {
    const { store } = withMembers();
    messages.send(store, budget(), alice, send("c1", [bob.uid]), 2000);
    messages.remove(store, alice, { type: "delete", seq: 1 });
    expect(store.page(null, 1)[0]!.mentions).toBeUndefined();
    expect(store.mentionsBetween(0, 1, 10)).toEqual([]);
  });
});

describe("edit with mentions", () => {
  const edit = (seq: number, mentions: string[], text = mentions.map((id) => tok(id)).join(" ") + " edited") => ({
    type: "edit" as const,
    seq,
    text,
    mentions,
    req: "r1",
  });

  it("is checked like a send: a non-member or @room beyond 20 members is refused with the req, and nothing changes", () => {
    const { store } = withMembers(1000, ROOM_MENTION_OPEN_UP_TO - 2);
    messages.send(store, budget(), bob, send("c1", [alice.uid]), 2000);
    expect(messages.edit(store, budget(), bob, edit(1, ["u-stranger"]), 2001)).toEqual([
      { type: "reject", conn: bob.conn, code: "not_a_member", message: expect.any(String), req: "r1", strike: false },
    ]);
    expect(messages.edit(store, budget(), bob, edit(1, ["room"]), 2002)).toEqual([
      { type: "reject", conn: bob.conn, code: "room_mention_owner_only", message: expect.any(String), req: "r1", strike: false },
    ]);
    expect(store.page(null, 1)[0]).toMatchObject({ mentions: [alice.uid] });
    expect(store.page(null, 1)[0]!.edited).toBeUndefined();
    expect(store.editChanges(10)).toEqual([]);
  });

  it("replaces what the message mentions: in the log, the edited frame, the reconnect sync and the flush's entry", () => {
    const { store } = withMembers();
    messages.send(store, budget(), alice, send("c1", [bob.uid]), 2000);
    const out = messages.edit(store, budget(), alice, edit(1, [carol.uid]), 2001);
    expect(out[0]).toMatchObject({ frame: { type: "edited", seq: 1, mentions: [carol.uid] } });
    expect(store.page(null, 1)[0]!.mentions).toEqual([carol.uid]);
    expect(messages.welcome(store, 1).sync?.edited).toEqual([{ seq: 1, text: expect.any(String), edited: 2001, mentions: [carol.uid] }]);
    expect(store.editChanges(10)).toMatchObject([{ seq: 1, mentions: [carol.uid] }]);
    // An edit that mentions no one any more clears them.
    const plain = messages.edit(store, budget(), alice, { type: "edit", seq: 1, text: "no one", req: "r2" }, 2002);
    expect(plain[0]).toMatchObject({ frame: { type: "edited", seq: 1, text: "no one" } });
    expect((plain[0] as { frame: object }).frame).not.toHaveProperty("mentions");
    expect(store.page(null, 1)[0]!.mentions).toBeUndefined();
    expect(store.editChanges(10).at(-1)).toMatchObject({ mentions: null });
  });

  it("needs each mention shown in the edited text (schema)", () => {
    const parse = (f: object) => parseClientFrame(JSON.stringify(f));
    expect(parse(edit(1, [bob.uid]))).toMatchObject({ ok: true, frame: { type: "edit", mentions: [bob.uid] } });
    expect(parse({ type: "edit", seq: 1, text: "hi @Bob", mentions: [bob.uid], req: "r1" })).toMatchObject({ ok: false, code: "invalid_frame" });
  });
});

describe("the member list", () => {
  it("is loaded before the first mention, after a join (stale), and again for an unknown id only every 30 s", () => {
    const { store } = newStore();
    const f = send("c", [bob.uid]);
    expect(memberListNeeded(store, { ...f, mentions: [] }, 0)).toBe(false);
    expect(memberListNeeded(store, f, 0)).toBe(true);
    store.setMemberList([{ uid: bob.uid, role: "member" }], 1000);
    expect(memberListNeeded(store, f, 1000 + MEMBERS_RECHECK_MS)).toBe(false);
    const stranger = send("c", ["u-new"]);
    expect(memberListNeeded(store, stranger, 1000 + MEMBERS_RECHECK_MS - 1)).toBe(false);
    expect(memberListNeeded(store, stranger, 1000 + MEMBERS_RECHECK_MS)).toBe(true);
    store.memberListStale();
    expect(memberListNeeded(store, f, 1001)).toBe(true);
  });

  it("learns members from upgrades only once loaded, and forgets removed ones", () => {
    const { store } = newStore();
    store.addMember(bob.uid);
    expect(store.nonMembers([bob.uid])).toEqual([bob.uid]);
    store.setMemberList([{ uid: alice.uid, role: "owner" }], 1000);
    store.addMember(bob.uid);
    store.addMember(alice.uid); // stays the owner
    expect(store.nonMembers([alice.uid, bob.uid, carol.uid])).toEqual([carol.uid]);
    expect(store.memberCount(alice.uid)).toEqual({ members: 2, owner: true });
    store.removeMember(bob.uid);
    expect(store.nonMembers([bob.uid])).toEqual([bob.uid]);
  });
});

describe("mentions in the hubs' notices", () => {
  const history = (): History => ({
    insert: async (_room, list) => new Map(list.map((m) => [m.seq, { uid: m.uid, cid: m.cid }])),
    seqOf: async () => null,
    reactions: async () => undefined,
    deletions: async () => undefined,
    edits: async () => undefined,
    older: async () => null,
  });

  it("carries each mentioning message since the last announcement once; each hub counts its user's, not their own", async () => {
    const { store } = withMembers();
    messages.send(store, budget(), alice, send("a", [bob.uid]), 2000);
    messages.send(store, budget(), bob, send("b", ["room"]), 2001);
    messages.send(store, budget(), carol, { type: "send", cid: "c", text: "plain" }, 2002);
    await flush(store, history(), { roomId: "r", now: 3000, random: () => 0, gone: () => false });
    const mentioned = announcedMentions(store, 3);
    expect(mentioned).toEqual([
      { seq: 1, uid: alice.uid, ids: [bob.uid] },
      { seq: 2, uid: bob.uid, ids: ["room"] },
    ]);
    expect(mentionsOf(mentioned, bob.uid)).toEqual([1]);
    expect(mentionsOf(mentioned, alice.uid)).toEqual([2]);
    expect(mentionsOf(mentioned, carol.uid)).toEqual([2]);
    expect(announcedMentions(store, 3)).toEqual([]);
    messages.send(store, budget(), carol, send("d", [alice.uid]), 4000);
    expect(announcedMentions(store, 4)).toEqual([{ seq: 4, uid: carol.uid, ids: [alice.uid] }]);
  });
});
