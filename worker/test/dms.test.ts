import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { api, connect, guest, upgrade, account, errorOf, getRoom, post, startDm } from "./helpers";
import type { RoomResponse } from "../protocol";


const dmRows = async (a: string, b: string) =>
  (
    await env.DB.prepare("SELECT id FROM rooms WHERE kind = 'dm' AND dm_key = ?")
      .bind([a, b].sort().join(":"))
      .all<{ id: string }>()
  ).results;

describe("direct messages", () => {
  it("are made on first use (201), named after the other person, without an invite", async () => {
    const [ann, ben] = [await account("Ann"), await account("Ben")];
    const { status, body } = await startDm(ann.cookie, ben.username);
    expect(status).toBe(201);
    expect(body.room).toMatchObject({ kind: "dm", name: "Ben", invite: null, role: "member", createdBy: ann.id });
    expect(body.members.map((m) => [m.name, m.username, m.role]).sort()).toEqual([
      ["Ann", ann.username, "member"],
      ["Ben", ben.username, "member"],
    ]);
    // Ben sees it named after Ann.
    const his = (await (await getRoom(body.room.id, ben.cookie)).json()) as RoomResponse;
    expect(his.room).toMatchObject({ id: body.room.id, name: "Ann", invite: null });
  });

  it("there is exactly one per pair, whichever side starts it (200 after the first)", async () => {
    const [ann, ben] = [await account("Ann"), await account("Ben")];
    const first = await startDm(ann.cookie, ben.username);
    const again = await startDm(ann.cookie, ben.username);
    const back = await startDm(ben.cookie, ann.username.toUpperCase());
    expect([first.status, again.status, back.status]).toEqual([201, 200, 200]);
    expect(again.body.room.id).toBe(first.body.room.id);
    expect(back.body.room.id).toBe(first.body.room.id);
    expect(back.body.room.name).toBe("Ann");
    expect(await dmRows(ann.id, ben.id)).toHaveLength(1);
  });

  it("concurrent starts from both sides end in one room with both members", async () => {
    const [ann, ben] = [await account("Ann"), await account("Ben")];
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => startDm(ann.cookie, ben.username)),
      ...Array.from({ length: 4 }, () => startDm(ben.cookie, ann.username)),
    ]);
    const ids = new Set(results.map((r) => r.body.room.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const [row] = await dmRows(ann.id, ben.id);
    expect(row?.id).toBe([...ids][0]);
    const members = await env.DB.prepare("SELECT user_id FROM room_members WHERE room_id = ?").bind(row!.id).all<{ user_id: string }>();
    expect(members.results.map((m) => m.user_id).sort()).toEqual([ann.id, ben.id].sort());
  });

  it("404 for an unknown username and for guests (who have none); 400 with yourself or a bad name", async () => {
    const ann = await account("Ann");
    const unknown = await post("/api/dms", ann.cookie, { username: "nobody_here_at_all" });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe("not_found");

    const self = await post("/api/dms", ann.cookie, { username: ann.username });
    expect(self.status).toBe(400);
    expect((await errorOf(self)).message).toMatch(/yourself/);

    for (const body of [{}, { username: "a" }, { username: "has space" }, { username: 42 }]) {
      expect((await post("/api/dms", ann.cookie, body)).status, JSON.stringify(body)).toBe(400);
    }
    // A guest may start a DM with an account; nobody can reach a guest by name.
    const gus = await guest("Gus");
    expect((await startDm(gus.cookie, ann.username)).status).toBe(201);
    // Guest names are display names, not usernames.
    expect((await post("/api/dms", ann.cookie, { username: "gus" })).status).toBe(404);
  });

  it("a third person cannot see, open, read or enter the DM", async () => {
    const [ann, ben, eve] = [await account("Ann"), await account("Ben"), await account("Eve")];
    const { body } = await startDm(ann.cookie, ben.username);
    const id = body.room.id;
    for (const res of [
      await getRoom(id, eve.cookie),
      await api(`/api/rooms/${id}/messages`, { cookie: eve.cookie }),
      await upgrade(id, eve.cookie),
      await post(`/api/rooms/${id}/read`, eve.cookie, { seq: 1 }),
    ]) {
      expect(res.status).toBe(403);
    }
    // There is no link to join by.
    const code = await env.DB.prepare("SELECT invite_code FROM rooms WHERE id = ?").bind(id).first<string | null>("invite_code");
    expect(code).toBeNull();
    const room = (await (await api("/api/rooms", { cookie: eve.cookie })).json()) as { rooms: unknown[] };
    expect(room.rooms).toEqual([]);
  });

  it("cannot be renamed, re-linked, left, deleted or have a member removed (400), even by its starter", async () => {
    const [ann, ben] = [await account("Ann"), await account("Ben")];
    const { body } = await startDm(ann.cookie, ben.username);
    const id = body.room.id;
    for (const who of [ann, ben]) {
      for (const res of [
        await api(`/api/rooms/${id}`, { method: "PATCH", cookie: who.cookie, body: JSON.stringify({ name: "x" }) }),
        await post(`/api/rooms/${id}/invite`, who.cookie),
        await post(`/api/rooms/${id}/leave`, who.cookie),
        await api(`/api/rooms/${id}`, { method: "DELETE", cookie: who.cookie }),
        await api(`/api/rooms/${id}/members/${who === ann ? ben.id : ann.id}`, { method: "DELETE", cookie: who.cookie }),
      ]) {
        expect(res.status).toBe(400);
        expect((await errorOf(res)).code).toBe("bad_request");
      }
    }
    const members = await env.DB.prepare("SELECT count(*) AS n FROM room_members WHERE room_id = ?").bind(id).first<number>("n");
    expect(members).toBe(2);
  });

  it("both people can chat in it", async () => {
    const [ann, ben] = [await account("Ann"), await account("Ben")];
    const { body } = await startDm(ann.cookie, ben.username);
    const a = await connect(body.room.id, ann.cookie);
    const b = await connect(body.room.id, ben.cookie);
    a.send({ type: "send", cid: "hi", text: "hi Ben" });
    expect((await b.next("msgs")).messages[0]).toMatchObject({ uid: ann.id, text: "hi Ben" });
  });
});
