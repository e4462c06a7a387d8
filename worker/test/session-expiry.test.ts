/**
 * Sockets do not outlive their session: each carries the session's deadline as of its
 * upgrade (the absolute expiry, or a week after the session's last use) and is closed with
 * 4001 when it sends after it, or by its object's alarm, however faithfully it heartbeats.
 */
import { describe, it, expect } from "vitest";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { IDLE_TTL_MS } from "../auth/session";
import { userTag } from "../room/identity";
import { connect, connectHub, guest, heard, joinRoom, newRoom, waitFor, type Person } from "./helpers";

const setSession = (p: Person, column: "expires_at" | "last_seen_at", at: number) =>
  env.DB.prepare(`UPDATE sessions SET ${column} = ? WHERE user_id = ?`).bind(at, p.id).run();

/** The deadlines (`exp`) in the attachments of a room's or hub's sockets (those with `tag`). */
function deadlines(stub: DurableObjectStub, tag?: string): Promise<number[]> {
  return runInDurableObject(stub, (_i, state: DurableObjectState) =>
    state.getWebSockets(tag).map((ws) => (ws.deserializeAttachment() as { exp: number }).exp),
  );
}

/** Lets `at` pass (the session deadlines here are set a moment ahead). */
const until = (at: number) => waitFor(() => Date.now() > at, "the session's deadline to pass");

/** How far ahead a test sets a session's end: enough for an upgrade on a busy machine. */
const AHEAD_MS = 2000;

describe("a socket carries its session's deadline", () => {
  it("the absolute expiry, or a week after the session's last use, whichever comes first", async () => {
    const [alice, bob, carol] = [await guest("Alice"), await guest("Bob"), await guest("Carol")];
    const { room } = await newRoom(alice.cookie);
    for (const p of [bob, carol]) await joinRoom(room.id, p.cookie);
    const now = Date.now();
    await setSession(alice, "expires_at", now + 3600_000);
    await setSession(bob, "last_seen_at", now - 30 * 60_000); // used half an hour ago: not touched by the upgrade
    await setSession(carol, "last_seen_at", now - 2 * 3600_000); // used two hours ago: the upgrade counts as use
    for (const p of [alice, bob, carol]) await connect(room.id, p.cookie);
    const after = Date.now();

    const stub = env.ROOMS.getByName(room.id);
    expect(await deadlines(stub, userTag(alice.id))).toEqual([now + 3600_000]);
    expect(await deadlines(stub, userTag(bob.id))).toEqual([now - 30 * 60_000 + IDLE_TTL_MS]);
    const [c] = await deadlines(stub, userTag(carol.id));
    expect(c).toBeGreaterThanOrEqual(now + IDLE_TTL_MS);
    expect(c).toBeLessThanOrEqual(after + IDLE_TTL_MS);

    await connectHub(alice.cookie);
    expect(await deadlines(env.HUBS.getByName(alice.id))).toEqual([now + 3600_000]);
  });
});

describe("a room socket whose session has ended", () => {
  it("is closed with 4001 when it sends (the frame is dropped) or by the alarm's sweep; a live session's socket goes on", async () => {
    const [alice, bob] = [await guest("Alice"), await guest("Bob")];
    const { room } = await newRoom(alice.cookie);
    await joinRoom(room.id, bob.cookie);
    const a = await connect(room.id, alice.cookie);
    const end = Date.now() + AHEAD_MS;
    await setSession(bob, "expires_at", end);
    const [talking, silent] = [await connect(room.id, bob.cookie), await connect(room.id, bob.cookie)];
    await until(end);

    talking.send({ type: "send", cid: "too-late", text: "after my session ended" });
    expect(await talking.waitClosed()).toEqual({ code: 4001, reason: "your session has expired" });
    // The other tab heartbeats (answered without waking the room) and never sends: only the sweep can find it.
    await runDurableObjectAlarm(env.ROOMS.getByName(room.id));
    expect(await silent.waitClosed()).toEqual({ code: 4001, reason: "your session has expired" });
    expect(await a.next("presence", (f) => f.left.includes(bob.id))).toEqual({ type: "presence", joined: [], left: [bob.id] });

    // Alice's session is alive: her socket stayed, and Bob's late message was never stored.
    a.send({ type: "send", cid: "alive", text: "still here" });
    expect((await heard(a, "alive")).seq).toBe(1);
    expect(a.closed).toBeNull();
  });
});

describe("a hub socket whose session has ended", () => {
  it("is closed with 4001 by the hub's alarm; before the deadline the alarm keeps it", async () => {
    const bob = await guest("Bob");
    const end = Date.now() + AHEAD_MS;
    await setSession(bob, "expires_at", end);
    const hub = await connectHub(bob.cookie);
    const stub = env.HUBS.getByName(bob.id);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(hub.closed).toBeNull();

    await until(end);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await hub.waitClosed()).toEqual({ code: 4001, reason: "your session has expired" });
  });
});
