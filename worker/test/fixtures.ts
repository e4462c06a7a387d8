/** People and rooms the tests start from: every fixture makes fresh ones, so tests share nothing. */
import { env } from "cloudflare:workers";
import { NEWCOMER_MS } from "../room/rate-limit";
import { account, connect, guest, joinRoom, newRoom, startDm, type Client, type Person } from "./helpers";

const stubOf = (roomId: string) => env.ROOMS.getByName(roomId);

/**
 * These people have been members of the room for longer than a newcomer (as if they had
 * joined an hour ago): their sockets opened from now on get a member's full budget.
 */
export async function settled(roomId: string, ...people: Person[]): Promise<void> {
  const since = Date.now() - NEWCOMER_MS - 60_000;
  await env.DB.batch(people.map((p) => env.DB.prepare("UPDATE room_members SET joined_at = ? WHERE room_id = ? AND user_id = ?").bind(since, roomId, p.id)));
}

/** Alice alone in a new room of hers, connected. */
export async function roomWithAlice() {
  const alice = await guest("Alice");
  const { room } = await newRoom(alice.cookie);
  const a = await connect(room.id, alice.cookie);
  return { alice, room, a, stub: stubOf(room.id) };
}

/** Alice's room `name`, which Bob joined by its link; neither connected. */
export async function aliceAndBob(name = "general") {
  const alice = await guest("Alice");
  const bob = await guest("Bob");
  const { room } = await newRoom(alice.cookie, name);
  await joinRoom(room.id, bob.cookie);
  return { room, alice, bob, stub: stubOf(room.id) };
}

/** Alice's room `name`, which Bob joined by its link; both connected. */
export async function twoInARoom(name = "general") {
  const people = await aliceAndBob(name);
  const a = await connect(people.room.id, people.alice.cookie);
  const b = await connect(people.room.id, people.bob.cookie);
  return { ...people, a, b };
}

/** A group room of Alice (its owner) and the other `names`, everyone connected. */
export async function groupOf(...names: string[]) {
  const alice = await guest("Alice");
  const { room } = await newRoom(alice.cookie, "calls");
  const people: Person[] = [alice];
  for (const n of names) {
    const p = await guest(n);
    await joinRoom(room.id, p.cookie);
    people.push(p);
  }
  const sockets: Client[] = [];
  for (const p of people) sockets.push(await connect(room.id, p.cookie));
  return { room, people, sockets, stub: stubOf(room.id) };
}

/** Alice and Bob (accounts) in their DM, both connected. */
export async function dm() {
  const [alice, bob] = [await account("Alice"), await account("Bob")];
  const { body } = await startDm(alice.cookie, bob.username);
  const a = await connect(body.room.id, alice.cookie);
  const b = await connect(body.room.id, bob.cookie);
  return { roomId: body.room.id, alice, bob, a, b, stub: stubOf(body.room.id) };
}
