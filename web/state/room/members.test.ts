/**
 * Room details and members: the list (everyone listed, merged with presence), new members
 * seen online, refetches that coalesce, owner actions, and failures that end the room.
 */
import { signal, type Signal } from "@preact/signals";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Peer } from "../../../worker/protocol";
import { json, stubBrowser } from "../fakes";
import { bob, carol, me, members, room, roomResponse } from "./fixtures";
import { Members } from "./members";
import type { RoomProblem } from "./problems";

let online: Signal<readonly Peer[]>;
let ended: RoomProblem[];
let list: Members;
const calls = () => vi.mocked(fetch).mock.calls.map(([url, init]) => `${init?.method} ${String(url)}`);

beforeEach(() => {
  stubBrowser();
  vi.stubGlobal("fetch", vi.fn(async () => json(roomResponse)));
  online = signal<readonly Peer[]>([me]);
  ended = [];
  list = new Members(roomResponse, { me: signal(me), online, end: (p) => ended.push(p) });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("members", () => {
  it("lists every member, not only who is online, with role and username; online first", () => {
    expect(list.rows.value.map((x) => [x.name, x.online, x.role, x.username, x.me])).toEqual([
      ["Alice", true, "owner", "alice", true],
      ["Bob", false, "member", "bob", false],
    ]);
    online.value = [me, { ...bob, name: "Robert" }];
    expect(list.rows.value.map((x) => `${x.name}:${x.online}`)).toEqual(["Alice:true", "Robert:true"]);
  });

  it("someone unknown seen online is listed at once, then fetched for role and username", async () => {
    vi.mocked(fetch).mockResolvedValue(json({ room, members: [...members, { ...carol, username: "carol", role: "member" }] }));
    online.value = [me, carol];
    list.seen([me, carol]);
    expect(list.rows.value.find((x) => x.id === carol.id)).toMatchObject({ online: true, role: "member", username: null });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls()).toEqual([`GET /api/rooms/${room.id}`]);
    expect(list.rows.value.find((x) => x.id === carol.id)).toMatchObject({ username: "carol" });
    list.seen([me, carol]); // known now: no refetch
    expect(calls()).toHaveLength(1);
  });

  it("a refetch keeps whoever is online but not listed yet (the list may predate their join)", async () => {
    online.value = [me, carol];
    list.seen([carol]);
    await vi.advanceTimersByTimeAsync(0); // the answer does not list Carol yet
    expect(list.rows.value.map((x) => x.name)).toEqual(["Alice", "Carol", "Bob"]);
  });

  it("refresh() takes a rename; calls while one is in flight share it", async () => {
    vi.mocked(fetch).mockResolvedValue(json({ room: { ...room, name: "Renamed", topic: "new topic" }, members }));
    await Promise.all([list.refresh(), list.refresh()]);
    expect(calls()).toHaveLength(1);
    expect(list.room.value).toMatchObject({ name: "Renamed", topic: "new topic" });
  });

  it("a refresh answered 404, 403 or 401 ends the room; a network failure does not", async () => {
    vi.mocked(fetch).mockRejectedValueOnce(new TypeError("Failed to fetch"));
    await list.refresh();
    expect(ended).toEqual([]);
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "not_found", message: "no such room" } }, 404));
    await list.refresh();
    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "forbidden", message: "not a member" } }, 403));
    await list.refresh();
    expect(ended.map((p) => p.kind)).toEqual(["deleted", "removed"]);
  });

  it("Remove and ban asks the server to ban, then lists the ban from the refetched room; Unban drops it", async () => {
    const ban = { id: bob.id, name: "Bob", username: null, at: 5 };
    vi.mocked(fetch).mockResolvedValueOnce(new Response(null, { status: 204 }));
    vi.mocked(fetch).mockResolvedValueOnce(json({ room, members: members.filter((x) => x.id !== bob.id), bans: [ban] }));
    expect(await list.removeMember(bob.id, true)).toBeNull();
    expect(vi.mocked(fetch).mock.calls.at(-2)).toEqual([`/api/rooms/${room.id}/members/${bob.id}?ban=1`, expect.objectContaining({ method: "DELETE" })]);
    await vi.waitFor(() => expect(list.bans.value).toEqual([ban]));
    expect(list.rows.value.map((x) => x.name)).toEqual(["Alice"]);

    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "not_found", message: "that person is not banned from this room" } }, 404));
    expect(await list.unban(bob.id)).toMatchObject({ status: 404, message: "that person is not banned from this room" });
    expect(list.bans.value).toEqual([ban]);
    vi.mocked(fetch).mockResolvedValueOnce(new Response(null, { status: 204 }));
    expect(await list.unban(bob.id)).toBeNull();
    expect(vi.mocked(fetch).mock.lastCall).toEqual([`/api/rooms/${room.id}/bans/${bob.id}`, expect.objectContaining({ method: "DELETE" })]);
    expect(list.bans.value).toEqual([]);
  });

  it("owner actions: a reset invite replaces the code; a removed member leaves the list; a refusal is returned", async () => {
    vi.mocked(fetch).mockResolvedValueOnce(json({ invite: "invite-2" }));
    expect(await list.resetInvite()).toBeNull();
    expect(list.room.value.invite).toBe("invite-2");
    expect(vi.mocked(fetch).mock.lastCall).toEqual([`/api/rooms/${room.id}/invite`, expect.objectContaining({ method: "POST" })]);

    vi.mocked(fetch).mockResolvedValueOnce(new Response(null, { status: 204 }));
    expect(await list.removeMember(bob.id, false)).toBeNull();
    expect(vi.mocked(fetch).mock.lastCall).toEqual([`/api/rooms/${room.id}/members/${bob.id}`, expect.objectContaining({ method: "DELETE" })]);
    expect(list.rows.value.map((x) => x.name)).toEqual(["Alice"]);

    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "forbidden", message: "only the owner can do that" } }, 403));
    expect(await list.resetInvite()).toMatchObject({ status: 403, message: "only the owner can do that" });
    expect(ended).toEqual([]); // refused, not removed

    vi.mocked(fetch).mockResolvedValueOnce(json({ room: { ...room, name: "New name" }, members }));
    expect(await list.update({ name: "New name" })).toBeNull();
    expect(list.room.value.name).toBe("New name");

    vi.mocked(fetch).mockResolvedValueOnce(json({ error: { code: "unauthorized", message: "signed out" } }, 401));
    expect(await list.update({ name: "x" })).toMatchObject({ status: 401 });
    expect(ended.map((p) => p.kind)).toEqual(["unauthorized"]);
  });

  it("names people for reaction tooltips: You, members, whoever is online, else Someone", () => {
    online.value = [me, carol];
    expect(list.nameOf(me.id)).toBe("You");
    expect(list.nameOf(bob.id)).toBe("Bob");
    expect(list.nameOf(carol.id)).toBe("Carol");
    expect(list.nameOf("u-nobody")).toBe("Someone");
  });
});
