import { describe, expect, it } from "vitest";
import { newStore } from "../testing/fixtures";
import { nodeStorage } from "../testing/node-storage";
import { RoomStore } from "./room-store";
import { MIGRATIONS, SCHEMA_VERSION, migrate } from "./schema";

const msg = (cid: string, uid = "u1", text = cid) => ({ cid, uid, name: "U", text });

describe("the room's schema", () => {
  it("brings a new room to the latest version once; running it again changes nothing", () => {
    const s = nodeStorage();
    migrate(s);
    expect(s.kv.get("schema_version")).toBe(SCHEMA_VERSION);
    const tables = () => s.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").toArray().map((t) => t.name);
    expect(tables()).toEqual(expect.arrayContaining(["log", "sent", "files", "reactions", "reaction_log", "doomed"]));
    migrate(s);
    expect(s.kv.get("schema_version")).toBe(SCHEMA_VERSION);
  });

  it("upgrades a room made before versioning: missing columns added, its messages kept and indexed for dedupe", () => {
    const s = nodeStorage();
    s.sql.exec("CREATE TABLE log (seq INTEGER PRIMARY KEY, cid TEXT NOT NULL, uid TEXT NOT NULL, name TEXT NOT NULL, text TEXT NOT NULL, ts INTEGER NOT NULL, flushed INTEGER NOT NULL DEFAULT 0)");
    s.sql.exec("INSERT INTO log (seq, cid, uid, name, text, ts) VALUES (7, 'old', 'u1', 'U', 'from before', 5)");
    const store = new RoomStore(s);
    const cols = s.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('log')").toArray().map((c) => c.name);
    expect(cols).toEqual(expect.arrayContaining(["call", "attachments", "deleted"]));
    expect(store.page(null, 10)).toEqual([{ seq: 7, cid: "old", uid: "u1", name: "U", text: "from before", ts: 5 }]);
    expect(store.sent("u1", "old")).toEqual({ seq: 7, ts: 5 });
    expect(store.append(msg("new"), 9).seq).toBe(8);
  });

  it("keeps the version where a failing migration stopped, with none of its changes", () => {
    const s = nodeStorage();
    const broken = [
      ...MIGRATIONS,
      {
        version: SCHEMA_VERSION + 1,
        name: "fails halfway",
        up: ({ sql }: typeof s) => {
          sql.exec("CREATE TABLE half (x INTEGER)");
          throw new Error("boom");
        },
      },
    ];
    expect(() => migrate(s, broken)).toThrow("boom");
    expect(s.kv.get("schema_version")).toBe(SCHEMA_VERSION);
    expect(s.sql.exec("SELECT name FROM sqlite_master WHERE name = 'half'").toArray()).toEqual([]);
  });
});

describe("the log", () => {
  it("assigns consecutive seqs and never gives one out twice, even when the log was emptied", () => {
    const { store, storage } = newStore();
    expect(store.append(msg("a"), 1).seq).toBe(1);
    expect(store.append(msg("b"), 2).seq).toBe(2);
    storage.sql.exec("DELETE FROM log");
    expect(store.append(msg("c"), 3).seq).toBe(3);
    expect(store.bounds()).toEqual({ first: 3, last: 3 });
    // After a trim, a restarted room (a new store on the same storage) goes on from there too.
    store.markFlushed([3]);
    store.trim(0, 0);
    expect(new RoomStore(storage).append(msg("d"), 4).seq).toBe(4);
  });

  it("remembers (sender, cid) after the row is trimmed, with the files while the log has them", () => {
    const { store } = newStore();
    store.fileReady("u1", { id: "f1", name: "a.png", type: "image/png", size: 3, thumb: false });
    const m = store.append({ ...msg("with-file"), attachments: [{ id: "f1", name: "a.png", type: "image/png", size: 3, thumb: false }] }, 10);
    expect(store.file("f1")?.seq).toBe(m.seq);
    expect(store.sent("u1", "with-file")).toEqual({ seq: 1, ts: 10, attachments: [{ id: "f1", name: "a.png", type: "image/png", size: 3, thumb: false }] });
    expect(store.sent("u2", "with-file")).toBeNull();
    store.markFlushed([1]);
    for (let i = 0; i < 5; i++) store.append(msg(`m${i}`), 20);
    store.markFlushed([2, 3, 4, 5, 6]);
    store.trim(2, 0);
    expect(store.bounds().first).toBe(5);
    expect(store.sent("u1", "with-file")).toEqual({ seq: 1, ts: 10 });
    // Past the dedupe window it is forgotten.
    store.trim(2, 11);
    expect(store.sent("u1", "with-file")).toBeNull();
    expect(store.sent("u1", "m4")).toEqual({ seq: 6, ts: 20 });
  });

  it("marks flushed only the rows named, and trims only flushed rows", () => {
    const { store } = newStore();
    for (const c of ["a", "b", "c"]) store.append(msg(c), 1);
    store.markFlushed([1, 3]);
    expect(store.unflushed(10).map((m) => m.seq)).toEqual([2]);
    store.trim(0, 0);
    expect(store.page(null, 10).map((m) => m.seq)).toEqual([2]);
    expect(store.hasUnflushedWork()).toBe(true);
  });

  it("turns a duplicate into a tombstone under its own cid, pointing later resends at the original", () => {
    const { store } = newStore();
    store.append(msg("late"), 1);
    store.markFlushed([1]);
    const copy = store.append({ ...msg("other"), cid: "late2" }, 2);
    store.markDuplicate(copy.seq, 1);
    expect(store.unflushed(10)).toEqual([{ seq: 2, cid: "dup:2", uid: "u1", name: "U", text: "", ts: 2, deleted: true }]);
    expect(store.sent("u1", "late2")).toMatchObject({ seq: 1 });
  });

  it("deletes a message: tombstone, reactions and their changes gone, a doomed row with its files", () => {
    const { store } = newStore();
    store.fileReady("u1", { id: "f1", name: "a", type: "text/plain", size: 1, thumb: false });
    store.append({ ...msg("m"), attachments: [{ id: "f1", name: "a", type: "text/plain", size: 1, thumb: false }] }, 1);
    store.react(1, "👍", "u2", true, 2);
    store.tombstone(1);
    expect(store.live(1)).toBeNull();
    expect(store.page(null, 1)[0]).toMatchObject({ seq: 1, text: "", deleted: true });
    expect(store.page(null, 1)[0]!.attachments).toBeUndefined();
    expect(store.reactionChanges(10)).toEqual([]);
    expect(store.doomed(10)).toEqual([{ seq: 1, files: ["f1"] }]);
    expect(store.deletedBetween(1, 1)).toEqual([1]);
  });
});

