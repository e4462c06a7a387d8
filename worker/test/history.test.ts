/**
 * The flush's D1 writes (insertMessages): rows travel as one bound JSON string per
 * statement, so what comes back must be exactly what went in, whatever the text holds,
 * and a batch bigger than one statement must land whole.
 */
import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { db } from "../db/client";
import { insertMessages, messagesBefore } from "../db/queries";
import { MAX_BODY, MAX_PAGE, type HistoryResponse, type Message } from "../protocol";
import { api, guest, newRoom } from "./helpers";

const roomId = () => `hist-${crypto.randomUUID()}`;
const msg = (seq: number, extra: Partial<Message> = {}): Message => ({ seq, cid: `c${seq}`, uid: "u1", name: "Ann", text: `m${seq}`, ts: 1_700_000_000_000 + seq, ...extra });

describe("writing history to D1 (insertMessages)", () => {
  it("stores every field exactly: quotes, backslashes, JSON-looking and numeric text, emoji, a call summary, files, a tombstone", async () => {
    const d = db(env.DB);
    const room = roomId();
    const list: Message[] = [
      msg(1, { text: `she said "hi" \\ and left` }),
      msg(2, { text: `{"seq": 999, "cid": "x"}` }),
      msg(3, { text: "123", name: "Zoë 🙂" }),
      msg(4, { text: "Video call", call: { id: "call-1", media: "video", outcome: "completed", durationMs: 192_000 } }),
      msg(5, {
        text: "",
        attachments: [
          { id: "f1", name: "a \"b\".png", type: "image/png", size: 10, width: 3, height: 4, thumb: true },
          { id: "f2", name: "notes.txt", type: "text/plain", size: 0, thumb: false },
        ],
      }),
      msg(6, { text: "", deleted: true }),
      msg(7, { text: "line one\nline two\ttab 𝄞" }),
    ];
    const held = await insertMessages(d, room, list);
    expect([...held.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const back = (await messagesBefore(d, room, null, 100)).reverse();
    expect(back).toEqual(list);
  });

  it("lands a batch larger than one statement whole, in one transaction, and repeats harmlessly", async () => {
    const d = db(env.DB);
    const room = roomId();
    const big = "é".repeat(MAX_BODY); // 300 × 4,000 characters: three statements' worth
    const list = Array.from({ length: 300 }, (_, i) => msg(i + 1, { text: big.slice(0, MAX_BODY - 4) + String(i).padStart(4, "0") }));
    const held = await insertMessages(d, room, list);
    expect(held.size).toBe(300);
    const count = async () => (await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE room_id = ?").bind(room).first<{ n: number }>())!.n;
    expect(await count()).toBe(300);
    expect((await messagesBefore(d, room, 300, 1))[0]!.text.endsWith("0298")).toBe(true);

    // Again (a flush that reached D1 but was not recorded): nothing doubles, all still held.
    expect((await insertMessages(d, room, list)).size).toBe(300);
    expect(await count()).toBe(300);
  });

  it("does not take a second copy of a (sender, cid) at another seq: that seq is missing from what D1 holds", async () => {
    const d = db(env.DB);
    const room = roomId();
    await insertMessages(d, room, [msg(1)]);
    const held = await insertMessages(d, room, [msg(2, { cid: "c1" }), msg(3)]);
    expect(held.has(2)).toBe(false);
    expect(held.get(3)).toEqual({ uid: "u1", cid: "c3" });
    expect((await messagesBefore(d, room, null, 10)).map((m) => m.seq)).toEqual([3, 1]);
  });
});

describe("reading history from D1 (GET /api/rooms/:id/messages)", () => {
  it("answers the largest page, with its reactions, without passing D1's 100 bound parameters", async () => {
    const ann = await guest("Ann");
    const { room } = await newRoom(ann.cookie, "history");
    const d = db(env.DB);
    await insertMessages(d, room.id, Array.from({ length: MAX_PAGE + 20 }, (_, i) => msg(i + 1, { uid: ann.id })));
    await env.DB.prepare("INSERT INTO reactions (room_id, seq, emoji, user_id, created_at) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)")
      .bind(room.id, MAX_PAGE + 20, "👍", ann.id, 1, room.id, 21, "🎉", ann.id, 2)
      .run();
    const res = await api(`/api/rooms/${room.id}/messages?limit=${MAX_PAGE}&before=${MAX_PAGE + 21}`, { cookie: ann.cookie });
    expect(res.status).toBe(200);
    const page = (await res.json()) as HistoryResponse;
    expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: MAX_PAGE }, (_, i) => i + 21));
    expect(page.hasMore).toBe(true);
    expect(page.messages.at(-1)!.reactions).toEqual([{ emoji: "👍", users: [ann.id] }]);
    expect(page.messages[0]!.reactions).toEqual([{ emoji: "🎉", users: [ann.id] }]);
  });
});
