/**
 * Calls, client side (see each module's header):
 * ports.ts (what the call needs from the room and the browser) · room-adapter.ts (today's
 * room store as a CallRoom) · session.ts (our side of the call: a pure reducer) · peer.ts
 * (one perfect-negotiation peer) · mesh.ts (one peer per participant) · media.ts (camera,
 * mic, screen) · rings.ts (calls ringing us, from the room and the hub) · calls.ts (what a
 * page shares: the one-call lock, rings, held call, connection record) · holder.ts · model.ts
 * (what the UI reads and calls) · derive.ts (what the room's call means to us: pure) ·
 * room-call.ts (a room's call before and after the call code loads).
 *
 * Only what the first chunk needs is exported here: the model and what it brings (session,
 * mesh, peers, media) load on demand, through web/ui/calls/calls.tsx, and the build keeps a
 * whole module in the chunk of whoever imports it. Types are free.
 */
export { createCalls, type Calls } from "./calls";
export { CallHolder, type Held } from "./holder";
export { callRoom } from "./room-adapter";
export { createRoomCall, type CallCode, type RoomCall } from "./room-call";
export { type CallEnv, type CallRoom, type CallRoomEvents } from "./ports";
export { type Ring, type Rings, type RingFrame } from "./rings";
export type { CallModel, MediaProblem, Outcome } from "./model";
export type { PeerView } from "./peer";
export type { Local } from "./media";
