import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { api, connect, guest, joinRoom, newRoom, upgrade, errorOf, getRoom, post } from "./helpers";
import { sha256Hex } from "../auth/session";
import { randomId, type InvitePreviewResponse, type InviteResponse, type RoomResponse } from "../protocol";


/** Alice owns a room, Bob is a member of it, Mallory is signed in but not a member. */
async function aRoom() {
  const [alice, bob, mallory] = [await guest("Alice"), await guest("Bob"), await guest("Mallory")];
  const { room } = await newRoom(alice.cookie, "general");
  await joinRoom(room.id, bob.cookie);
  return { alice, bob, mallory, room };
}

const patch = (roomId: string, cookie: string, body: unknown) =>
  api(`/api/rooms/${roomId}`, { method: "PATCH", cookie, body: JSON.stringify(body) });
const del = (path: string, cookie?: string) => api(path, { method: "DELETE", cookie });
const memberIdsOf = async (roomId: string) =>
  (await env.DB.prepare("SELECT user_id FROM room_members WHERE room_id = ? ORDER BY user_id").bind(roomId).all<{ user_id: string }>()).results.map(
    (r) => r.user_id,
  );

describe("creating and reading a room", () => {
  it("makes the creator the owner, with an invite code and a topic", async () => {
    const alice = await guest("Alice");
    const res = await post("/api/rooms", alice.cookie, { name: " general ", topic: "all things" });
    expect(res.status).toBe(201);
    const { room, members } = (await res.json()) as RoomResponse;
    expect(room).toMatchObject({ kind: "group", name: "general", topic: "all things", role: "owner", createdBy: alice.id });
    expect(room.invite).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(members).toEqual([{ id: alice.id, name: "Alice", username: null, role: "owner" }]);
  });

  it("names an unnamed room after its creator, with an empty topic", async () => {
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie);
    expect(room).toMatchObject({ name: "Alice's room", topic: "" });
  });

  it("shows a member the room, their role and every member, online or not", async () => {
    const { alice, bob, room } = await aRoom();
    const res = await getRoom(room.id, bob.cookie);
    expect(res.status).toBe(200);
    const body = (await res.json()) as RoomResponse;
    expect(body.room).toMatchObject({ id: room.id, role: "member", invite: room.invite });
    expect(body.members.map((m) => [m.name, m.role])).toEqual([
      ["Alice", "owner"],
      ["Bob", "member"],
    ]);
    expect(body.members.map((m) => m.id)).toEqual([alice.id, bob.id]);
  });

  it("403 for a non-member's room info, history and socket; 404 for unknown ids", async () => {
    const { mallory, room } = await aRoom();
    for (const res of [
      await getRoom(room.id, mallory.cookie),
      await api(`/api/rooms/${room.id}/messages`, { cookie: mallory.cookie }),
      await upgrade(room.id, mallory.cookie),
      await post(`/api/rooms/${room.id}/read`, mallory.cookie, { seq: 1 }),
      await post(`/api/rooms/${room.id}/leave`, mallory.cookie),
    ]) {
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe("forbidden");
    }
    for (const id of [randomId(), "nope"]) expect((await getRoom(id, mallory.cookie)).status).toBe(404);
  });

  it("has no join-by-room-id any more: joining is by invite link only", async () => {
    const { mallory, room } = await aRoom();
    const res = await post(`/api/rooms/${room.id}/join`, mallory.cookie);
    expect(res.status).toBe(404);
    expect(await memberIdsOf(room.id)).not.toContain(mallory.id);
  });

  it("401 without a session on every room route", async () => {
    const { room } = await aRoom();
    for (const res of [
      await api("/api/rooms"),
      await patch(room.id, "", { name: "x" }),
      await post(`/api/rooms/${room.id}/invite`, undefined),
      await del(`/api/rooms/${room.id}`),
      await del(`/api/rooms/${room.id}/members/${randomId()}`),
      await post(`/api/rooms/${room.id}/leave`, undefined),
      await post(`/api/rooms/${room.id}/read`, undefined, { seq: 1 }),
      await post("/api/dms", undefined, { username: "someone" }),
    ]) {
      expect(res.status).toBe(401);
    }
  });
});

