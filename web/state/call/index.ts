/**
 * Calls, client side (see each module's header):
 * ports.ts (what the call needs from the room and the browser) · room-adapter.ts (today's
 * room store as a CallRoom) · session.ts (our side of the call: a pure reducer) · peer.ts
 * (one perfect-negotiation peer) · mesh.ts (one peer per participant) · media.ts (camera,
 * mic, screen) · rings.ts (calls ringing us, from the room and the hub) · calls.ts (what a
 * page shares: the one-call lock, rings, held call, connection record) · holder.ts · model.ts
 * (what the UI reads and calls) · derive.ts (what the room's call means to us: pure) ·
 * room-call.ts (a room's call before and after the call code loads) · page.ts (what stands in
 * for the page's calls and a room's call until their small chunk is here).
 *
 * Only what the first chunk needs is exported here (page.ts): the rest loads on demand, the
 * page's calls, the rooms' calls and the rings with the call buttons and the ring banner
 * (web/ui/calls/basics.tsx), the model and what it brings (session, mesh, peers, media)
 * through web/ui/calls/calls.tsx; those chunks import the modules by path. The build keeps a
 * whole module in the chunk of whoever imports it. Types are free.
 */
export { pageCalls, type CallBasics, type PageCalls, type RoomCallSlot } from "./page";
export type { Calls } from "./calls";
export type { CallHolder, Held } from "./holder";
export type { CallCode, RoomCall } from "./room-call";
export type { CallEnv, CallRoom, CallRoomEvents } from "./ports";
export type { Ring, Rings, RingFrame } from "./rings";
export type { CallModel, MediaProblem, Outcome } from "./model";
export type { PeerView } from "./peer";
export type { Local } from "./media";
