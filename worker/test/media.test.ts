import { describe, it, expect } from "vitest";
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, evictDurableObject, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import worker from "../index";
import { connect, guest, newRoom, api, heard } from "./helpers";
import { aliceAndBob } from "./fixtures";
import { PNG, WEBP, bytes, createUpload, download, path, putBytes, upload } from "./media-helpers";
import type { CreateUploadResponse } from "../protocol";



const objects = async (roomId: string) => (await env.MEDIA.list({ prefix: `rooms/${roomId}/` })).objects.map((o) => o.key);
const rows = async (roomId: string) =>
  (await env.DB.prepare("SELECT id, status, type, message_seq FROM attachments WHERE room_id = ?").bind(roomId).all<{ id: string; status: string; type: string; message_seq: number | null }>()).results;
const body = async (res: Response) => new Uint8Array(await res.arrayBuffer());

describe("uploads and downloads", () => {
  it("round-trips a small file byte for byte, with its metadata", async () => {
    const { room, alice, bob } = await aliceAndBob("media");
    const data = bytes(100_000);
    const a = await upload(room.id, alice.cookie, "../../etc/report\u0000\u202e.pdf", "application/pdf", data);
    expect(a).toMatchObject({ name: "report.pdf", type: "application/pdf", size: 100_000, thumb: false });
    const res = await download(room.id, a.id, bob.cookie);
    expect(res.status).toBe(200);
    expect(await body(res)).toEqual(data);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''report.pdf");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(res.headers.get("etag")).toBeTruthy();
    expect(res.headers.get("cache-control")).toMatch(/^private, max-age=\d+/);
    expect(await objects(room.id)).toEqual([`rooms/${room.id}/${a.id}`]);
  });

  it("uploads a 12 MiB file in 5 MiB parts and returns the same bytes", async () => {
    const { room, alice, bob } = await aliceAndBob("media");
    const data = bytes(12 * 1024 * 1024, 7);
    const res0 = await createUpload(room.id, alice.cookie, { name: "big.bin", type: "application/zip", size: data.length });
    const u = (await res0.json()) as CreateUploadResponse;
    expect(u).toMatchObject({ mode: "multipart", partSize: 5 * 1024 * 1024, parts: 3 });
    await api(path(room.id, `/uploads/${u.id}`), { method: "DELETE", cookie: alice.cookie });
    const a = await upload(room.id, alice.cookie, "big.bin", "application/zip", data);
    expect(a.size).toBe(data.length);
    const res = await download(room.id, a.id, bob.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(data.length));
    expect(await body(res)).toEqual(data);
  });

  it("refuses a part of the wrong length", async () => {
    const { room, alice } = await aliceAndBob("media");
    const res0 = await createUpload(room.id, alice.cookie, { name: "big.bin", type: "application/zip", size: 6 * 1024 * 1024 });
    const u = (await res0.json()) as CreateUploadResponse;
    const r = await putBytes(path(room.id, `/uploads/${u.id}/parts/1`), alice.cookie, bytes(1000));
    expect(r.status).toBe(400);
    const r2 = await putBytes(path(room.id, `/uploads/${u.id}/parts/3`), alice.cookie, bytes(1000));
    expect(r2.status).toBe(400);
    await api(path(room.id, `/uploads/${u.id}`), { method: "DELETE", cookie: alice.cookie });
  });

  it("serves ranges: first bytes, suffix, open-ended, and 416 outside the file", async () => {
    const { room, alice } = await aliceAndBob("media");
    const data = bytes(1000, 3);
    const a = await upload(room.id, alice.cookie, "clip.mp4", "video/mp4", data);
    const first = await download(room.id, a.id, alice.cookie, { range: "bytes=0-9" });
    expect(first.status).toBe(206);
    expect(first.headers.get("content-range")).toBe("bytes 0-9/1000");
    expect(first.headers.get("content-type")).toBe("video/mp4");
    expect(first.headers.get("content-disposition")).toMatch(/^inline;/);
    expect(await body(first)).toEqual(data.subarray(0, 10));
    const suffix = await download(room.id, a.id, alice.cookie, { range: "bytes=-100" });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get("content-range")).toBe("bytes 900-999/1000");
    expect(await body(suffix)).toEqual(data.subarray(900));
    const open = await download(room.id, a.id, alice.cookie, { range: "bytes=995-" });
    expect(open.status).toBe(206);
    expect(open.headers.get("content-range")).toBe("bytes 995-999/1000");
    expect(await body(open)).toEqual(data.subarray(995));
    const bad = await download(room.id, a.id, alice.cookie, { range: "bytes=1000-" });
    expect(bad.status).toBe(416);
    expect(bad.headers.get("content-range")).toBe("bytes */1000");
    await bad.body?.cancel();
  });

  it("keeps a real PNG inline, and a thumbnail", async () => {
    const { room, alice, bob } = await aliceAndBob("media");
    const a = await upload(room.id, alice.cookie, "cat.png", "image/png", PNG, { width: 640, height: 480, thumb: WEBP });
    expect(a).toMatchObject({ type: "image/png", width: 640, height: 480, thumb: true });
    const res = await download(room.id, a.id, bob.cookie);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(await body(res)).toEqual(PNG);
    const t = await download(room.id, a.id, bob.cookie, {}, true);
    expect(t.status).toBe(200);
    expect(t.headers.get("content-type")).toBe("image/webp");
    expect(await body(t)).toEqual(WEBP);
  });
});

