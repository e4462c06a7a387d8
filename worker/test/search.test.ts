/**
 * Message search (GET /api/search) over the FTS5 index the triggers keep in step with
 * `messages`, and the history window a result opens (GET /api/rooms/:id/messages?around=).
 */
import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { db } from "../db/client";
import { insertMessages, applyDeletions } from "../db/queries";
import { ftsQuery, snippetParts, SEARCH_SQL } from "../db/search";
import { SEARCH_PAGE, type HistoryResponse, type Message, type SearchResponse } from "../protocol";
import { api, errorOf, guest, joinRoom, newRoom } from "./helpers";
import { aliceAndBob, twoInARoom } from "./fixtures";

/** A word no other test uses, so results are this test's alone. */
const word = () => `w${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
const msg = (seq: number, uid: string, text: string, extra: Partial<Message> = {}): Message => ({ seq, cid: `c${seq}`, uid, name: "Ann", text, ts: 1_700_000_000_000 + seq, ...extra });

async function search(cookie: string, q: string, before?: string): Promise<{ status: number; body: SearchResponse }> {
  const qs = new URLSearchParams({ q, ...(before ? { before } : {}) });
  const res = await api(`/api/search?${qs}`, { cookie });
  return { status: res.status, body: (await res.json()) as SearchResponse };
}
const found = async (cookie: string, q: string) => (await search(cookie, q)).body.results.map((r) => [r.roomId, r.seq]);

describe("the FTS query built from what the person typed (ftsQuery)", () => {
  it("quotes every word, doubles inner quotes, makes the word being typed a prefix, drops what has no letter or digit", () => {
    expect(ftsQuery("hello wor")).toBe('"hello" "wor"*');
    expect(ftsQuery("hello world ")).toBe('"hello" "world"');
    expect(ftsQuery("hello w")).toBe('"hello" "w"');
    expect(ftsQuery('say "hi')).toBe('"say" """hi"*');
    expect(ftsQuery("NEAR(a b) OR c")).toBe('"NEAR(a" "b)" "OR" "c"');
    expect(ftsQuery("  - * ( ) : ^ ")).toBeNull();
    expect(ftsQuery("")).toBeNull();
    expect(ftsQuery("a b c d e f g h i j")).toBe('"a" "b" "c" "d" "e" "f" "g" "h"');
  });

  it("turns snippet markers into parts, and does not trust markers inside the message's own text", () => {
    expect(snippetParts("say \uE000hello\uE001 there", false)).toEqual([
      { text: "say ", hit: false },
      { text: "hello", hit: true },
      { text: " there", hit: false },
    ]);
    expect(snippetParts("fake \uE000bold\uE001", true)).toEqual([{ text: "fake bold", hit: false }]);
    expect(snippetParts("hi @[Ann \uE000Lee\uE001](u-ann)!", false)).toEqual([
      { text: "hi @Ann ", hit: false },
      { text: "Lee", hit: true },
      { text: "!", hit: false },
    ]);
  });
});

describe("GET /api/search", () => {
  it("finds a message after the room's flush, with room, author, time and a highlighted snippet", async () => {
    const { a, alice, bob, room, stub } = await twoInARoom("Planning");
    const w = word();
    a.send({ type: "send", cid: "c1", text: `the ${w} is ready, café open` });
    const ack = await a.next("ack");
    expect((await search(bob.cookie, w)).body.results).toEqual([]); // not flushed yet
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const { status, body } = await search(bob.cookie, w);
    expect(status).toBe(200);
    expect(body).toEqual({
      results: [
        {
          roomId: room.id,
          roomName: "Planning",
          roomKind: "group",
          seq: ack.seq,
          uid: alice.id,
          name: "Alice",
          ts: ack.ts,
          snippet: [
            { text: "the ", hit: false },
            { text: w, hit: true },
            { text: " is ready, café open", hit: false },
          ],
        },
      ],
      next: null,
    });
    // Diacritics and case folded; the last word is a prefix.
    expect(await found(bob.cookie, `CAFE ${w}`)).toEqual([[room.id, ack.seq]]);
    expect(await found(bob.cookie, `${w.slice(0, 6)}`)).toContainEqual([room.id, ack.seq]);
    // All words must match.
    expect(await found(bob.cookie, `${w} nowhere${word()}`)).toEqual([]);
  });

  it("lists newest first and pages with the cursor, without repeats or gaps", async () => {
    const { alice, room } = await aliceAndBob();
    const w = word();
    const total = SEARCH_PAGE * 2 + 5;
    await insertMessages(db(env.DB), room.id, Array.from({ length: total }, (_, i) => msg(i + 1, alice.id, `${w} number ${i + 1}`)));
    const seen: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const { body } = await search(alice.cookie, w, cursor);
      seen.push(...body.results.map((r) => r.seq));
      if (!body.next) break;
      cursor = body.next;
    }
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => total - i));
  });

  it("searches only rooms the person is a member of today: a removed member finds nothing of that room", async () => {
    const { alice, bob, room } = await aliceAndBob();
    const carol = await guest("Carol");
    const other = (await newRoom(carol.cookie, "elsewhere")).room;
    const w = word();
    await insertMessages(db(env.DB), room.id, [msg(1, alice.id, `${w} in general`)]);
    await insertMessages(db(env.DB), other.id, [msg(1, carol.id, `${w} elsewhere`)]);
    expect(await found(bob.cookie, w)).toEqual([[room.id, 1]]);
    expect(await found(carol.cookie, w)).toEqual([[other.id, 1]]);

    const res = await api(`/api/rooms/${room.id}/members/${bob.id}`, { method: "DELETE", cookie: alice.cookie });
    expect(res.status).toBe(204);
    expect(await found(bob.cookie, w)).toEqual([]);
    expect(await found(alice.cookie, w)).toEqual([[room.id, 1]]);
    // Back by the link: found again (membership today, not at send time).
    await joinRoom(room.id, bob.cookie);
    expect(await found(bob.cookie, w)).toEqual([[room.id, 1]]);
  });

  it("finds an edited message by its new text only, and a deleted one not at all", async () => {
    const { alice, room } = await aliceAndBob();
    const [before, after, gone] = [word(), word(), word()];
    const d = db(env.DB);
    await insertMessages(d, room.id, [msg(1, alice.id, `typo ${before}`), msg(2, alice.id, `remove ${gone}`)]);
    expect(await found(alice.cookie, before)).toEqual([[room.id, 1]]);
    // An edit as the flush writes it: UPDATE of the body.
    await env.DB.prepare("UPDATE messages SET body = ? WHERE room_id = ? AND seq = 1").bind(`fixed ${after}`, room.id).run();
    expect(await found(alice.cookie, before)).toEqual([]);
    expect(await found(alice.cookie, after)).toEqual([[room.id, 1]]);
    // A deletion as the flush writes it (a tombstone), twice: idempotent.
    await applyDeletions(d, room.id, [{ seq: 2, files: [] }]);
    await applyDeletions(d, room.id, [{ seq: 2, files: [] }]);
    expect(await found(alice.cookie, gone)).toEqual([]);
    expect(await found(alice.cookie, "remove")).toEqual([]);
    // A replayed flush of the original rows changes nothing (ON CONFLICT DO NOTHING fires no trigger).
    await insertMessages(d, room.id, [msg(1, alice.id, `typo ${before}`), msg(2, alice.id, `remove ${gone}`)]);
    expect(await found(alice.cookie, before)).toEqual([]);
    expect(await found(alice.cookie, gone)).toEqual([]);
    // The index is sound (not compared with all of `messages`: tombstones are left out on purpose).
    await env.DB.prepare("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')").run();
  });

  it("does not find a call's history line, and forgets a deleted room's messages", async () => {
    const { alice, room } = await aliceAndBob();
    const w = word();
    const d = db(env.DB);
    await insertMessages(d, room.id, [msg(1, alice.id, `Video call ${w}`, { call: { id: "k1", media: "video", outcome: "completed", durationMs: 1000 } }), msg(2, alice.id, `said ${w}`)]);
    expect(await found(alice.cookie, w)).toEqual([[room.id, 2]]);
    const res = await api(`/api/rooms/${room.id}`, { method: "DELETE", cookie: alice.cookie });
    expect(res.status).toBe(204);
    expect(await found(alice.cookie, w)).toEqual([]);
    const n = await env.DB.prepare("SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH ?").bind(`"${w}"`).first<number>("n");
    expect(n).toBe(0);
  });

  it("never answers a hostile query with a 500: FTS syntax is text, empty finds nothing, too long is a 400", async () => {
    const { alice, room } = await aliceAndBob();
    const w = word();
    await insertMessages(db(env.DB), room.id, [msg(1, alice.id, `${w} "quoted" NEAR(x) a*b (paren col:on ^caret -minus`)]);
    const hostile = ['"', '""', `${w}"`, "NEAR(", `NEAR(${w}`, "*", `${w}*`, "(", ")", `(${w}`, "-", `-${w}`, ":", "col:on", "^", "^caret", "AND", "OR NOT", "", "   ", "\u0000", "é".repeat(200)];
    for (const q of hostile) {
      const { status, body } = await search(alice.cookie, q);
      expect(status, q).toBe(200);
      expect(Array.isArray(body.results), q).toBe(true);
    }
    // Syntax characters are just text: they find the message they are in (a word with
    // punctuation inside is a phrase: its parts next to each other).
    expect(await found(alice.cookie, `${w} NEAR(x`)).toEqual([[room.id, 1]]);
    expect(await found(alice.cookie, `${w} col:on`)).toEqual([[room.id, 1]]);
    expect(await found(alice.cookie, `"quoted" ${w}`)).toEqual([[room.id, 1]]);
    expect((await search(alice.cookie, "")).body).toEqual({ results: [], next: null });

    const long = await api(`/api/search?q=${"a".repeat(1000)}`, { cookie: alice.cookie });
    expect(long.status).toBe(400);
    expect((await errorOf(long)).code).toBe("bad_request");
    const noQ = await api("/api/search", { cookie: alice.cookie });
    expect(noQ.status).toBe(400);
    const badCursor = await api(`/api/search?q=${w}&before=-1`, { cookie: alice.cookie });
    expect(badCursor.status).toBe(400);
  });

  it("refuses without a session (401)", async () => {
    const res = await api("/api/search?q=hello");
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("unauthorized");
  });

  it("reads through the FTS index, newest first, without a sort", async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${SEARCH_SQL}`).bind('"x"', "u", 1e15, 21).all<{ detail: string }>();
    const details = plan.results.map((r) => r.detail).join("\n");
    // The index drives the outer loop; messages and room_members are probed by key.
    expect(details).toMatch(/SCAN f VIRTUAL TABLE INDEX \d+:M/);
    expect(details).toMatch(/SEARCH m USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    expect(details).toMatch(/SEARCH rm USING (COVERING )?INDEX sqlite_autoindex_room_members_1 \(room_id=\? AND user_id=\?\)/);
    expect(details).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
  });
});

describe("GET /api/rooms/:id/messages?around=", () => {
  it("answers a page with the message in its middle, with reactions, and pages after it", async () => {
    const { alice, bob, room } = await aliceAndBob();
    const d = db(env.DB);
    await insertMessages(d, room.id, Array.from({ length: 300 }, (_, i) => msg(i + 1, alice.id, `m${i + 1}`)));
    await env.DB.prepare("INSERT INTO reactions (room_id, seq, emoji, user_id, created_at) VALUES (?, 100, '👍', ?, 1)").bind(room.id, bob.id).run();
    const res = await api(`/api/rooms/${room.id}/messages?around=100&limit=50`, { cookie: bob.cookie });
    expect(res.status).toBe(200);
    const page = (await res.json()) as HistoryResponse;
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 75 + i));
    expect(page.hasMore).toBe(true);
    expect(page.messages.find((m) => m.seq === 100)!.reactions).toEqual([{ emoji: "👍", users: [bob.id] }]);

    // Near either end the page fills from the other side.
    const start = (await (await api(`/api/rooms/${room.id}/messages?around=3&limit=10`, { cookie: bob.cookie })).json()) as HistoryResponse;
    expect(start.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(start.hasMore).toBe(false);
    const end = (await (await api(`/api/rooms/${room.id}/messages?around=299&limit=10`, { cookie: bob.cookie })).json()) as HistoryResponse;
    expect(end.messages.map((m) => m.seq)).toEqual([291, 292, 293, 294, 295, 296, 297, 298, 299, 300]);

    const after = (await (await api(`/api/rooms/${room.id}/messages?after=124&limit=5`, { cookie: bob.cookie })).json()) as HistoryResponse;
    expect(after.messages.map((m) => m.seq)).toEqual([125, 126, 127, 128, 129]);
  });

  it("refuses a non-member (403), a bad seq or two positions at once (400), and no session (401)", async () => {
    const { alice, room } = await aliceAndBob();
    const eve = await guest("Eve");
    const forbidden = await api(`/api/rooms/${room.id}/messages?around=1`, { cookie: eve.cookie });
    expect(forbidden.status).toBe(403);
    for (const q of ["around=abc", "around=0", "around=-5", "around=1e3", "around=5&before=9", "after=x"]) {
      const res = await api(`/api/rooms/${room.id}/messages?${q}`, { cookie: alice.cookie });
      expect(res.status, q).toBe(400);
      expect((await errorOf(res)).code).toBe("bad_request");
    }
    expect((await api(`/api/rooms/${room.id}/messages?around=1`)).status).toBe(401);
  });
});
