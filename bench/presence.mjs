#!/usr/bin/env node
/**
 * Presence and read-receipt fan-out, measured (printed, not asserted): one person P in ROOMS
 * rooms with ROOMS × PER_ROOM distinct co-members (default 50 × 10 = 500), of whom LIVE have
 * the app open (a hub socket). P opens the app, reads, hides the tab (away), then closes it.
 * For each presence change: how many presence frames reached the co-members' tabs, how many
 * idle hubs were woken (counted as UserHub storage files that appeared under the dev server's
 * state: a told hub writes its peers), and how long until every live co-member had heard it.
 * Receipts: in every room one live co-member has the room open and has said READS things; P
 * then reads them one by one in every room (ROOMS × READS reads, as when scrolling through):
 * how many `receipts` frames reached the open rooms (coalesced: not one per read), how many
 * idle hubs were woken, and how long until every open room showed P's last read.
 *
 *   node bench/presence.mjs [--rooms 50] [--per-room 10] [--live 50] [--reads 5]
 */
import { readdirSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { startDev } from "../test/support/wrangler-dev.mjs";
import { api } from "./lib/targets.mjs";
import { now, pool, sleep } from "./lib/util.mjs";

const arg = (flag, d) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const ROOMS = arg("--rooms", 50);
const PER_ROOM = arg("--per-room", 10);
const LIVE = arg("--live", 50);
const READS = arg("--reads", 5);
const CO = ROOMS * PER_ROOM;

/** UserHub storage files under the dev server's state (one per hub that stored anything). */
function hubFiles(dir) {
  let n = 0;
  const walk = (d, hub) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), hub || e.name.includes("UserHub"));
      else if (hub && e.name.endsWith(".sqlite")) n++;
    }
  };
  walk(dir, false);
  return n;
}

/** A hub socket that says hello and counts the presence frames it gets. */
function hub(base, cookie) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/api/me/ws`, { headers: { cookie, origin: base } });
    const h = { ws, frames: 0, all: /** @type {any} */ (null), tAll: NaN, about: new Map() };
    ws.on("message", (data) => {
      const f = JSON.parse(String(data));
      if (f.type !== "presence") return;
      h.frames++;
      for (const u of f.users) h.about.set(u.id, u.status);
      if (f.all) ((h.all = f), (h.tAll = now()));
    });
    ws.on("open", () => {
      ws.send(JSON.stringify({ type: "presence", away: false }));
      resolve(h);
    });
    ws.on("error", reject);
  });
}

/** A room socket that counts the `receipts` frames it gets and what they said of `about`. */
function roomSocket(base, cookie, roomId, about) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}/api/rooms/${roomId}/ws?v=1`, { headers: { cookie, origin: base } });
    const r = { ws, frames: 0, entries: 0, read: 0, acks: 0 };
    ws.on("message", (data) => {
      const f = JSON.parse(String(data));
      if (f.type === "welcome") resolve(r);
      else if (f.type === "ack") r.acks++;
      else if (f.type === "receipts") {
        r.frames++;
        r.entries += f.receipts.length;
        for (const e of f.receipts) if (e.id === about && e.read !== undefined) r.read = Math.max(r.read, e.read);
      }
    });
    ws.on("error", reject);
  });
}

