import { describe, expect, it } from "vitest";
import type { Message } from "../protocol";
import { ANNOUNCE_GAP_MS, FLUSH_BATCH, PUSH_MAX_AGE_MS, PUSH_WINDOW, RETRY_BASE_MS, announcement, flush, pushRound, type History } from "./flush";
import { newStore } from "./testing/fixtures";
import { nodeStorage } from "./testing/node-storage";
import { RoomStore } from "./store/room-store";
import type { Doomed, EditChange, ReactionChange } from "./store/room-store";

/** D1 as a table of rows keyed by seq, with its unique (uid, cid) index; it can be told to fail. */
class FakeD1 implements History {
  rows = new Map<number, { uid: string; cid: string; text: string; deleted: boolean; edited?: number }>();
  reactionsApplied: ReactionChange[] = [];
  editBatches = 0;
  deleted: Doomed[] = [];
  failing = false;
  calls = 0;

  async insert(_room: string, list: readonly Message[]) {
    this.calls++;
    if (this.failing) throw new Error("D1 is down");
    for (const m of list) {
      const taken = this.rows.has(m.seq) || [...this.rows.values()].some((r) => r.uid === m.uid && r.cid === m.cid);
      if (!taken) this.rows.set(m.seq, { uid: m.uid, cid: m.cid, text: m.text, deleted: m.deleted ?? false, ...(m.edited ? { edited: m.edited } : {}) });
    }
    return new Map(list.flatMap((m) => (this.rows.has(m.seq) ? [[m.seq, { uid: this.rows.get(m.seq)!.uid, cid: this.rows.get(m.seq)!.cid }] as const] : [])));
  }
  async seqOf(_room: string, uid: string, cid: string) {
    for (const [seq, r] of this.rows) if (r.uid === uid && r.cid === cid) return seq;
    return null;
  }
  async reactions(_room: string, changes: readonly ReactionChange[]) {
    if (this.failing) throw new Error("D1 is down");
    this.reactionsApplied.push(...changes);
  }
  async deletions(_room: string, list: readonly Doomed[]) {
    if (this.failing) throw new Error("D1 is down");
    this.deleted.push(...list);
    for (const d of list) {
      const r = this.rows.get(d.seq);
      if (r) this.rows.set(d.seq, { ...r, text: "", deleted: true });
    }
  }
  /** As applyEdits: live rows only, never older than the edit D1 holds. */
  async edits(_room: string, list: readonly EditChange[]) {
    if (this.failing) throw new Error("D1 is down");
    this.editBatches++;
    for (const e of list) {
      const r = this.rows.get(e.seq);
      if (r && !r.deleted && (r.edited ?? 0) <= e.ts) this.rows.set(e.seq, { ...r, text: e.text, edited: e.ts });
    }
  }
  async older(_room: string, seq: number): Promise<Message | null> {
    const r = this.rows.get(seq);
    return r ? { seq, cid: r.cid, uid: r.uid, name: "U", text: r.text, ts: 1, ...(r.deleted ? { deleted: true } : {}), ...(r.edited ? { edited: r.edited } : {}) } : null;
  }
}

const opts = (now: number, over: Partial<Parameters<typeof flush>[2]> = {}) => ({ roomId: "r", now, random: () => 0.5, gone: () => false, ...over });
const add = (store: ReturnType<typeof newStore>["store"], cid: string, uid = "u1") => store.append({ cid, uid, name: "U", text: cid }, 1);

