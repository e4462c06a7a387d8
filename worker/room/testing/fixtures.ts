/** Small builders for the room's unit tests. */
import type { Conn } from "../effects";
import { RoomStore } from "../store/room-store";
import { nodeStorage } from "./node-storage";

export function newStore() {
  const storage = nodeStorage();
  return { storage, store: new RoomStore(storage) };
}

export const alice: Conn = { uid: "u-alice", name: "Alice", conn: "c-alice" };
export const bob: Conn = { uid: "u-bob", name: "Bob", conn: "c-bob" };
export const carol: Conn = { uid: "u-carol", name: "Carol", conn: "c-carol" };
