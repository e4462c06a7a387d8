/** Shared data for the room store's unit tests: two people, a room, messages and welcomes. */
import type { Me, Member, Message, Peer, RoomDetail, RoomResponse, ServerFrameOf } from "../../../worker/protocol";

export const me: Peer = { id: "u-alice", name: "Alice" };
export const bob: Peer = { id: "u-bob", name: "Bob" };
export const carol: Peer = { id: "u-carol", name: "Carol" };
export const alice: Me = { ...me, username: "alice", kind: "account" };
export const room: RoomDetail = {
  id: "AAAAAAAAAAAAAAAAAAAAAA",
  kind: "group",
  name: "Test room",
  topic: "",
  createdBy: me.id,
  createdAt: 0,
  role: "owner",
  invite: "invite-1",
};
export const members: Member[] = [
  { ...me, username: "alice", role: "owner" },
  { ...bob, username: "bob", role: "member" },
];
export const roomResponse: RoomResponse = { room, members };

/** Message `seq` by `who` (Bob unless said), cid `c<seq>`, text `m<seq>`. */
export const m = (seq: number, who: Peer = bob, cid = `c${seq}`): Message => ({ seq, cid, uid: who.id, name: who.name, text: `m${seq}`, ts: 1000 + seq });

export const welcome = (messages: Message[], lastSeq: number, gap = false, more: Partial<ServerFrameOf<"welcome">> = {}): ServerFrameOf<"welcome"> => ({
  type: "welcome",
  v: 1,
  me,
  online: [me],
  messages,
  lastSeq,
  gap,
  ...more,
});