describe("the flush", () => {
  it("writes unflushed messages to D1 and marks exactly those flushed", async () => {
    const { store } = newStore();
    const d1 = new FakeD1();
    for (const c of ["a", "b", "c"]) add(store, c);
    const r = await flush(store, d1, opts(10));
    expect(r).toMatchObject({ status: "done", more: false, newest: { seq: 3 } });
    expect([...d1.rows.keys()]).toEqual([1, 2, 3]);
    expect(store.unflushed(10)).toEqual([]);
    expect(store.hasUnflushedWork()).toBe(false);
  });

  it("on failure marks nothing, backs off with doubling jittered delays, and does not retry early", async () => {
    const { store } = newStore();
    const d1 = new FakeD1();
    add(store, "a");
    d1.failing = true;
    const first = await flush(store, d1, opts(0));
    expect(first).toMatchObject({ status: "failed", failures: 1, retryAt: RETRY_BASE_MS * 0.75 });
    expect(store.unflushed(10)).toHaveLength(1);
    // New work and an early alarm change nothing: no attempt before retryAt.
    add(store, "b");
    expect(await flush(store, d1, opts(500))).toEqual({ status: "waiting", retryAt: 750, effects: [] });
    expect(d1.calls).toBe(1);
    const second = await flush(store, d1, opts(750));
    expect(second).toMatchObject({ status: "failed", failures: 2, retryAt: 750 + 2 * RETRY_BASE_MS * 0.75 });
    d1.failing = false;
    expect(await flush(store, d1, opts(3000))).toMatchObject({ status: "done" });
    expect(store.flushBackoff()).toBeNull();
    expect([...d1.rows.keys()]).toEqual([1, 2]);
  });

  it("repeats harmlessly after a flush that reached D1 but was not recorded", async () => {
    const { store, storage } = newStore();
    const d1 = new FakeD1();
    add(store, "a");
    await flush(store, d1, opts(0));
    storage.sql.exec("UPDATE log SET flushed = 0");
    expect(await flush(store, d1, opts(1))).toMatchObject({ status: "done" });
    expect(d1.rows.size).toBe(1);
    expect(store.unflushed(10)).toEqual([]);
  });

  it("turns a copy that D1 refuses for its (sender, cid) into a tombstone D1 takes, and tells everyone", async () => {
    // D1 has the original at seq 1; the room, whose index had let it go, stored the resend at seq 2.
    const storage = nodeStorage();
    storage.kv.put("last_seq", 1); // as a trim left it
    const store = new RoomStore(storage);
    const d1 = new FakeD1();
    d1.rows.set(1, { uid: "u1", cid: "late", text: "late", deleted: false });
    expect(add(store, "late").seq).toBe(2);
    const r = await flush(store, d1, opts(0));
    expect(r.effects).toEqual([{ type: "frame", to: { all: true }, frame: { type: "deleted", seq: 2 } }]);
    expect(d1.rows.get(2)).toEqual({ uid: "u1", cid: "dup:2", text: "", deleted: true });
    expect(store.unflushed(10)).toEqual([]);
    expect(store.sent("u1", "late")?.seq).toBe(1);
  });

  it("never marks flushed a row whose seq D1 holds for another message, nor retries it", async () => {
    const { store } = newStore();
    const d1 = new FakeD1();
    d1.rows.set(1, { uid: "someone", cid: "else", text: "", deleted: false });
    add(store, "mine");
    add(store, "next");
    const logged: string[] = [];
    const r = await flush(store, d1, opts(0, { log: (m) => logged.push(m) }));
    expect(r.status).toBe("done");
    expect(logged).toHaveLength(1);
    expect(store.unflushed(10)).toEqual([]);
    expect(store.page(null, 10).map((m) => m.seq)).toEqual([2, 1]);
    expect(d1.rows.get(1)?.cid).toBe("else");
  });

  it("fails (and backs off) when D1 says it took a row it does not hold", async () => {
    const { store } = newStore();
    const liar: History = { ...new FakeD1(), insert: async () => new Map(), seqOf: async () => null, reactions: async () => {}, deletions: async () => {}, edits: async () => {}, older: async () => null };
    add(store, "a");
    expect(await flush(store, liar, opts(0))).toMatchObject({ status: "failed", failures: 1 });
    expect(store.unflushed(10)).toHaveLength(1);
  });

  it("stops when the room is deleted mid-flush, marking nothing", async () => {
    const { store } = newStore();
    let gone = false;
    const d1 = new FakeD1();
    const slow: History = { ...d1, insert: async (room, list) => ((gone = true), d1.insert(room, list)), seqOf: d1.seqOf.bind(d1), reactions: d1.reactions.bind(d1), deletions: d1.deletions.bind(d1), edits: d1.edits.bind(d1), older: d1.older.bind(d1) };
    add(store, "a");
    expect(await flush(store, slow, opts(0, { gone: () => gone }))).toEqual({ status: "gone", effects: [] });
    expect(store.unflushed(10)).toHaveLength(1);
  });

  it("applies edits after the messages they change, and a replayed edit batch ends in the same state", async () => {
    const { store } = newStore();
    const d1 = new FakeD1();
    add(store, "a");
    add(store, "b");
    store.edit(1, "a2", "a2", 5);
    await flush(store, d1, opts(10));
    expect(d1.rows.get(1)).toMatchObject({ text: "a2", edited: 5 });
    store.edit(2, "b2", "b2", 6);
    store.edit(2, "b3", "b3", 7);
    const batch = store.editChanges(10);
    await flush(store, d1, opts(20));
    expect(store.editChanges(10)).toEqual([]);
    // The batch again (a flush that reached D1 but was not recorded), and an older edit after a newer one.
    await d1.edits("r", batch);
    await d1.edits("r", batch.slice(0, 1));
    expect(d1.rows.get(2)).toMatchObject({ text: "b3", edited: 7 });
    expect(store.hasUnflushedWork()).toBe(false);
  });

  it("takes a large backlog in batches and trims the log to its window", async () => {
    const { store } = newStore();
    const d1 = new FakeD1();
    for (let i = 0; i < FLUSH_BATCH * 2 + 10; i++) add(store, `m${i}`);
    expect(await flush(store, d1, opts(0))).toMatchObject({ status: "done", more: false, newest: { seq: FLUSH_BATCH * 2 + 10 } });
    expect(d1.rows.size).toBe(FLUSH_BATCH * 2 + 10);
    expect(store.bounds()).toEqual({ first: FLUSH_BATCH * 2 + 10 - 999, last: FLUSH_BATCH * 2 + 10 });
  });

  it("applies reaction changes in order after the messages, then deletions", async () => {
    const { store } = newStore();
    const d1 = new FakeD1();
    add(store, "a");
    add(store, "b");
    store.react(1, "👍", "u2", true, 1);
    store.react(1, "👍", "u2", false, 2);
    store.tombstone(2);
    await flush(store, d1, opts(0));
    expect(d1.reactionsApplied.map((c) => c.on)).toEqual([true, false]);
    expect(d1.deleted).toEqual([{ seq: 2, files: [] }]);
    expect(store.reactionChanges(10)).toEqual([]);
    expect(store.doomed(10)).toEqual([]);
    expect(store.hasUnflushedWork()).toBe(false);
  });
});

