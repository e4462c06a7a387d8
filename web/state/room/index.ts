/** The room store (one per open room) and the types its readers need. Layout: ./model.ts. */
export { createRoomStore, type RoomHost, type RoomStore } from "./model";
export type { ConnectionState } from "./channel";
export type { Pending } from "./list";
export type { MemberRow } from "./members";
export { MAX_PENDING } from "./outbox";
export { NOT_MEMBER, type RoomProblem } from "./problems";