async function until(check, what, ms = 60_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

const dir = mkdtempSync(join(tmpdir(), "bench-presence-"));
const dev = await startDev({ persistTo: dir });
try {
  const base = dev.url;
  console.log(`presence and receipts: P in ${ROOMS} rooms with ${CO} co-members, ${LIVE} of them with the app open`);
  const guests = await pool([...Array(CO + 1).keys()], 8, async (n) => {
    const ip = `198.18.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
    const { res, json } = await api(base, "/api/session", { body: { name: `p-${n}` }, ip });
    return { cookie: /** @type {string} */ (res.headers.getSetCookie()[0]?.split(";")[0]), id: json.user.id };
  });
  const [p, ...co] = guests;
  const rooms = /** @type {string[]} */ ([]);
  await pool([...Array(ROOMS).keys()], 4, async (r) => {
    const block = co.slice(r * PER_ROOM, (r + 1) * PER_ROOM);
    const { json } = await api(base, "/api/rooms", { cookie: block[0].cookie, body: { name: `room ${r}` } });
    rooms[r] = json.room.id;
    for (const m of [...block.slice(1), p]) await api(base, `/api/invites/${json.room.invite}/join`, { cookie: m.cookie, body: {} });
  });
  // The live ones, spread over the rooms.
  const live = await Promise.all(co.filter((_, i) => i % Math.max(1, Math.floor(CO / LIVE)) === 0).slice(0, LIVE).map((m) => hub(base, m.cookie)));
  await until(() => live.every((h) => h.all), "the live co-members' lists");
  await sleep(500);

  const step = async (label, act, done) => {
    const files = hubFiles(dir);
    const before = live.reduce((s, h) => s + h.frames, 0);
    const t = now();
    const out = await act();
    await until(() => done(out), label);
    const ms = now() - t;
    await sleep(1000); // stragglers
    const frames = live.reduce((s, h) => s + h.frames, 0) - before;
    const woken = hubFiles(dir) - files;
    console.log(`  ${label.padEnd(10)} frames to co-members' tabs ${String(frames).padStart(4)} (live hubs ${LIVE})   new hub storage ${woken}   every live co-member told in ${ms.toFixed(0)} ms`);
    return out;
  };
  const ph = await step("online", () => hub(base, p.cookie), (h) => h.all?.users.length === CO && live.every((x) => x.about.get(p.id) === "online"));
    console.log(`    P's tab got the presence of all ${ph.all.users.length} co-members (${ph.all.users.filter((u) => u.status !== "offline").length} online) within that time`);
  {
    // Receipts: one live co-member per room (the room's maker) has it open and says READS things.
    const makers = co.filter((_, i) => i % PER_ROOM === 0);
    const open = await Promise.all(makers.map((m, r) => roomSocket(base, m.cookie, rooms[r], p.id)));
    for (const o of open) for (let i = 0; i < READS; i++) o.ws.send(JSON.stringify({ type: "send", cid: `r${i}`, text: `news ${i}` }));
    await until(() => open.every((o) => o.acks === READS), "the messages' acks");
    await sleep(1000);
    const files = hubFiles(dir);
    const t = now();
    await pool([...Array(ROOMS).keys()], 4, async (r) => {
      for (let seq = 1; seq <= READS; seq++) await api(base, `/api/rooms/${rooms[r]}/read`, { cookie: p.cookie, body: { seq } });
    });
    const tReads = now() - t;
    await until(() => open.every((o) => o.read === READS), "P's reads in every open room");
    const ms = now() - t;
    await sleep(1000);
    const frames = open.reduce((s, o) => s + o.frames, 0);
    const entries = open.reduce((s, o) => s + o.entries, 0);
    console.log(
      `  receipts   ${ROOMS * READS} reads (${READS} per room, sent in ${tReads.toFixed(0)} ms)   receipts frames to the ${ROOMS} open rooms ${frames} (${(frames / ROOMS).toFixed(1)} per room, ${entries} positions)   new hub storage ${hubFiles(dir) - files}   every open room showed P's last read in ${ms.toFixed(0)} ms`,
    );
    for (const o of open) o.ws.close();
  }
  await step("away", () => ph.ws.send(JSON.stringify({ type: "presence", away: true })), () => live.every((x) => x.about.get(p.id) === "away"));
  await step("offline", () => ph.ws.close(), () => live.every((x) => x.about.get(p.id) === "offline"));
  console.log("  (new hub storage counts P's own hub when it first stores: 1 on the first change; any more would be idle hubs woken)");
  console.log("  (receipts go only to the room's open sockets; a read tells no hub but the reader's own)");
  for (const h of live) h.ws.close();
} finally {
  await dev.stop();
  rmSync(dir, { recursive: true, force: true });
}