describe("announcements to the members' sidebars", () => {
  it("go at once for a quiet room, then at most once per gap, with the newest flushed message", () => {
    const { store } = newStore();
    const m1 = add(store, "a");
    store.markFlushed([1]);
    expect(announcement(store, m1, 10_000)).toEqual({ announce: m1, at: null });
    const m2 = add(store, "b");
    store.markFlushed([2]);
    expect(announcement(store, m2, 10_500)).toEqual({ announce: null, at: 10_000 + ANNOUNCE_GAP_MS });
    // The deferred one goes when the alarm comes back, with the newest flushed message.
    expect(announcement(store, null, 10_000 + ANNOUNCE_GAP_MS)).toMatchObject({ announce: { seq: 2 }, at: null });
    expect(announcement(store, null, 20_000)).toEqual({ announce: null, at: null });
  });
});

describe("Web Push rounds", () => {
  it("take what reached D1 since the last round, oldest first, each message once", () => {
    const { store } = newStore();
    expect(pushRound(store, 10)).toEqual([]);
    for (const c of ["a", "b", "c"]) add(store, c);
    store.markFlushed([1, 2]);
    expect(pushRound(store, 10).map((m) => m.text)).toEqual(["a", "b"]);
    expect(pushRound(store, 10)).toEqual([]);
    store.markFlushed([3]);
    add(store, "d");
    expect(pushRound(store, 10).map((m) => m.text)).toEqual(["c"]);
  });

  it(`look at the newest ${PUSH_WINDOW} only, and at nothing older than ${PUSH_MAX_AGE_MS / 60_000} minutes`, () => {
    const { store } = newStore();
    for (let i = 0; i < PUSH_WINDOW + 5; i++) add(store, `m${i}`);
    store.markFlushed(Array.from({ length: PUSH_WINDOW + 5 }, (_, i) => i + 1));
    const round = pushRound(store, 10);
    expect(round).toHaveLength(PUSH_WINDOW);
    expect(round.at(-1)!.text).toBe(`m${PUSH_WINDOW + 4}`);
    add(store, "late");
    store.markFlushed([PUSH_WINDOW + 6]);
    expect(pushRound(store, 1 + PUSH_MAX_AGE_MS + 1)).toEqual([]);
  });
});