describe("reactions", () => {
  it("adds and removes, logs only real changes, and aggregates them in order", () => {
    const { store } = newStore();
    store.append(msg("m"), 1);
    expect(store.react(1, "👍", "u1", true, 1)).toBe(true);
    expect(store.react(1, "👍", "u1", true, 2)).toBe(false);
    expect(store.react(1, "🎉", "u2", true, 3)).toBe(true);
    expect(store.react(1, "👍", "u2", true, 4)).toBe(true);
    expect(store.react(1, "🎉", "u2", false, 5)).toBe(true);
    expect(store.react(1, "🎉", "u2", false, 6)).toBe(false);
    expect(store.page(null, 1)[0]!.reactions).toEqual([{ emoji: "👍", users: ["u1", "u2"] }]);
    expect(store.reactionChanges(10).map((c) => [c.emoji, c.uid, c.on])).toEqual([
      ["👍", "u1", true],
      ["🎉", "u2", true],
      ["👍", "u2", true],
      ["🎉", "u2", false],
    ]);
    store.dropReactionChanges(store.reactionChanges(2).at(-1)!.id);
    expect(store.reactionChanges(10)).toHaveLength(2);
    expect(store.reactionCount(1, "u2")).toBe(1);
  });
});

describe("files", () => {
  it("lets a finished upload be dropped until a message carries it", () => {
    const { store } = newStore();
    store.fileReady("u1", { id: "f1", name: "a", type: "text/plain", size: 1, thumb: false });
    store.fileReady("u1", { id: "f2", name: "b", type: "text/plain", size: 1, thumb: false });
    store.append({ ...msg("m"), attachments: [{ id: "f2", name: "b", type: "text/plain", size: 1, thumb: false }] }, 1);
    expect(store.dropFile("f1")).toBe(true);
    expect(store.file("f1")).toBeNull();
    expect(store.dropFile("f2")).toBe(false);
    // Once D1 has the message, the room forgets the file.
    store.markFlushed([1]);
    expect(store.file("f2")).toBeNull();
  });
});

describe("small state", () => {
  it("keeps the room id once, ended memberships, the call, the flush backoff and the announce state", () => {
    const { store } = newStore();
    store.rememberRoomId("r1");
    store.rememberRoomId("r2");
    expect(store.roomId()).toBe("r1");
    store.endMembership("u1", 5);
    expect(store.membershipEnded("u1")).toBe(5);
    expect(store.flushBackoff()).toBeNull();
    store.setFlushBackoff({ failures: 2, retryAt: 9 });
    expect(store.flushBackoff()).toEqual({ failures: 2, retryAt: 9 });
    store.setFlushBackoff(null);
    expect(store.flushBackoff()).toBeNull();
    expect(store.announceState()).toEqual({ at: 0, pending: false });
    store.setAnnounceState({ at: 3, pending: true });
    expect(store.announceState()).toEqual({ at: 3, pending: true });
    expect(store.call()).toBeNull();
  });
});

describe("hubs watching", () => {
  it("keeps the latest lease per user, lists only live ones, forgets lapsed and removed ones", () => {
    const { store } = newStore();
    store.watch("u1", 100);
    store.watch("u1", 50); // an older lease never shortens a newer one
    store.watch("u2", 80);
    expect(store.watching(90).sort()).toEqual(["u1"]);
    expect(store.watching(80).sort()).toEqual(["u1", "u2"]);
    store.dropLapsedWatchers(90);
    expect(store.watching(0)).toEqual(["u1"]);
    store.unwatch("u1");
    expect(store.watching(0)).toEqual([]);
  });
});
