/**
 * Read receipts (issue 10, item 5): read positions reach the room's sockets as coalesced
 * `receipts` frames, only forward and never past the room's last seq; deliveries are seen
 * by the room's fan-out and the hubs; "Send read receipts" off hides reads both ways.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import type { Receipt, ServerFrame } from "../protocol";
import { account, api, connect, connectHub, errorOf, guest, joinRoom, newRoom, post, sleep, startDm, untilWatching, type Client, type Person } from "./helpers";

/** Sends messages as `c` and waits for their acks; returns the last seq. */
async function say(c: Client, ...texts: string[]): Promise<number> {
  let seq = 0;
  for (const text of texts) {
    const cid = crypto.randomUUID();
    c.send({ type: "send", cid, text });
    seq = (await c.next("ack", (f) => f.cid === cid)).seq;
  }
  return seq;
}

const read = (roomId: string, who: Person, seq: number) => post(`/api/rooms/${roomId}/read`, who.cookie, { seq });
const setReceipts = (cookie: string | undefined, body: unknown) => api("/api/me/receipts", { method: "PUT", cookie, body: JSON.stringify(body) });

/** What `c` was told about `uid`, in order: one entry per receipts frame that named them. */
function about(c: Client, uid: string): Receipt[] {
  return c.frames.flatMap((f: ServerFrame) => (f.type === "receipts" ? f.receipts.filter((r) => r.id === uid) : []));
}
const until = (c: Client, uid: string, ok: (r: Receipt) => boolean) => c.until(() => about(c, uid).some(ok));

async function pair() {
  const [ann, ben] = [await guest("Ann"), await guest("Ben")];
  const { room } = await newRoom(ann.cookie, "receipts");
  await joinRoom(room.id, ben.cookie);
  return { ann, ben, room };
}

describe("read receipts", () => {
  it("a read by B reaches A's socket as a receipts frame, and a fresh socket's welcome has it", async () => {
    const { ann, ben, room } = await pair();
    const a = await connect(room.id, ann.cookie);
    await say(a, "one", "two", "three");
    expect((await read(room.id, ben, 2)).status).toBe(204);
    await until(a, ben.id, (r) => r.read === 2);
    expect(about(a, ben.id).at(-1)).toEqual({ id: ben.id, delivered: 2, read: 2 });
    const again = await connect(room.id, ann.cookie);
    const welcome = again.frames.find((f) => f.type === "welcome");
    expect(welcome?.type === "welcome" && welcome.receipts).toContainEqual({ id: ben.id, delivered: 2, read: 2 });
  });

  it("coalesces: many reads at once reach the others as a few frames, ending at the newest position", async () => {
    const { ann, ben, room } = await pair();
    const a = await connect(room.id, ann.cookie);
    const last = await say(a, "1", "2", "3", "4", "5");
    a.clear();
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => read(room.id, ben, (i % last) + 1).then((r) => r.status)));
    expect(statuses.every((s) => s === 204)).toBe(true);
    await until(a, ben.id, (r) => r.read === last);
    const reads = about(a, ben.id).map((r) => r.read);
    expect(reads.length).toBeLessThan(5);
    // Never backwards, in whatever order the reads arrived.
    expect([...reads].sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(reads);
  });

  it("a read from the past does nothing, and one past the last seq is clamped to it", async () => {
    const { ann, ben, room } = await pair();
    const a = await connect(room.id, ann.cookie);
    const last = await say(a, "1", "2", "3", "4", "5");
    await read(room.id, ben, 3);
    await until(a, ben.id, (r) => r.read === 3);
    expect((await read(room.id, ben, 1)).status).toBe(204);
    expect((await read(room.id, ben, 99)).status).toBe(204);
    await until(a, ben.id, (r) => r.read === last);
    expect(about(a, ben.id).map((r) => r.read)).toEqual([3, last]);
    // The stored position agrees (a new socket's welcome).
    const fresh = await connect(room.id, ann.cookie);
    const w = fresh.frames.find((f) => f.type === "welcome");
    expect(w?.type === "welcome" && w.receipts?.find((r) => r.id === ben.id)).toEqual({ id: ben.id, delivered: last, read: last });
    // "Mark as unread" moves the reader's own badge, never the receipt the others see.
    expect((await post(`/api/rooms/${room.id}/read`, ben.cookie, { seq: 1, unread: true })).status).toBe(204);
    await sleep(600);
    expect(about(a, ben.id).map((r) => r.read)).toEqual([3, last]);
  });

  it("marks a DM message delivered when a socket of the other person got it, or their hub did", async () => {
    const [ann, ben] = [await account("Ann"), await account("Ben")];
    const { room } = (await startDm(ann.cookie, ben.username)).body;
    const a = await connect(room.id, ann.cookie);
    const b = await connect(room.id, ben.cookie);
    const seq = await say(a, "hello");
    await until(a, ben.id, (r) => r.delivered >= seq && r.read === undefined);
    b.close();
    // Ben only has the app open elsewhere: his hub shows the news, so it reached his device.
    await connectHub(ben.cookie);
    await untilWatching(room.id, ben.id);
    const next = await say(a, "are you there?");
    await runDurableObjectAlarm(env.ROOMS.getByName(room.id));
    await until(a, ben.id, (r) => r.delivered >= next);
    expect(about(a, ben.id).every((r) => r.read === undefined)).toBe(true);
  });

  it("marks a DM's flushed messages delivered when the other person opens the app (their hub starts watching it)", async () => {
    const [ann, ben] = [await account("Ann"), await account("Ben")];
    const { room } = (await startDm(ann.cookie, ben.username)).body;
    const a = await connect(room.id, ann.cookie);
    const seq = await say(a, "see this when you're back");
    await runDurableObjectAlarm(env.ROOMS.getByName(room.id));
    await sleep(600);
    expect(about(a, ben.id)).toEqual([]);
    await connectHub(ben.cookie);
    await until(a, ben.id, (r) => r.delivered === seq && r.read === undefined);
  });

  it("tracks no deliveries in a group (ticks are a DM's): only reads travel there", async () => {
    const { ann, ben, room } = await pair();
    const a = await connect(room.id, ann.cookie);
    await connect(room.id, ben.cookie);
    const seq = await say(a, "hello all");
    await read(room.id, ben, seq);
    await until(a, ben.id, (r) => r.read === seq);
    expect(about(a, ann.id)).toEqual([]);
    expect(about(a, ben.id)).toEqual([{ id: ben.id, delivered: seq, read: seq }]);
  });
});

