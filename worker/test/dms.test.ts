import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { api, connect, connectHub, guest, upgrade, account, errorOf, freshIp, getRoom, joinRoom, newRoom, post, startDm, untilWatching } from "./helpers";
import type { RoomResponse, RoomsResponse } from "../protocol";


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
    // Nobody can reach a guest by name: guest names are display names, not usernames.
    await guest("Gus");
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

describe("direct messages under abuse", () => {
  const sidebarIds = async (cookie: string) => ((await (await api("/api/rooms", { cookie })).json()) as RoomsResponse).rooms.map((r) => r.id);
  const dmsStartedBy = (userId: string) => env.DB.prepare("SELECT count(*) AS n FROM rooms WHERE kind = 'dm' AND created_by = ?").bind(userId).first<number>("n");

  it("probing usernames is limited per person: 429 with Retry-After, no DM made; someone else still starts one", async () => {
    const [ann, ben, cat] = [await account("Ann"), await account("Ben"), await account("Cat")];
    let limited: Response | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      // Each from another address: only the per-person limit can stop them.
      const res = await post("/api/dms", ann.cookie, { username: `probe_${i}_${crypto.randomUUID().slice(0, 8)}` });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(404);
    }
    expect(limited, "no 429 within 40 probes").toBeDefined();
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await errorOf(limited!)).code).toBe("rate_limited");
    // A real name is refused too, and nothing is made.
    expect((await post("/api/dms", ann.cookie, { username: ben.username })).status).toBe(429);
    expect(await dmsStartedBy(ann.id)).toBe(0);
    expect((await startDm(cat.cookie, ben.username)).status).toBe(201);
  });

  it("probing usernames is limited per address, across people; another address is not affected", async () => {
    const target = await account("Target");
    const from = { "cf-connecting-ip": freshIp() };
    const probe = (cookie: string, username: string) => api("/api/dms", { method: "POST", cookie, headers: from, body: JSON.stringify({ username }) });
    let limited: Response | undefined;
    const people = [];
    for (let p = 0; p < 8 && !limited; p++) {
      const who = await account(`Probe${p}`);
      people.push(who);
      // Fewer than the per-person limit each: only the per-address one can stop them.
      for (let i = 0; i < 15 && !limited; i++) {
        const res = await probe(who.cookie, `nobody_${p}_${i}_${crypto.randomUUID().slice(0, 6)}`);
        if (res.status === 429) limited = res;
        else expect(res.status).toBe(404);
      }
    }
    expect(limited, "no 429 within 120 probes from one address").toBeDefined();
    expect((await errorOf(limited!)).code).toBe("rate_limited");
    const fresh = await account("Fresh");
    expect((await probe(fresh.cookie, target.username)).status).toBe(429);
    expect(await dmsStartedBy(fresh.id)).toBe(0);
    expect((await startDm(fresh.cookie, target.username)).status).toBe(201);
  });

  it("a new DM is in the starter's list at once, and in the other person's only with its first message, live once it is flushed", async () => {
    const [ann, ben] = [await account("Ann"), await account("Ben")];
    const hub = await connectHub(ben.cookie);
    const { body } = await startDm(ann.cookie, ben.username);
    const id = body.room.id;
    expect(await sidebarIds(ann.cookie)).toEqual([id]);
    expect(await sidebarIds(ben.cookie)).toEqual([]);

    const a = await connect(id, ann.cookie);
    a.send({ type: "send", cid: "first", text: "hi Ben" });
    await a.next("ack", (f) => f.cid === "first");
    // Sent but not in D1 yet: still not in his list.
    expect(await sidebarIds(ben.cookie)).toEqual([]);

    await runDurableObjectAlarm(env.ROOMS.getByName(id));
    await hub.next("rooms");
    // Told once, by the flush: starting the DM told his hub nothing.
    expect(hub.frames.filter((f) => f.type === "rooms")).toHaveLength(1);
    const his = ((await (await api("/api/rooms", { cookie: ben.cookie })).json()) as RoomsResponse).rooms;
    expect(his).toEqual([expect.objectContaining({ id, kind: "dm", name: "Ann", unread: 1, lastMessage: expect.objectContaining({ text: "hi Ben" }) })]);

    // Told, his hub watches the DM: the next message reaches his sidebar live.
    await untilWatching(id, ben.id);
    a.send({ type: "send", cid: "second", text: "still there?" });
    const { seq } = await a.next("ack", (f) => f.cid === "second");
    await runDurableObjectAlarm(env.ROOMS.getByName(id));
    expect((await hub.next("activity", (f) => f.roomId === id)).lastMessage).toMatchObject({ seq, text: "still there?" });
  });

  it("guests can start one only with someone they share a room with; an unknown name gets the same 403", async () => {
    const [ann, gus] = [await account("Ann"), await guest("Gus")];
    const stranger = await post("/api/dms", gus.cookie, { username: ann.username });
    const unknown = await post("/api/dms", gus.cookie, { username: `nobody_${crypto.randomUUID().slice(0, 8)}` });
    expect([stranger.status, unknown.status]).toEqual([403, 403]);
    const refusal = await errorOf(stranger);
    expect(refusal).toEqual({ code: "forbidden", message: expect.stringMatching(/share a room/) });
    expect(await errorOf(unknown)).toEqual(refusal);
    expect(await dmsStartedBy(gus.id)).toBe(0);

    const { room } = await newRoom(ann.cookie, "shared");
    await joinRoom(room.id, gus.cookie);
    const { status, body } = await startDm(gus.cookie, ann.username);
    expect(status).toBe(201);
    expect(body.room).toMatchObject({ kind: "dm", name: "Ann", createdBy: gus.id });
  });
});