describe("bad input", () => {
  it("refuses a declared size over the limit with 413 and stores nothing", async () => {
    const { room, alice } = await aliceAndBob("media");
    const res = await createUpload(room.id, alice.cookie, { name: "huge.iso", type: "application/x-iso9660-image", size: 20 * 1024 * 1024 + 1 });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("too_large");
    expect(await rows(room.id)).toEqual([]);
    expect(await objects(room.id)).toEqual([]);
  });

  it("refuses a body longer than declared before reading it, storing nothing", async () => {
    const { room, alice } = await aliceAndBob("media");
    const u = (await (await createUpload(room.id, alice.cookie, { name: "a.txt", type: "text/plain", size: 10 })).json()) as CreateUploadResponse;
    const big = await putBytes(path(room.id, `/uploads/${u.id}`), alice.cookie, bytes(30 * 1024 * 1024));
    expect(big.status).toBe(413);
    const longer = await putBytes(path(room.id, `/uploads/${u.id}`), alice.cookie, bytes(11));
    expect(longer.status).toBe(400);
    expect(await objects(room.id)).toEqual([]);
    expect((await rows(room.id))[0]?.status).toBe("pending");
  });

  it("refuses uploads from a non-member (403), to an unknown room (404), without a session (401)", async () => {
    const { room } = await aliceAndBob("media");
    const eve = await guest("Eve");
    const meta = { name: "x.txt", type: "text/plain", size: 3 };
    expect((await createUpload(room.id, eve.cookie, meta)).status).toBe(403);
    expect((await createUpload("AAAAAAAAAAAAAAAAAAAAAA", eve.cookie, meta)).status).toBe(404);
    expect((await api(path(room.id, "/uploads"), { method: "POST", body: JSON.stringify(meta) })).status).toBe(401);
    expect(await rows(room.id)).toEqual([]);
  });

  it("refuses a malformed upload request with 400", async () => {
    const { room, alice } = await aliceAndBob("media");
    for (const meta of [{ name: "x", type: "text/plain", size: -1 }, { name: "", type: "text/plain", size: 3 }, { type: "text/plain", size: 3 }]) {
      const res = await api(path(room.id, "/uploads"), { method: "POST", cookie: alice.cookie, body: JSON.stringify(meta) });
      expect(res.status).toBe(400);
      await res.body?.cancel();
    }
  });

  it("stores an 'image' whose bytes are not that image as a plain file, served as a download", async () => {
    const { room, alice, bob } = await aliceAndBob("media");
    const html = new TextEncoder().encode("<html><script>alert(1)</script></html>");
    const a = await upload(room.id, alice.cookie, "photo.png", "image/png", html);
    expect(a.type).toBe("application/octet-stream");
    const res = await download(room.id, a.id, bob.cookie);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    await res.body?.cancel();
    // And a GIF claimed as PNG is not a PNG either.
    const gif = await upload(room.id, alice.cookie, "x.png", "image/png", new TextEncoder().encode("GIF89a......"));
    expect(gif.type).toBe("application/octet-stream");
  });

  it("never serves an SVG inline: a download, with a sandboxing CSP and nosniff", async () => {
    const { room, alice, bob } = await aliceAndBob("media");
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>');
    const a = await upload(room.id, alice.cookie, "logo.svg", "image/svg+xml", svg);
    const res = await download(room.id, a.id, bob.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''logo.svg");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    await res.body?.cancel();
  });

  it("refuses downloads to a non-member (403), without a session (401), of unknown or unfinished files (404)", async () => {
    const { room, alice } = await aliceAndBob("media");
    const a = await upload(room.id, alice.cookie, "a.txt", "text/plain", bytes(10));
    const eve = await guest("Eve");
    const forbidden = await download(room.id, a.id, eve.cookie);
    expect(forbidden.status).toBe(403);
    const anon = await download(room.id, a.id, undefined);
    expect(anon.status).toBe(401);
    const unknown = await download(room.id, "nope", alice.cookie);
    expect(unknown.status).toBe(404);
    // Another room's file through this room's path: 404.
    const { room: other } = await newRoom(alice.cookie, "other");
    const cross = await download(other.id, a.id, alice.cookie);
    expect(cross.status).toBe(404);
    const u = (await (await createUpload(room.id, alice.cookie, { name: "b", type: "text/plain", size: 5 })).json()) as CreateUploadResponse;
    const pending = await download(room.id, u.id, alice.cookie);
    expect(pending.status).toBe(404);
    for (const r of [forbidden, anon, unknown, cross, pending]) await r.body?.cancel();
  });

  it("refuses a thumbnail that is too large or not an image", async () => {
    const { room, alice } = await aliceAndBob("media");
    const u = (await (await createUpload(room.id, alice.cookie, { name: "p.png", type: "image/png", size: PNG.length })).json()) as CreateUploadResponse;
    const base = path(room.id, `/uploads/${u.id}/thumb`);
    expect((await putBytes(base, alice.cookie, bytes(256 * 1024 + 1), { "content-type": "image/webp" })).status).toBe(413);
    expect((await putBytes(base, alice.cookie, bytes(100), { "content-type": "image/webp" })).status).toBe(400);
    expect((await putBytes(base, alice.cookie, PNG, { "content-type": "image/svg+xml" })).status).toBe(400);
    expect(await objects(room.id)).toEqual([]);
  });

  it("an aborted multipart upload leaves no object and no row", async () => {
    const { room, alice, bob } = await aliceAndBob("media");
    const u = (await (await createUpload(room.id, alice.cookie, { name: "big", type: "application/zip", size: 6 * 1024 * 1024 })).json()) as CreateUploadResponse;
    const p1 = await putBytes(path(room.id, `/uploads/${u.id}/parts/1`), alice.cookie, bytes(5 * 1024 * 1024));
    expect(p1.status).toBe(200);
    await p1.body?.cancel();
    // Not Bob's to cancel.
    expect((await api(path(room.id, `/uploads/${u.id}`), { method: "DELETE", cookie: bob.cookie })).status).toBe(404);
    expect((await api(path(room.id, `/uploads/${u.id}`), { method: "DELETE", cookie: alice.cookie })).status).toBe(204);
    expect(await rows(room.id)).toEqual([]);
    expect(await objects(room.id)).toEqual([]);
    const late = await putBytes(path(room.id, `/uploads/${u.id}/parts/2`), alice.cookie, bytes(1024 * 1024));
    expect(late.status).toBe(404);
  });

  it("the scheduled sweep removes uploads abandoned for more than 24 h: pending, or finished and never sent", async () => {
    const { room, alice } = await aliceAndBob("media");
    const created = async (name: string, size: number) =>
      (await (await createUpload(room.id, alice.cookie, { name, type: "application/zip", size })).json()) as CreateUploadResponse;
    const old = await created("old", 6 * 1024 * 1024);
    const p1 = await putBytes(path(room.id, `/uploads/${old.id}/parts/1`), alice.cookie, bytes(5 * 1024 * 1024));
    await p1.body?.cancel();
    const oldSingle = await created("old2", 5);
    const fresh = await created("new", 5);
    const unsent = await upload(room.id, alice.cookie, "unsent.txt", "text/plain", bytes(5));
    const sent = await upload(room.id, alice.cookie, "sent.txt", "text/plain", bytes(5));
    const ca = await connect(room.id, alice.cookie);
    ca.send({ type: "send", cid: "s", text: "", attachments: [sent.id] }); // not flushed yet: only the room knows
    await ca.next("ack");
    const dayAgo = Date.now() - 25 * 60 * 60 * 1000;
    await env.DB.prepare("UPDATE attachments SET created_at = ? WHERE id IN (?, ?, ?, ?)").bind(dayAgo, old.id, oldSingle.id, unsent.id, sent.id).run();
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "17 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const left = (await rows(room.id)).map((r) => r.id).sort();
    expect(left).toEqual([fresh.id, sent.id].sort());
    expect(await objects(room.id)).toEqual([`rooms/${room.id}/${sent.id}`]);
    // The swept finished upload can no longer be sent.
    ca.send({ type: "send", cid: "u", text: "", attachments: [unsent.id] });
    expect((await ca.next("error", (f) => f.cid === "u")).code).toBe("bad_attachment");
  });

  it("deleting the room deletes its objects and attachment rows", async () => {
    const { room, alice } = await aliceAndBob("media");
    await upload(room.id, alice.cookie, "a.png", "image/png", PNG, { thumb: WEBP });
    const u = (await (await createUpload(room.id, alice.cookie, { name: "big", type: "application/zip", size: 6 * 1024 * 1024 })).json()) as CreateUploadResponse;
    await (await putBytes(path(room.id, `/uploads/${u.id}/parts/1`), alice.cookie, bytes(5 * 1024 * 1024))).body?.cancel();
    expect(await objects(room.id)).toHaveLength(2);
    const res = await api(path(room.id), { method: "DELETE", cookie: alice.cookie });
    expect(res.status).toBe(204);
    for (let i = 0; i < 50 && (await objects(room.id)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await objects(room.id)).toEqual([]);
    expect(await rows(room.id)).toEqual([]);
  });
});

describe("attachments on messages", () => {
  it("carries the attachment's metadata to the other socket, in the ack, history and D1", async () => {
    const { room, alice, bob } = await aliceAndBob("media");
    const a = await upload(room.id, alice.cookie, "cat.png", "image/png", PNG, { width: 4, height: 3 });
    const ca = await connect(room.id, alice.cookie);
    const cb = await connect(room.id, bob.cookie);
    ca.send({ type: "send", cid: "m1", text: "", attachments: [a.id] });
    const ack = await ca.next("ack", (f) => f.cid === "m1");
    expect(ack.attachments).toEqual([a]);
    const got = await cb.next("msgs", (f) => f.messages.some((m) => m.cid === "m1"));
    expect(got.messages[0]).toMatchObject({ text: "", attachments: [a] });
    await runDurableObjectAlarm(env.ROOMS.getByName(room.id));
    const d1 = await env.DB.prepare("SELECT attachments FROM messages WHERE room_id = ? AND seq = ?").bind(room.id, ack.seq).first<string>("attachments");
    expect(JSON.parse(d1!)).toEqual([a]);
    expect((await rows(room.id))[0]?.message_seq).toBe(ack.seq);
    const hist = await api(path(room.id, "/messages"), { cookie: bob.cookie });
    expect(((await hist.json()) as { messages: unknown[] }).messages).toEqual([expect.objectContaining({ attachments: [a] })]);
  });

  it("refuses someone else's attachment id, an unknown one, one already sent, an empty message without files", async () => {
    const { room, alice, bob } = await aliceAndBob("media");
    const a = await upload(room.id, alice.cookie, "a.txt", "text/plain", bytes(10));
    const ca = await connect(room.id, alice.cookie);
    const cb = await connect(room.id, bob.cookie);
    cb.send({ type: "send", cid: "steal", text: "mine now", attachments: [a.id] });
    expect((await cb.next("error", (f) => f.cid === "steal")).code).toBe("bad_attachment");
    cb.send({ type: "send", cid: "unknown", text: "x", attachments: ["nope"] });
    expect((await cb.next("error", (f) => f.cid === "unknown")).code).toBe("bad_attachment");
    ca.send({ type: "send", cid: "ok", text: "", attachments: [a.id] });
    await ca.next("ack", (f) => f.cid === "ok");
    ca.send({ type: "send", cid: "twice", text: "again", attachments: [a.id] });
    expect((await ca.next("error", (f) => f.cid === "twice")).code).toBe("bad_attachment");
    ca.send({ type: "send", cid: "empty", text: "  " });
    expect((await ca.next("error", (f) => f.cid === "empty")).code).toBe("invalid_frame");
    ca.send({ type: "send", cid: "many", text: "x", attachments: Array.from({ length: 11 }, (_, i) => `id${i}`) });
    expect((await ca.next("error", (f) => f.cid === "many")).code).toBe("invalid_frame");
    // A file already sent cannot be discarded through the upload route.
    expect((await api(path(room.id, `/uploads/${a.id}`), { method: "DELETE", cookie: alice.cookie })).status).toBe(409);
  });

  it("a finished upload can be sent after the room object was evicted (it is in the room's storage)", async () => {
    const { room, alice, bob } = await aliceAndBob("media");
    const a = await upload(room.id, alice.cookie, "a.txt", "text/plain", bytes(10));
    await evictDurableObject(env.ROOMS.getByName(room.id));
    const ca = await connect(room.id, alice.cookie);
    const cb = await connect(room.id, bob.cookie);
    ca.send({ type: "send", cid: "after", text: "here", attachments: [a.id] });
    expect((await heard(cb, "after")).attachments).toEqual([a]);
  });

  it("complete refuses a missing part; a thumbnail after completion is refused", async () => {
    const { room, alice } = await aliceAndBob("media");
    const u = (await (await createUpload(room.id, alice.cookie, { name: "big", type: "application/zip", size: 6 * 1024 * 1024 })).json()) as CreateUploadResponse;
    const p1 = await putBytes(path(room.id, `/uploads/${u.id}/parts/1`), alice.cookie, bytes(5 * 1024 * 1024));
    const part = await p1.json();
    const r = await api(path(room.id, `/uploads/${u.id}/complete`), { method: "POST", cookie: alice.cookie, body: JSON.stringify({ parts: [part] }) });
    expect(r.status).toBe(400);
    await r.body?.cancel();
    await api(path(room.id, `/uploads/${u.id}`), { method: "DELETE", cookie: alice.cookie });
    const done = await upload(room.id, alice.cookie, "a.txt", "text/plain", bytes(10));
    const t = await putBytes(path(room.id, `/uploads/${done.id}/thumb`), alice.cookie, WEBP, { "content-type": "image/webp" });
    expect(t.status).toBe(409);
    await t.body?.cancel();
  });

  it("another room's attachment cannot be sent here", async () => {
    const { room, alice } = await aliceAndBob("media");
    const { room: other } = await newRoom(alice.cookie, "elsewhere");
    const a = await upload(other.id, alice.cookie, "a.txt", "text/plain", bytes(10));
    const ca = await connect(room.id, alice.cookie);
    ca.send({ type: "send", cid: "x", text: "", attachments: [a.id] });
    expect((await ca.next("error", (f) => f.cid === "x")).code).toBe("bad_attachment");
  });
});

describe("deleting a message", () => {
  it("turns it into a tombstone everywhere and deletes its objects and rows after the alarm", async () => {
    const { room, alice, bob } = await aliceAndBob("media");
    const a = await upload(room.id, alice.cookie, "cat.png", "image/png", PNG, { thumb: WEBP });
    const ca = await connect(room.id, alice.cookie);
    const cb = await connect(room.id, bob.cookie);
    ca.send({ type: "send", cid: "m1", text: "look", attachments: [a.id] });
    const { seq } = await ca.next("ack", (f) => f.cid === "m1");
    const stub = env.ROOMS.getByName(room.id);
    await runDurableObjectAlarm(stub);
    cb.send({ type: "delete", seq });
    expect((await cb.next("error")).code).toBe("not_your_message");
    ca.send({ type: "delete", seq });
    expect((await cb.next("deleted")).seq).toBe(seq);
    expect(await objects(room.id)).toHaveLength(2);
    await runDurableObjectAlarm(stub);
    expect(await objects(room.id)).toEqual([]);
    expect(await rows(room.id)).toEqual([]);
    const m = await env.DB.prepare("SELECT body, attachments, deleted FROM messages WHERE room_id = ? AND seq = ?").bind(room.id, seq).first();
    expect(m).toEqual({ body: "", attachments: null, deleted: 1 });
    const again = await connect(room.id, bob.cookie);
    const welcome = await again.next("welcome");
    expect(welcome.messages.find((x) => x.seq === seq)).toMatchObject({ text: "", deleted: true });
    expect(welcome.messages.find((x) => x.seq === seq)?.attachments).toBeUndefined();
    const gone = await download(room.id, a.id, bob.cookie);
    expect(gone.status).toBe(404);
    await gone.body?.cancel();
  });
});

void exports;