describe("Send read receipts off (the WhatsApp rule)", () => {
  it("hides B's reads from A and A's reads from B; delivered stays", async () => {
    const { ann, ben, room } = await pair();
    expect((await setReceipts(ben.cookie, { on: false })).status).toBe(200);
    const me = (await (await api("/api/session", { cookie: ben.cookie })).json()) as { user: { receipts?: boolean } };
    expect(me.user.receipts).toBe(false);
    const a = await connect(room.id, ann.cookie);
    const b = await connect(room.id, ben.cookie);
    const last = await say(a, "x", "y");
    await read(room.id, ben, last);
    await read(room.id, ann, last);
    // Each read reaches the other as an entry, without its position.
    await until(a, ben.id, (r) => r.delivered === last);
    await until(b, ann.id, (r) => r.delivered === last);
    await sleep(600);
    expect(about(a, ben.id).some((r) => r.read !== undefined)).toBe(false);
    expect(about(b, ann.id).some((r) => r.read !== undefined)).toBe(false);
    const w = (await connect(room.id, ben.cookie)).frames.find((f) => f.type === "welcome");
    expect(w?.type === "welcome" && w.receipts?.some((r) => r.read !== undefined)).toBe(false);

    // Turned back on: the room hears of it at once, and both see reads again.
    b.clear();
    expect(await (await setReceipts(ben.cookie, { on: true })).json()).toEqual({ on: true });
    await until(b, ann.id, (r) => r.read === last);
    await until(a, ben.id, (r) => r.read === last);
  });

  it("is only the viewer's own: 401 without a session, 400 on a bad body, and no way to name someone else", async () => {
    const [ann, ben] = [await guest("Ann"), await guest("Ben")];
    expect((await setReceipts(undefined, { on: false })).status).toBe(401);
    for (const body of [{}, { on: "no" }, [], "off", null]) {
      const res = await setReceipts(ann.cookie, body);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBeTruthy();
    }
    const bad = await api("/api/me/receipts", { method: "PUT", cookie: ann.cookie, body: "{not json" });
    expect(bad.status).toBe(400);
    // Another person's id in the body changes nothing of theirs: only the viewer's own setting.
    expect((await setReceipts(ann.cookie, { on: false, userId: ben.id, id: ben.id })).status).toBe(200);
    const receiptsOf = (id: string) => env.DB.prepare("SELECT read_receipts AS on_ FROM users WHERE id = ?").bind(id).first<number>("on_");
    expect(await receiptsOf(ben.id)).toBe(1);
    expect(await receiptsOf(ann.id)).toBe(0);
  });
});
