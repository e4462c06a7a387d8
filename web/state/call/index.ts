/**
 * Calls, client side (see each module's header):
 * ports.ts (what the call needs from the room and the browser) · room-adapter.ts (today's
 * room store as a CallRoom) · session.ts (our side of the call: a pure reducer) · peer.ts
 * (one perfect-negotiation peer) · mesh.ts (one peer per participant) · media.ts (camera,
 * mic, screen) · rings.ts (calls ringing us, from the room and the hub) · calls.ts (what a
 * page shares: the one-call lock, rings, held call, connection record) · holder.ts · model.ts
 * (what the UI reads and calls).
 */
export { createCallModel, OUTCOME_SHOWN_MS, type CallModel, type MediaProblem, type Outcome } from "./model";
export { createCalls, type Calls } from "./calls";
export { CallHolder, type Held } from "./holder";
export { callRoom } from "./room-adapter";
export { browserEnv, type CallEnv, type CallRoom, type CallRoomEvents } from "./ports";
export { type Ring, type Rings, type RingFrame } from "./rings";
export { type PeerView } from "./peer";
export { type Local } from "./media";
