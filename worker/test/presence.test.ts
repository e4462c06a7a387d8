/**
 * Presence across the app: a person's hub tells the live hubs of the people who share a
 * room with them (and no one else, and never an idle hub) when they come online, go away
 * or close the app; "last seen" is in D1; bad frames on the hub channel are refused.
 */
import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { account, api, connectHub, guest, joinRoom, newRoom, startDm, waitFor, type HubClient, type Person } from "./helpers";
import type { HubFrame, Presence, RoomsResponse } from "../protocol";

type PresenceFrame = Extract<HubFrame, { type: "presence" }>;

/** Opens the user's hub channel and says hello (as the app does on every open). */
async function online(p: Person, away = false): Promise<HubClient> {
  const hub = await connectHub(p.cookie);
  hub.send(JSON.stringify({ type: "presence", away }));
  return hub;
}

/** The first presence frame on `hub` that tells `who` has `status`. */
function told(hub: HubClient, who: string, status: Presence["status"]): Promise<PresenceFrame> {
  return hub.next("presence", (f) => f.users.some((u) => u.id === who && u.status === status));
}

const hubStorage = <T>(uid: string, key: string) =>
  runInDurableObject(env.HUBS.getByName(uid), (_i, state: DurableObjectState) => state.storage.kv.get<T>(key));

async function room(owner: Person, ...members: Person[]): Promise<string> {
  const { room } = await newRoom(owner.cookie);
  for (const m of members) await joinRoom(room.id, m.cookie);
  return room.id;
}

describe("presence", () => {
  it("reaches a co-member's live hub, not a stranger's, and never wakes an idle co-member's hub", async () => {
    const [ann, ben, cat, dan] = await Promise.all([guest("Ann"), guest("Ben"), guest("Cat"), guest("Dan")]);
    await room(ann, ben, cat); // Cat shares a room with Ann but has no app open.
    await room(dan); // Dan shares no room with Ann.
    const bens = await online(ben);
    const dans = await online(dan);
    await waitFor(async () => (await hubStorage<string>(dan.id, "status")) === "online", "Dan online");

    const anns = await online(ann);
    const f = await told(bens, ann.id, "online");
    expect(f.all).toBeUndefined();
    // Ann's tab gets everyone she shares a room with: Ben online (his hub answered), Cat offline.
    const list = await anns.next("presence", (x) => x.all === true && x.users.length === 2);
    expect(list.users).toEqual(
      expect.arrayContaining([
        { id: ben.id, status: "online", lastSeen: 0 },
        { id: cat.id, status: "offline", lastSeen: 0 },
      ]),
    );
    // The whole list is sent after every call was made: Dan was not told, and Cat's hub never ran.
    expect(dans.frames.some((x) => x.type === "presence" && x.users.some((u) => u.id === ann.id))).toBe(false);
    expect((await hubStorage<Record<string, Presence>>(dan.id, "peers"))?.[ann.id]).toBeUndefined();
    expect(await hubStorage(cat.id, "peers")).toBeUndefined();
    expect(await hubStorage(cat.id, "status")).toBeUndefined();
    expect(await hubStorage(cat.id, "uid")).toBeUndefined();
  });

  it("tells away and back, then offline with last seen (stored in D1), and a new tab's hello gets the whole list", async () => {
    const [ann, ben] = await Promise.all([guest("Ann"), guest("Ben")]);
    await room(ann, ben);
    const anns = await online(ann);
    const bens = await online(ben);
    await told(anns, ben.id, "online");

    bens.send(JSON.stringify({ type: "presence", away: true }));
    await told(anns, ben.id, "away");
    bens.send(JSON.stringify({ type: "presence", away: false }));
    await anns.until(() => anns.frames.filter((x) => x.type === "presence" && x.users.some((u) => u.id === ben.id && u.status === "online")).length === 2);

    // Two tabs: one away, one in use, is online; closing the one in use leaves Ben away.
    const second = await online(ben, true);
    await second.next("presence", (x) => x.all === true && x.users.some((u) => u.id === ann.id && u.status === "online"));
    anns.clear();
    bens.close();
    await told(anns, ben.id, "away");

    const before = Date.now();
    second.close();
    const off = await told(anns, ben.id, "offline");
    const seen = off.users.find((u) => u.id === ben.id)!.lastSeen;
    expect(seen).toBeGreaterThanOrEqual(before);
    const row = await env.DB.prepare("SELECT last_seen_at, hub_live_until FROM users WHERE id = ?").bind(ben.id).first<{ last_seen_at: number; hub_live_until: number }>();
    expect(row).toEqual({ last_seen_at: seen, hub_live_until: 0 });

    // Another tab of Ann's: its hello is answered with the list, Ben offline since then.
    const annsSecond = await online(ann);
    const hello = await annsSecond.next("presence", (x) => x.all === true);
    expect(hello.users).toEqual([{ id: ben.id, status: "offline", lastSeen: seen }]);
  });

  it("people who come to share a room learn each other's presence at once (both live)", async () => {
    const [ann, ben] = await Promise.all([guest("Ann"), guest("Ben")]);
    const anns = await online(ann);
    const bens = await online(ben);
    await anns.next("presence", (x) => x.all === true);
    await bens.next("presence", (x) => x.all === true);
    await room(ann, ben); // Ben joins Ann's room: his room list changed.
    await told(bens, ann.id, "online");
    await told(anns, ben.id, "online");
  });

  it("GET /api/rooms names a DM's other member as `peer` (a group has none)", async () => {
    const [ann, ben] = await Promise.all([account("Ann"), account("Ben")]);
    const group = await room(ann, ben);
    const dm = await startDm(ann.cookie, ben.username);
    const { rooms } = (await (await api("/api/rooms", { cookie: ann.cookie })).json()) as RoomsResponse;
    expect(rooms.find((x) => x.id === dm.body.room.id)!.peer).toBe(ben.id);
    expect(rooms.find((x) => x.id === group)!.peer).toBeUndefined();
  });

  it("refuses bad frames with an error and goes on working", async () => {
    const [ann, ben] = await Promise.all([guest("Ann"), guest("Ben")]);
    await room(ann, ben);
    const anns = await online(ann);
    const bens = await online(ben);
    await told(anns, ben.id, "online");

    bens.send("{not json");
    expect(await bens.next("error")).toMatchObject({ code: "bad_json" });
    bens.clear();
    bens.send(JSON.stringify({ type: "presence", away: "yes" }));
    expect(await bens.next("error")).toMatchObject({ code: "invalid_frame", message: expect.stringContaining("away") });
    bens.clear();
    bens.send(JSON.stringify({ type: "nope" }));
    expect(await bens.next("error")).toMatchObject({ code: "invalid_frame" });
    bens.clear();
    bens.send(JSON.stringify({ type: "presence", away: true, pad: "x".repeat(600) }));
    expect(await bens.next("error")).toMatchObject({ code: "frame_too_large" });
    expect(await hubStorage(ben.id, "status")).toBe("online");
    expect(bens.closed).toBeNull();

    bens.send(JSON.stringify({ type: "presence", away: true }));
    await told(anns, ben.id, "away");
  });

  it("a tab flipping its presence in a flood is closed with 1008 (each change costs every live co-member's hub a call)", async () => {
    const ben = await guest("Ben");
    const bens = await online(ben);
    await bens.next("presence", (x) => x.all === true);
    for (let i = 0; i < 40 && bens.closed === null; i++) bens.send(JSON.stringify({ type: "presence", away: i % 2 === 0 }));
    expect((await bens.waitClosed()).code).toBe(1008);
  });
});