describe("only the owner administers a room", () => {
  it("the owner renames the room and changes its topic", async () => {
    const { alice, bob, room } = await aRoom();
    const res = await patch(room.id, alice.cookie, { name: "renamed", topic: "new topic" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as RoomResponse).room).toMatchObject({ name: "renamed", topic: "new topic", role: "owner" });
    expect(((await (await getRoom(room.id, bob.cookie)).json()) as RoomResponse).room).toMatchObject({ name: "renamed", topic: "new topic" });
    // Only what is given changes.
    const onlyTopic = await patch(room.id, alice.cookie, { topic: "" });
    expect(((await onlyTopic.json()) as RoomResponse).room).toMatchObject({ name: "renamed", topic: "" });
    expect(((await (await getRoom(room.id, bob.cookie)).json()) as RoomResponse).room).toMatchObject({ name: "renamed", topic: "" });
  });

  it("400 for an invalid rename", async () => {
    const { alice, room } = await aRoom();
    for (const body of [{ name: "" }, { name: "x".repeat(81) }, { topic: "t".repeat(201) }, { name: 5 }]) {
      const res = await patch(room.id, alice.cookie, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await errorOf(res)).code).toBe("bad_request");
    }
  });

  it("403 when a member or a non-member renames, resets the link, removes someone or deletes", async () => {
    const { alice, bob, mallory, room } = await aRoom();
    for (const who of [bob, mallory]) {
      for (const res of [
        await patch(room.id, who.cookie, { name: "mine now" }),
        await post(`/api/rooms/${room.id}/invite`, who.cookie),
        await del(`/api/rooms/${room.id}/members/${alice.id}`, who.cookie),
        await del(`/api/rooms/${room.id}`, who.cookie),
      ]) {
        expect(res.status).toBe(403);
        expect((await errorOf(res)).code).toBe("forbidden");
      }
    }
    const still = (await (await getRoom(room.id, alice.cookie)).json()) as RoomResponse;
    expect(still.room).toMatchObject({ name: "general", invite: room.invite });
    expect(await memberIdsOf(room.id)).toEqual([alice.id, bob.id].sort());
  });

  it("an owner of one room cannot administer another (no IDOR through ids)", async () => {
    const { alice, bob, room } = await aRoom();
    const carol = await guest("Carol");
    const other = (await newRoom(carol.cookie, "carol's")).room;
    await joinRoom(other.id, bob.cookie);
    // Alice owns `room`, not `other`.
    expect((await patch(other.id, alice.cookie, { name: "x" })).status).toBe(403);
    expect((await del(`/api/rooms/${other.id}/members/${bob.id}`, alice.cookie)).status).toBe(403);
    // A user id that is not in Alice's room (Carol's) cannot be removed through it.
    const res = await del(`/api/rooms/${room.id}/members/${carol.id}`, alice.cookie);
    expect(res.status).toBe(404);
    expect(await memberIdsOf(other.id)).toEqual([bob.id, carol.id].sort());
    // Nor can a made-up or malformed one.
    expect((await del(`/api/rooms/${room.id}/members/${randomId()}`, alice.cookie)).status).toBe(404);
    expect((await del(`/api/rooms/${room.id}/members/..%2F..`, alice.cookie)).status).toBe(404);
  });

  it("the owner cannot remove themselves or leave; they delete the room instead", async () => {
    const { alice, room } = await aRoom();
    const removeSelf = await del(`/api/rooms/${room.id}/members/${alice.id}`, alice.cookie);
    expect(removeSelf.status).toBe(400);
    const leave = await post(`/api/rooms/${room.id}/leave`, alice.cookie);
    expect(leave.status).toBe(400);
    expect((await errorOf(leave)).message).toMatch(/owner.*delete/);
    expect(await memberIdsOf(room.id)).toContain(alice.id);
  });
});

