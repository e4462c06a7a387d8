/**
 * Upload quotas (worker/media/quota.ts), with the test limits of vitest.config.ts: 4 uploads
 * in progress per person, 40 MiB started per person per 24 h, 60 MiB of files per room.
 * Declared sizes are what counts, so most uploads here are started and never sent a byte.
 */
import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { api, guest, joinRoom, newRoom, errorOf, type Person } from "./helpers";
import { bytes, createUpload, path, putBytes, upload } from "./media-helpers";
import type { CreateUploadResponse } from "../protocol";

const MiB = 1024 * 1024;

const objects = async (roomId: string) => (await env.MEDIA.list({ prefix: `rooms/${roomId}/` })).objects.map((o) => o.key);
const rowsOf = async (userId: string) =>
  (await env.DB.prepare("SELECT id, status, size FROM attachments WHERE uploader_id = ? ORDER BY created_at").bind(userId).all<{ id: string; status: string; size: number }>())
    .results;

/** Starts an upload of `size` declared bytes; returns its id (fails the test unless 201). */
async function start(roomId: string, p: Person, size: number, name = "f.bin"): Promise<CreateUploadResponse> {
  const res = await createUpload(roomId, p.cookie, { name, type: "application/octet-stream", size });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

async function aRoom() {
  const alice = await guest("Alice");
  const { room } = await newRoom(alice.cookie);
  return { alice, room };
}

describe("uploads in progress, per person", () => {
  it("a fifth upload at once is refused with 429 and stores nothing; finishing or cancelling one frees its place", async () => {
    const { alice, room } = await aRoom();
    const started = [];
    for (let i = 0; i < 4; i++) started.push(await start(room.id, alice, 10));

    const refused = await createUpload(room.id, alice.cookie, { name: "five.bin", type: "application/octet-stream", size: 10 });
    expect(refused.status).toBe(429);
    expect(await errorOf(refused)).toEqual({ code: "too_many_uploads", message: "at most 4 uploads can be in progress at once; wait for one to finish" });
    expect(await rowsOf(alice.id)).toHaveLength(4);

    // One finishes: a place is free.
    const done = await putBytes(path(room.id, `/uploads/${started[0]!.id}`), alice.cookie, bytes(10));
    expect(done.status).toBe(200);
    const fifth = await start(room.id, alice, 10);
    expect((await createUpload(room.id, alice.cookie, { name: "six.bin", type: "text/plain", size: 10 })).status).toBe(429);
    // One is cancelled: a place is free again.
    expect((await api(path(room.id, `/uploads/${fifth.id}`), { method: "DELETE", cookie: alice.cookie })).status).toBe(204);
    await start(room.id, alice, 10);
    expect(await objects(room.id)).toEqual([`rooms/${room.id}/${started[0]!.id}`]);
  });

  it("counts every room (one person, one limit), and not other people", async () => {
    const { alice, room } = await aRoom();
    const other = (await newRoom(alice.cookie)).room;
    for (let i = 0; i < 2; i++) await start(room.id, alice, 10);
    for (let i = 0; i < 2; i++) await start(other.id, alice, 10);
    expect((await createUpload(other.id, alice.cookie, { name: "x.bin", type: "text/plain", size: 10 })).status).toBe(429);
    const bob = await guest("Bob");
    await joinRoom(room.id, bob.cookie);
    await start(room.id, bob, 10);
  });

  it("an upload left pending for over an hour (a closed tab) no longer blocks its uploader", async () => {
    const { alice, room } = await aRoom();
    for (let i = 0; i < 4; i++) await start(room.id, alice, 10);
    expect((await createUpload(room.id, alice.cookie, { name: "x.bin", type: "text/plain", size: 10 })).status).toBe(429);
    await env.DB.prepare("UPDATE attachments SET created_at = ? WHERE uploader_id = ?").bind(Date.now() - 3600_000 - 1000, alice.id).run();
    await start(room.id, alice, 10);
  });
});

describe("bytes per person per day", () => {
  it("an upload that would pass 40 MiB in 24 h is refused with 429 and Retry-After; what fits still goes", async () => {
    const { alice, room } = await aRoom();
    await start(room.id, alice, 15 * MiB);
    await start(room.id, alice, 15 * MiB);

    const refused = await createUpload(room.id, alice.cookie, { name: "big.bin", type: "application/octet-stream", size: 11 * MiB });
    expect(refused.status).toBe(429);
    expect(await errorOf(refused)).toEqual({
      code: "upload_quota",
      message: "you have uploaded 30 MiB in the last 24 hours, and 40 MiB is the most per day; try again later",
    });
    // When the oldest of today's uploads stops counting: a day from now, give or take the test's own time.
    const retry = Number(refused.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(24 * 3600 - 60);
    expect(retry).toBeLessThanOrEqual(24 * 3600);
    expect((await rowsOf(alice.id)).map((r) => r.size)).toEqual([15 * MiB, 15 * MiB]);

    // Exactly up to the limit is fine, and finishes.
    const last = await upload(room.id, alice.cookie, "fits.bin", "application/octet-stream", bytes(10 * MiB));
    expect(last.size).toBe(10 * MiB);
    expect(await objects(room.id)).toEqual([`rooms/${room.id}/${last.id}`]);
  });

  it("uploads started more than 24 h ago no longer count", async () => {
    const { alice, room } = await aRoom();
    const old = await start(room.id, alice, 15 * MiB);
    await putBytes(path(room.id, `/uploads/${old.id}/parts/1`), alice.cookie, bytes(5 * MiB)); // under way, then left
    await start(room.id, alice, 15 * MiB);
    expect((await createUpload(room.id, alice.cookie, { name: "x.bin", type: "text/plain", size: 15 * MiB })).status).toBe(429);
    await env.DB.prepare("UPDATE attachments SET created_at = ? WHERE id = ?").bind(Date.now() - 24 * 3600_000 - 1000, old.id).run();
    await start(room.id, alice, 15 * MiB);
  });
});

describe("storage per room", () => {
  it("an upload that would take the room's files past 60 MiB is refused with 413 for anyone; deleting files makes room", async () => {
    const { alice, room } = await aRoom();
    const [bob, carol] = [await guest("Bob"), await guest("Carol")];
    for (const p of [bob, carol]) await joinRoom(room.id, p.cookie);
    const first = await start(room.id, alice, 20 * MiB);
    await start(room.id, alice, 20 * MiB);
    await start(room.id, bob, 20 * MiB);

    const refused = await createUpload(room.id, carol.cookie, { name: "one.bin", type: "application/octet-stream", size: 1 });
    expect(refused.status).toBe(413);
    expect(await errorOf(refused)).toEqual({
      code: "room_storage_full",
      message: "this room's files take 60 MiB of the 60 MiB it may hold; delete some files to make room",
    });
    expect(await rowsOf(carol.id)).toEqual([]);
    // Carol may still upload elsewhere.
    const hers = (await newRoom(carol.cookie)).room;
    await start(hers.id, carol, 1);

    expect((await api(path(room.id, `/uploads/${first.id}`), { method: "DELETE", cookie: alice.cookie })).status).toBe(204);
    const a = await upload(room.id, carol.cookie, "one.bin", "application/octet-stream", bytes(1));
    expect(await objects(room.id)).toEqual([`rooms/${room.id}/${a.id}`]);
  });
});

describe("many uploads started at once", () => {
  it("cannot all slip under the limit: of 12 concurrent starts, exactly 4 are taken", async () => {
    const { alice, room } = await aRoom();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => createUpload(room.id, alice.cookie, { name: `f${i}.bin`, type: "application/octet-stream", size: 100 * 1024 })),
    );
    const statuses = results.map((r) => r.status).sort();
    for (const r of results) await r.body?.cancel();
    expect(statuses).toEqual([...Array(4).fill(201), ...Array(8).fill(429)]);
    expect(await rowsOf(alice.id)).toHaveLength(4);
  });
});
