import { describe, expect, it } from "vitest";
import * as presence from "./presence";
import { alice, bob } from "./testing/fixtures";

const GHOST = 60_000;
const view = (c: typeof alice, over: Partial<presence.SocketView> = {}): presence.SocketView => ({ ...c, open: true, shut: false, at: 0, lastSeen: 0, exp: Infinity, ...over });

describe("presence", () => {
  it("counts each person once while one of their sockets is open and heard from", () => {
    const tab2 = { ...alice, conn: "c-alice-2" };
    const views = [view(alice), view(tab2), view(bob, { lastSeen: -GHOST - 1 })];
    expect(presence.online(views, 0, GHOST)).toEqual([{ id: alice.uid, name: "Alice" }]);
    expect(presence.online([view(alice, { open: false })], 0, GHOST)).toEqual([]);
  });

  it("announces a join only when the person was not online already", () => {
    expect(presence.joined([], alice, 0, GHOST)).toEqual([{ type: "presence", joined: [{ id: alice.uid, name: "Alice" }], left: [], except: alice.conn }]);
    expect(presence.joined([view({ ...alice, conn: "other-tab" })], alice, 0, GHOST)).toEqual([]);
  });

  it("announces a leave unless another tab keeps them online or the room shut the socket itself", () => {
    const gone = view(alice, { open: false });
    expect(presence.left(gone, [], 0, GHOST)).toEqual([{ type: "presence", joined: [], left: [alice.uid] }]);
    expect(presence.left(gone, [view({ ...alice, conn: "tab2" })], 0, GHOST)).toEqual([]);
    expect(presence.left({ ...gone, shut: true }, [], 0, GHOST)).toEqual([]);
  });

  it("shuts connections with one close and one presence frame for those left with nothing", () => {
    const tab2 = { ...alice, conn: "c-alice-2" };
    const views = [view(alice), view(tab2), view(bob)];
    expect(presence.shut(views, [alice.conn, bob.conn], 4003, "removed", 0, GHOST)).toEqual([
      { type: "close", conns: [alice.conn, bob.conn], code: 4003, reason: "removed" },
      { type: "presence", joined: [], left: [bob.uid] },
    ]);
    expect(presence.shut(views, [], 4003, "x", 0, GHOST)).toEqual([]);
  });

  it("finds ghosts: silent longer than the limit, and not already being shut", () => {
    const views = [view(alice, { lastSeen: -GHOST - 1 }), view(bob, { lastSeen: -GHOST - 1, shut: true }), view({ ...bob, conn: "b2" }, { lastSeen: -GHOST })];
    expect(presence.ghosts(views, 0, GHOST)).toEqual([alice.conn]);
  });

  it("finds sockets whose session has ended (at its deadline, not before), and not already being shut", () => {
    const views = [view(alice, { exp: 100 }), view(bob, { exp: 99, shut: true }), view({ ...bob, conn: "b2" }, { exp: 101 })];
    expect(presence.expired(views, 99)).toEqual([]);
    expect(presence.expired(views, 100)).toEqual([alice.conn]);
    expect(presence.expired(views, 101)).toEqual([alice.conn, "b2"]);
  });

  it("shows typing to the others", () => {
    expect(presence.typing(alice, true)).toEqual([
      { type: "frame", to: { all: true, except: alice.conn }, frame: { type: "typing", user: { id: alice.uid, name: "Alice" }, on: true, ttl: 6000 } },
    ]);
  });
});

describe("sockets per person", () => {
  it("a person about to open another socket keeps their newest max - 1: the oldest open ones go", () => {
    const tabs = [3, 1, 4, 2].map((at) => view({ ...alice, conn: `t${at}` }, { at }));
    expect(presence.overflow(tabs, 5)).toEqual([]);
    expect(presence.overflow(tabs, 4)).toEqual(["t1"]);
    expect(presence.overflow(tabs, 2)).toEqual(["t3", "t2", "t1"]);
    // Sockets already closing do not count.
    expect(presence.overflow([...tabs, view({ ...alice, conn: "t0" }, { at: 0, shut: true }), view({ ...alice, conn: "tx" }, { at: 0, open: false })], 4)).toEqual(["t1"]);
  });
});

describe("Roster", () => {
  const tab2 = { ...alice, conn: "c-alice-2" };
  const peer = (c: typeof alice) => ({ id: c.uid, name: c.name });

  it("scans the sockets once while fresh, and keeps in step with joins, shuts and closes meanwhile", () => {
    const r = new presence.Roster(1000);
    let scans = 0;
    const scan = () => (scans++, [view(alice), view(bob, { lastSeen: -GHOST - 1 })]);
    expect(r.online(0, GHOST, scan)).toEqual([peer(alice)]); // the ghost is not online
    r.add(tab2.conn, peer(tab2));
    r.add(bob.conn, peer(bob)); // Bob reconnected
    expect(r.online(500, GHOST, scan)).toEqual([peer(alice), peer(bob)]);
    r.drop(alice.conn);
    expect(r.online(900, GHOST, scan)).toEqual([peer(alice), peer(bob)]); // Alice's other tab
    r.drop(tab2.conn);
    expect(r.online(1000, GHOST, scan)).toEqual([peer(bob)]);
    expect(scans).toBe(1);
  });

  it("scans again once stale (a ghost shows at most that much longer), and after a reset", () => {
    const r = new presence.Roster(1000);
    let sockets = [view(alice, { lastSeen: 2000 }), view(bob)]; // Bob was last heard at 0
    const scan = () => sockets;
    expect(r.online(GHOST, GHOST, scan)).toHaveLength(2);
    expect(r.online(GHOST + 500, GHOST, scan)).toHaveLength(2); // a ghost now, not seen yet
    expect(r.online(GHOST + 1001, GHOST, scan)).toEqual([peer(alice)]);
    sockets = [];
    r.reset();
    expect(r.online(GHOST + 1002, GHOST, scan)).toEqual([]);
  });

  it("adds nothing before its first scan (the scan will see the socket)", () => {
    const r = new presence.Roster(1000);
    r.add(bob.conn, peer(bob));
    expect(r.online(0, GHOST, () => [view(alice)])).toEqual([peer(alice)]);
  });
});