describe("invite links", () => {
  it("anyone can preview a valid link without a session", async () => {
    const { room } = await aRoom();
    const res = await api(`/api/invites/${room.invite}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as InvitePreviewResponse).room).toEqual({ id: room.id, name: "general", topic: "", memberCount: 2 });
  });

  it("joining needs a session, adds the person as a member once, and gives them the room", async () => {
    const { alice, room } = await aRoom();
    const carol = await guest("Carol");
    expect((await post(`/api/invites/${room.invite}/join`, undefined)).status).toBe(401);
    for (let i = 0; i < 2; i++) {
      const res = await post(`/api/invites/${room.invite}/join`, carol.cookie);
      expect(res.status).toBe(200);
      const body = (await res.json()) as RoomResponse;
      expect(body.room).toMatchObject({ id: room.id, role: "member" });
      expect(body.members.map((m) => m.name)).toEqual(["Alice", "Bob", "Carol"]);
    }
    expect(await memberIdsOf(room.id)).toHaveLength(3);
    // The owner following their own link stays the owner.
    const res = await post(`/api/invites/${room.invite}/join`, alice.cookie);
    expect(((await res.json()) as RoomResponse).room.role).toBe("owner");
  });

  it("resetting the link kills the old one: preview and join are 404 with a clear message", async () => {
    const { alice, bob, room } = await aRoom();
    const res = await post(`/api/rooms/${room.id}/invite`, alice.cookie);
    expect(res.status).toBe(200);
    const { invite } = (await res.json()) as InviteResponse;
    expect(invite).not.toBe(room.invite);
    expect(invite).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const carol = await guest("Carol");
    for (const old of [await api(`/api/invites/${room.invite}`), await post(`/api/invites/${room.invite}/join`, carol.cookie)]) {
      expect(old.status).toBe(404);
      expect(await errorOf(old)).toEqual({ code: "not_found", message: "This invite link is invalid or has been reset." });
    }
    expect(await memberIdsOf(room.id)).not.toContain(carol.id);
    // Members see the new link; the new link works.
    expect(((await (await getRoom(room.id, bob.cookie)).json()) as RoomResponse).room.invite).toBe(invite);
    expect((await post(`/api/invites/${invite}/join`, carol.cookie)).status).toBe(200);
  });

  it("404 for made-up and malformed codes, without touching the database", async () => {
    const carol = await guest("Carol");
    for (const code of [randomId(), "a".repeat(32), "short", "x".repeat(300), "%27%20OR%201%3D1--"]) {
      for (const res of [await api(`/api/invites/${code}`), await post(`/api/invites/${code}/join`, carol.cookie)]) {
        expect(res.status, code).toBe(404);
        expect((await errorOf(res)).message).toBe("This invite link is invalid or has been reset.");
      }
    }
  });

  it("a room made before invite links keeps the code migration 0001 gave it (32 hex digits)", async () => {
    const { room, mallory } = await aRoom();
    const legacy = crypto.randomUUID().replace(/-/g, "");
    await env.DB.prepare("UPDATE rooms SET invite_code = ? WHERE id = ?").bind(legacy, room.id).run();
    expect((await post(`/api/invites/${legacy}/join`, mallory.cookie)).status).toBe(200);
  });
});

describe("removing a member and leaving", () => {
  it("tells the members' open sockets to refetch the member list when someone joins, is removed or the room is renamed", async () => {
    const { alice, bob, room } = await aRoom();
    const a = await connect(room.id, alice.cookie);
    const carol = await guest("Carol");
    await joinRoom(room.id, carol.cookie);
    await a.next("members");
    a.clear();
    expect((await del(`/api/rooms/${room.id}/members/${bob.id}`, alice.cookie)).status).toBe(204);
    await a.next("members");
    a.clear();
    expect((await patch(room.id, alice.cookie, { name: "renamed" })).status).toBe(200);
    await a.next("members");
  });

  it("closes the removed member's open socket with 4003, tells the others, and keeps them out", async () => {
    const { alice, bob, room } = await aRoom();
    const a = await connect(room.id, alice.cookie);
    const b = await connect(room.id, bob.cookie);
    await a.next("presence", (f) => f.joined.some((p) => p.id === bob.id));

    const res = await del(`/api/rooms/${room.id}/members/${bob.id}`, alice.cookie);
    expect(res.status).toBe(204);
    expect((await b.waitClosed()).code).toBe(4003);
    expect(await a.next("presence", (f) => f.left.includes(bob.id))).toEqual({ type: "presence", joined: [], left: [bob.id] });

    const again = await upgrade(room.id, bob.cookie);
    expect(again.status).toBe(403);
    expect((await api(`/api/rooms/${room.id}/messages`, { cookie: bob.cookie })).status).toBe(403);
    expect((await getRoom(room.id, bob.cookie)).status).toBe(403);
    expect(await memberIdsOf(room.id)).toEqual([alice.id]);
    // Removing them again: they are not a member.
    expect((await del(`/api/rooms/${room.id}/members/${bob.id}`, alice.cookie)).status).toBe(404);
    // The room goes on for the others.
    a.send({ type: "send", cid: "after", text: "still here" });
    expect((await a.next("ack")).seq).toBe(1);
  });

  it("refuses a socket whose upgrade was checked just before the membership ended (the race with removal)", async () => {
    const { bob, room } = await aRoom();
    // As if the removal landed between the Worker's membership check and the room:
    // the room hears of it first, while D1 still lists Bob.
    await env.ROOMS.getByName(room.id).kick(bob.id, 4003, Date.now() + 1);
    const res = await upgrade(room.id, bob.cookie);
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    const code = await new Promise<number>((resolve) => res.webSocket!.addEventListener("close", (e) => resolve(e.code)));
    expect(code).toBe(4003);
  });

  it("closes every tab of the removed person, and no one else's", async () => {
    const { alice, bob, room } = await aRoom();
    const carol = await guest("Carol");
    await joinRoom(room.id, carol.cookie);
    const tabs = [await connect(room.id, bob.cookie), await connect(room.id, bob.cookie)];
    const c = await connect(room.id, carol.cookie);
    expect((await del(`/api/rooms/${room.id}/members/${bob.id}`, alice.cookie)).status).toBe(204);
    for (const t of tabs) expect((await t.waitClosed()).code).toBe(4003);
    const left = await c.next("presence", (f) => f.left.length > 0);
    expect(left.left).toEqual([bob.id]);
    // Exactly one "left" for Bob, though two of his sockets closed.
    await new Promise((r) => setTimeout(r, 100));
    expect(c.frames.filter((f) => f.type === "presence" && f.left.includes(bob.id))).toHaveLength(1);
    expect(c.closed).toBeNull();
  });

  it("a member who leaves is closed with 4003 and can only come back through the link", async () => {
    const { alice, bob, room } = await aRoom();
    const a = await connect(room.id, alice.cookie);
    const b = await connect(room.id, bob.cookie);
    const res = await post(`/api/rooms/${room.id}/leave`, bob.cookie);
    expect(res.status).toBe(204);
    expect((await b.waitClosed()).code).toBe(4003);
    await a.next("presence", (f) => f.left.includes(bob.id));
    expect((await upgrade(room.id, bob.cookie)).status).toBe(403);
    expect((await post(`/api/rooms/${room.id}/leave`, bob.cookie)).status).toBe(403);
    await joinRoom(room.id, bob.cookie);
    await connect(room.id, bob.cookie);
  });
});

describe("banning", () => {
  const ban = (roomId: string, userId: string, cookie: string) => del(`/api/rooms/${roomId}/members/${userId}?ban=1`, cookie);
  const join = (invite: string, cookie: string) => post(`/api/invites/${invite}/join`, cookie);
  const bansIn = async (roomId: string) =>
    (await env.DB.prepare("SELECT user_id FROM room_bans WHERE room_id = ?").bind(roomId).all<{ user_id: string }>()).results.map((r) => r.user_id);

  it("Remove and ban: closes their sockets with 4003, and no invite link lets them back in, not even a reset one", async () => {
    const { alice, bob, room } = await aRoom();
    const b = await connect(room.id, bob.cookie);
    expect((await ban(room.id, bob.id, alice.cookie)).status).toBe(204);
    expect((await b.waitClosed()).code).toBe(4003);
    expect(await bansIn(room.id)).toEqual([bob.id]);

    const refused = await join(room.invite!, bob.cookie);
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toEqual({ code: "banned", message: "You can't join this room: its owner has banned you." });
    const { invite } = (await (await post(`/api/rooms/${room.id}/invite`, alice.cookie)).json()) as InviteResponse;
    expect((await join(invite, bob.cookie)).status).toBe(403);
    expect(await memberIdsOf(room.id)).toEqual([alice.id]);
    expect((await upgrade(room.id, bob.cookie)).status).toBe(403);
    // Others still join by the same link.
    const carol = await guest("Carol");
    expect((await join(invite, carol.cookie)).status).toBe(200);
  });

  it("a plain Remove does not ban: the person can come back through the link", async () => {
    const { alice, bob, room } = await aRoom();
    expect((await del(`/api/rooms/${room.id}/members/${bob.id}`, alice.cookie)).status).toBe(204);
    expect(await bansIn(room.id)).toEqual([]);
    expect((await join(room.invite!, bob.cookie)).status).toBe(200);
    expect(await memberIdsOf(room.id)).toContain(bob.id);
  });

  it("the owner's room answer lists the bans (nobody else's does); unbanning lets them join again", async () => {
    const { alice, bob, room } = await aRoom();
    const carol = await guest("Carol");
    await joinRoom(room.id, carol.cookie);
    const before = Date.now();
    expect((await ban(room.id, bob.id, alice.cookie)).status).toBe(204);
    // Banning again (the same person, now not a member) finds nobody to remove.
    expect((await ban(room.id, bob.id, alice.cookie)).status).toBe(404);

    const owners = (await (await getRoom(room.id, alice.cookie)).json()) as RoomResponse;
    expect(owners.bans).toEqual([{ id: bob.id, name: "Bob", username: null, at: expect.any(Number) }]);
    expect(owners.bans![0]!.at).toBeGreaterThanOrEqual(before);
    expect(owners.members.map((m) => m.id)).toEqual([alice.id, carol.id]);
    expect(((await (await getRoom(room.id, carol.cookie)).json()) as RoomResponse).bans).toBeUndefined();

    expect((await del(`/api/rooms/${room.id}/bans/${bob.id}`, alice.cookie)).status).toBe(204);
    expect(await bansIn(room.id)).toEqual([]);
    expect(((await (await getRoom(room.id, alice.cookie)).json()) as RoomResponse).bans).toEqual([]);
    expect((await del(`/api/rooms/${room.id}/bans/${bob.id}`, alice.cookie)).status).toBe(404);
    expect((await join(room.invite!, bob.cookie)).status).toBe(200);
    await connect(room.id, bob.cookie);
  });

  it("only the owner bans and unbans; bad requests ban nobody", async () => {
    const { alice, bob, mallory, room } = await aRoom();
    const carol = await guest("Carol");
    await joinRoom(room.id, carol.cookie);
    for (const res of [await ban(room.id, carol.id, bob.cookie), await ban(room.id, carol.id, mallory.cookie)]) {
      expect(res.status).toBe(403);
      expect((await errorOf(res)).code).toBe("forbidden");
    }
    expect((await ban(room.id, alice.id, alice.cookie)).status).toBe(400);
    const bad = await del(`/api/rooms/${room.id}/members/${carol.id}?ban=yes`, alice.cookie);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toBe("ban: ban must be 0 or 1");
    expect((await ban(room.id, mallory.id, alice.cookie)).status).toBe(404);
    expect(await bansIn(room.id)).toEqual([]);
    expect(await memberIdsOf(room.id)).toEqual([alice.id, bob.id, carol.id].sort());

    expect((await ban(room.id, carol.id, alice.cookie)).status).toBe(204);
    for (const res of [await del(`/api/rooms/${room.id}/bans/${carol.id}`, bob.cookie), await del(`/api/rooms/${room.id}/bans/${carol.id}`, carol.cookie)]) {
      expect(res.status).toBe(403);
    }
    expect(await bansIn(room.id)).toEqual([carol.id]);
  });

  it("deleting the room deletes its bans", async () => {
    const { alice, bob, room } = await aRoom();
    expect((await ban(room.id, bob.id, alice.cookie)).status).toBe(204);
    expect((await del(`/api/rooms/${room.id}`, alice.cookie)).status).toBe(204);
    expect(await bansIn(room.id)).toEqual([]);
  });
});

describe("closing a session's sockets (logout)", () => {
  it("closes the sockets opened with that session with 4001, and tells the others", async () => {
    const { alice, bob, room } = await aRoom();
    const a = await connect(room.id, alice.cookie);
    const b = await connect(room.id, bob.cookie);
    const stub = env.ROOMS.getByName(room.id);
    expect(await stub.closeSession("0".repeat(64))).toBe(0);
    expect(await stub.closeSession(await sha256Hex(bob.cookie.split("=")[1]!))).toBe(1);
    expect((await b.waitClosed()).code).toBe(4001);
    await a.next("presence", (f) => f.left.includes(bob.id));
    expect(a.closed).toBeNull();
  });
});

describe("deleting a room", () => {
  it("closes every socket with 4004, wipes the room's storage and its D1 rows; history is then 404", async () => {
    const { alice, bob, room } = await aRoom();
    const a = await connect(room.id, alice.cookie);
    const b = await connect(room.id, bob.cookie);
    a.send({ type: "send", cid: "m1", text: "flushed" });
    await a.next("ack");
    const stub = env.ROOMS.getByName(room.id);
    await runDurableObjectAlarm(stub);
    a.send({ type: "send", cid: "m2", text: "not flushed yet" });
    await a.next("ack", (f) => f.cid === "m2");

    const res = await del(`/api/rooms/${room.id}`, alice.cookie);
    expect(res.status).toBe(204);
    expect((await a.waitClosed()).code).toBe(4004);
    expect((await b.waitClosed()).code).toBe(4004);

    for (const r of [
      await api(`/api/rooms/${room.id}/messages`, { cookie: alice.cookie }),
      await getRoom(room.id, bob.cookie),
      await upgrade(room.id, alice.cookie),
      await api(`/api/invites/${room.invite}`),
    ]) {
      expect(r.status).toBe(404);
    }
    for (const table of ["rooms WHERE id", "room_members WHERE room_id", "messages WHERE room_id"]) {
      expect(await env.DB.prepare(`SELECT count(*) AS n FROM ${table} = ?`).bind(room.id).first<number>("n"), table).toBe(0);
    }
    const left = await runInDurableObject(stub, async (_i, state: DurableObjectState) => ({
      alarm: await state.storage.getAlarm(),
      tables: state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray(),
      room: state.storage.kv.get("room"),
    }));
    expect(left).toEqual({ alarm: null, tables: [], room: undefined });
    // No alarm can bring anything back.
    await runDurableObjectAlarm(stub);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM messages WHERE room_id = ?").bind(room.id).first<number>("n")).toBe(0);
    // A second delete finds nothing.
    expect((await del(`/api/rooms/${room.id}`, alice.cookie)).status).toBe(404);
  });
});

describe("a room that has been wiped but is still in D1 (a delete that failed halfway)", () => {
  it("refuses new sockets with 4004, and the owner can delete it again", async () => {
    const { alice, room } = await aRoom();
    await env.ROOMS.getByName(room.id).destroy();
    const res = await upgrade(room.id, alice.cookie);
    expect(res.status).toBe(101);
    res.webSocket!.accept();
    const code = await new Promise<number>((resolve) => res.webSocket!.addEventListener("close", (e) => resolve(e.code)));
    expect(code).toBe(4004);
    expect((await del(`/api/rooms/${room.id}`, alice.cookie)).status).toBe(204);
    expect((await getRoom(room.id, alice.cookie)).status).toBe(404);
  });
});

describe("read positions", () => {
  it("only move forward, and never past the room's last message", async () => {
    const { alice, bob, room } = await aRoom();
    const a = await connect(room.id, alice.cookie);
    for (const cid of ["r1", "r2", "r3"]) a.send({ type: "send", cid, text: cid });
    await a.next("ack", (f) => f.cid === "r3");
    const readOf = () =>
      env.DB.prepare("SELECT last_read_seq AS s FROM room_members WHERE room_id = ? AND user_id = ?").bind(room.id, bob.id).first<number>("s");

    // Not flushed yet: the room's own count is what clamps.
    expect((await post(`/api/rooms/${room.id}/read`, bob.cookie, { seq: 2 })).status).toBe(204);
    expect(await readOf()).toBe(2);
    await post(`/api/rooms/${room.id}/read`, bob.cookie, { seq: 1 });
    expect(await readOf()).toBe(2);
    await post(`/api/rooms/${room.id}/read`, bob.cookie, { seq: 1_000_000 });
    expect(await readOf()).toBe(3);
    await post(`/api/rooms/${room.id}/read`, bob.cookie, { seq: 0 });
    expect(await readOf()).toBe(3);
  });

  it("400 for a bad seq", async () => {
    const { bob, room } = await aRoom();
    for (const body of [{}, { seq: -1 }, { seq: 1.5 }, { seq: "3" }]) {
      const res = await post(`/api/rooms/${room.id}/read`, bob.cookie, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});
