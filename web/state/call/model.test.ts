/**
 * The call model against a scripted room socket (through the room store and its
 * adapter), fake media and fake peer connections: who rings, accept/decline/busy, media
 * errors, perfect negotiation in the mesh, rejoining after a reconnect, refusals matched
 * by request id, and that leaving stops every track and closes every connection. Plus the
 * history line a call leaves.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallState, CallSummary, Me, RoomResponse, ServerFrame } from "../../../worker/protocol";
import { FakeSocket, json, stubBrowser } from "../fakes";
import { createRoomStore, type RoomStore } from "../room";
import { callLine, formatDuration } from "../messages";
import { createCalls, type Calls } from "./calls";
import { FakePeerConnection, FakeStream, FakeTrack, fakeEnv } from "./fake-rtc";
import { OUTCOME_SHOWN_MS, createCallModel, type CallModel } from "./model";
import { FIRST_OFFER_WAIT_MS, fingerprintOf, isPolite } from "./peer";
import { callRoom } from "./room-adapter";

const alice: Me = { id: "u-alice", name: "Alice", username: "alice", kind: "account" };
const bob = { id: "u-bob", name: "Bob" };
const carol = { id: "u-carol", name: "Carol" };
const aaron = { id: "u-aaron", name: "Aaron" };
const roomResponse: RoomResponse = {
  room: { id: "AAAAAAAAAAAAAAAAAAAAAA", kind: "group", name: "Room", topic: "", createdBy: alice.id, createdAt: 0, role: "owner", invite: "x" },
  members: [
    { ...alice, role: "owner" },
    { ...bob, username: "bob", role: "member" },
  ],
};
const welcome: ServerFrame = { type: "welcome", v: 1, me: alice, online: [alice, bob], messages: [], lastSeq: 0, gap: false };
const participant = (p: { id: string; name: string }, joinedAt = 1) => ({
  ...p,
  audio: true,
  video: true,
  screen: false,
  joinedAt,
  goneSince: null,
});
const callState = (over: Partial<CallState> = {}): CallState => ({
  id: "call-1",
  media: "video",
  caller: bob,
  startedAt: 1,
  answeredAt: null,
  participants: [participant(bob)],
  ringing: [alice.id],
  ...over,
});
/** Alice's call with Bob, answered. */
const withBob = (over: Partial<CallState> = {}) =>
  callState({ caller: alice, answeredAt: 9, ringing: [], participants: [participant(alice), participant(bob, 9)], ...over });

let room: RoomStore;
let calls: Calls;
let call: CallModel;
let env: ReturnType<typeof fakeEnv> & { gum: ReturnType<typeof vi.fn> };
const held = () => env.opened;
const sock = () => FakeSocket.all[FakeSocket.all.length - 1]!;
type Sent = Record<string, unknown> & { type: string; req?: string };
const sentOn = (s: FakeSocket, type?: string) =>
  s.sent
    .filter((x) => x !== "ping")
    .map((x) => JSON.parse(x) as Sent)
    .filter((f) => !type || f.type === type);
const sent = (type?: string) => sentOn(sock(), type);
/** Frames without their (random) request ids. */
const bare = (fs: Sent[]) => fs.map(({ req: _r, ...f }) => f);
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await vi.advanceTimersByTimeAsync(0);
};

beforeEach(() => {
  stubBrowser();
  FakePeerConnection.reset();
  vi.stubGlobal("MediaStream", FakeStream);
  vi.stubGlobal("fetch", vi.fn(async () => json(roomResponse)));
  const base = fakeEnv();
  const gum = vi.fn(base.getUserMedia);
  env = { ...base, gum, getUserMedia: gum };
  room = createRoomStore(roomResponse, alice);
  calls = createCalls();
  call = createCallModel(callRoom(room), calls, env);
  sock().open();
  sock().receive(welcome);
});

afterEach(() => {
  call.dispose();
  room.dispose();
  calls.dispose();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("an incoming call", () => {
  it("rings while the server says so; accept opens camera and mic, fetches ICE servers and answers", async () => {
    sock().receive({ type: "call", call: callState() });
    expect(call.incoming.value?.caller.name).toBe("Bob");
    await call.accept("call-1");
    expect(env.gum).toHaveBeenCalledWith(expect.objectContaining({ audio: true, video: expect.anything() }));
    expect(bare(sent("call.accept"))).toEqual([{ type: "call.accept", callId: "call-1" }]);
    expect(sent("call.accept")[0]!.req).toMatch(/^.{1,32}$/);
    expect(sent("call.media").at(-1)).toMatchObject({ callId: "call-1", audio: true, video: true, screen: false });
    expect(call.incoming.value).toBeNull();

    sock().receive({ type: "call", call: callState({ answeredAt: 5, ringing: [], participants: [participant(bob), participant(alice, 5)] }) });
    expect(FakePeerConnection.all).toHaveLength(1);
    expect(FakePeerConnection.all[0]!.config.iceTransportPolicy).toBe("relay");
    expect(FakePeerConnection.all[0]!.senders.map((s) => s.track?.kind)).toEqual(["audio", "video"]);
    await flush();
    // Alice < Bob: Alice is impolite and made the first offer.
    expect(sent("rtc")[0]).toMatchObject({ to: bob.id, description: { type: "offer" } });
  });

  it("decline sends call.decline and the banner goes away", () => {
    sock().receive({ type: "call", call: callState() });
    call.decline("call-1");
    expect(bare(sent("call.decline"))).toEqual([{ type: "call.decline", callId: "call-1" }]);
    expect(call.incoming.value).toBeNull();
  });

  it("answers busy by itself when we are already in a call in another room", async () => {
    const ours = sock();
    const room2 = createRoomStore({ ...roomResponse, room: { ...roomResponse.room, id: "BBBBBBBBBBBBBBBBBBBBBB" } }, alice);
    const other = createCallModel(callRoom(room2), calls, env);
    const s2 = sock();
    s2.open();
    s2.receive(welcome);
    s2.receive({ type: "call", call: callState({ id: "call-x" }) });
    await other.accept("call-x");
    expect(call.busy.value).toBe(true);
    ours.receive({ type: "call", call: callState({ id: "call-2", participants: [participant(carol)], caller: carol }) });
    expect(bare(sentOn(ours, "call.busy"))).toEqual([{ type: "call.busy", callId: "call-2" }]);
    expect(call.incoming.value).toBeNull();
    // Said once, not on every frame of that call.
    ours.receive({ type: "call", call: callState({ id: "call-2", participants: [participant(carol)], caller: carol }) });
    expect(sentOn(ours, "call.busy")).toHaveLength(1);
    other.dispose();
    room2.dispose();
    expect(call.busy.value).toBe(false);
  });

  it("a call accepted from the shell's banner is answered once this room shows it ringing us", async () => {
    calls.rings.receive({ type: "call.ring", roomId: room.id, callId: "call-1", media: "audio", caller: bob });
    calls.rings.accept(calls.rings.hub.value[0]!);
    await flush();
    expect(sent("call.accept")).toEqual([]);
    sock().receive({ type: "call", call: callState({ media: "audio" }) });
    await flush();
    expect(bare(sent("call.accept"))).toEqual([{ type: "call.accept", callId: "call-1" }]);
    // With the media the call asks for.
    expect(env.gum).toHaveBeenCalledWith({ audio: true, video: false });
    expect(calls.rings.answering.value).toBeNull();
  });
});

describe("media problems", () => {
  it("a refused camera offers audio only; audio only then starts the call", async () => {
    env.gum.mockImplementationOnce(async () => {
      throw Object.assign(new Error("denied"), { name: "NotAllowedError" });
    });
    await call.start("video");
    expect(call.mediaProblem.value).toMatchObject({ audioOnly: true });
    expect(call.mediaProblem.value!.message).toMatch(/blocked/);
    expect(call.phase.value).toBe("idle");
    expect(sent("call.start")).toEqual([]);
    call.continueAudioOnly();
    await flush();
    expect(env.gum).toHaveBeenLastCalledWith({ audio: true, video: false });
    expect(bare(sent("call.start"))).toEqual([{ type: "call.start", media: "video" }]);
  });

  it("cancelling the problem of a call we were answering declines it, so the caller isn't left ringing", async () => {
    sock().receive({ type: "call", call: callState() });
    env.gum.mockImplementationOnce(async () => {
      throw Object.assign(new Error("busy"), { name: "NotReadableError" });
    });
    await call.accept("call-1");
    expect(call.mediaProblem.value!.message).toMatch(/in use by another app/);
    call.dismissProblem();
    expect(bare(sent("call.decline"))).toEqual([{ type: "call.decline", callId: "call-1" }]);
    expect(call.incoming.value).toBeNull();
  });
});

describe("in a call", () => {
  async function inCallWithBob() {
    await call.start("video");
    sock().receive({ type: "call", call: callState({ caller: alice, participants: [participant(alice)], ringing: [bob.id] }) });
    sock().receive({ type: "call", call: withBob() });
    await flush();
    return FakePeerConnection.last();
  }

  it("the caller rings, then connects to whoever answers; hang up stops every track and closes every connection", async () => {
    await call.start("video");
    expect(bare(sent("call.start"))).toEqual([{ type: "call.start", media: "video" }]);
    expect(call.phase.value).toBe("ringing");
    sock().receive({ type: "call", call: callState({ caller: alice, participants: [participant(alice)], ringing: [bob.id] }) });
    expect(call.phase.value).toBe("ringing");
    sock().receive({ type: "call", call: withBob() });
    expect(call.phase.value).toBe("connecting");
    const pc = FakePeerConnection.all[0]!;
    pc.setConnectionState("connected");
    expect(call.phase.value).toBe("active");
    call.hangup();
    expect(bare(sent("call.hangup"))).toEqual([{ type: "call.hangup", callId: "call-1" }]);
    expect(pc.signalingState).toBe("closed");
    expect(held().every((t) => t.readyState === "ended")).toBe(true);
    expect(call.phase.value).toBe("idle");
    expect(call.busy.value).toBe(false);
  });

  it("hanging up before call.start is answered hangs the call up as soon as its id comes", async () => {
    await call.start("audio");
    call.hangup();
    expect(call.phase.value).toBe("idle");
    expect(held().every((t) => t.readyState === "ended")).toBe(true);
    sock().receive({ type: "call", call: callState({ caller: alice, media: "audio", participants: [participant(alice)], ringing: [bob.id] }) });
    expect(bare(sent("call.hangup"))).toEqual([{ type: "call.hangup", callId: "call-1" }]);
    expect(FakePeerConnection.all).toEqual([]);
  });

  it("perfect negotiation: impolite ignores a colliding offer, polite rolls back and answers", async () => {
    const pc = await inCallWithBob();
    expect(pc.signalingState).toBe("have-local-offer");
    // Alice ("u-alice" < "u-bob") is impolite: Bob's colliding offer is ignored.
    expect(isPolite(alice.id, bob.id)).toBe(false);
    sock().receive({ type: "rtc", callId: "call-1", from: bob.id, description: { type: "offer", sdp: "bob-offer" } });
    await flush();
    expect(pc.applied).toEqual([]);
    // A candidate of the ignored offer is dropped quietly.
    sock().receive({ type: "rtc", callId: "call-1", from: bob.id, candidate: { candidate: "c1", sdpMid: "0" } });
    await flush();
    sock().receive({ type: "rtc", callId: "call-1", from: bob.id, description: { type: "answer", sdp: "bob-answer" } });
    await flush();
    expect(pc.applied).toEqual(["answer"]);
    expect(pc.signalingState).toBe("stable");

    // Aaron ("u-aaron" < "u-alice") vs Alice: Alice is polite there and rolls back.
    expect(isPolite(alice.id, aaron.id)).toBe(true);
    sock().receive({ type: "call", call: withBob({ participants: [participant(alice), participant(bob, 9), participant(aaron, 10)] }) });
    await flush();
    const toAaron = FakePeerConnection.all[1]!;
    // Polite: no first offer of ours; Aaron's would come. When it doesn't, we offer after a while.
    expect(toAaron.signalingState).toBe("stable");
    expect(toAaron.senders).toEqual([]);
    await vi.advanceTimersByTimeAsync(FIRST_OFFER_WAIT_MS);
    await flush();
    expect(toAaron.signalingState).toBe("have-local-offer");
    sock().receive({ type: "rtc", callId: "call-1", from: aaron.id, description: { type: "offer", sdp: "aaron-offer" } });
    await flush();
    expect(toAaron.applied).toEqual(["local-rollback", "offer"]);
    expect(sent("rtc").filter((f) => f.to === aaron.id).at(-1)).toMatchObject({ description: { type: "answer" } });
  });

  it("the polite side answers the first offer with its tracks on the offered transceivers", async () => {
    await call.start("video");
    sock().receive({ type: "call", call: callState({ caller: alice, participants: [participant(alice)], ringing: [aaron.id] }) });
    sock().receive({ type: "call", call: withBob({ participants: [participant(alice), participant(aaron, 9)] }) });
    sock().receive({ type: "rtc", callId: "call-1", from: aaron.id, description: { type: "offer", sdp: "aaron-offer" } });
    await flush();
    const pc = FakePeerConnection.all[0]!;
    expect(pc.applied).toEqual(["offer"]);
    expect(pc.senders.map((x) => x.track?.kind)).toEqual(["audio", "video"]);
    expect(sent("rtc").filter((f) => f.description)).toEqual([
      { type: "rtc", callId: "call-1", to: aaron.id, description: { type: "answer", sdp: pc.sdp("answer") } },
    ]);
    await vi.advanceTimersByTimeAsync(FIRST_OFFER_WAIT_MS);
    expect(pc.senders).toHaveLength(2);
    expect(pc.made).toEqual(["answer"]);
  });

  it("signaling for another call, or from ourselves, is ignored; our ICE candidates go to the peer", async () => {
    const pc = await inCallWithBob();
    sock().receive({ type: "rtc", callId: "call-0", from: bob.id, description: { type: "answer", sdp: "old" } });
    sock().receive({ type: "rtc", callId: "call-1", from: alice.id, description: { type: "answer", sdp: "echo" } });
    await flush();
    expect(pc.applied).toEqual([]);
    pc.gather("candidate:1 1 udp 1 127.0.0.1 5000 typ host");
    pc.gather(null);
    expect(sent("rtc").filter((f) => "candidate" in f)).toEqual([
      { type: "rtc", callId: "call-1", to: bob.id, candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: null } },
      { type: "rtc", callId: "call-1", to: bob.id, candidate: null },
    ]);
  });

  it("an offer from another endpoint (the call moved to their other tab) gets a fresh connection", async () => {
    const pc = await inCallWithBob();
    sock().receive({ type: "rtc", callId: "call-1", from: bob.id, description: { type: "answer", sdp: "v=0\r\na=fingerprint:sha-256 AA:BB\r\n" } });
    await flush();
    expect(pc.applied).toEqual(["answer"]);
    sock().receive({ type: "call", call: withBob({ participants: [participant(alice), participant(bob, 30)] }) });
    sock().receive({ type: "rtc", callId: "call-1", from: bob.id, description: { type: "offer", sdp: "v=0\r\na=fingerprint:sha-256 CC:DD\r\n" } });
    await flush();
    expect(pc.signalingState).toBe("closed");
    const fresh = FakePeerConnection.last();
    expect(fresh).not.toBe(pc);
    expect(fresh.applied).toEqual(["offer"]);
    expect(fresh.senders.map((x) => x.track?.kind)).toEqual(["audio", "video"]);
    expect(fingerprintOf("a=x\r\na=fingerprint:SHA-256 AB:CD\r\n")).toBe("sha-256 ab:cd");
    // The page's record holds the live connection only.
    expect(calls.record.connections()).toEqual([fresh]);
  });

  it("removed from the room mid-call: the call ends here too and the camera goes off", async () => {
    const pc = await inCallWithBob();
    sock().drop(4003);
    await flush();
    expect(pc.signalingState).toBe("closed");
    expect(call.phase.value).toBe("idle");
    expect(held().every((t) => t.readyState === "ended")).toBe(true);
  });

  it("a participant who leaves loses their connection; the call ending ends ours", async () => {
    const pc = await inCallWithBob();
    sock().receive({ type: "call", call: withBob({ participants: [participant(alice), participant(bob, 9), participant(carol, 12)] }) });
    await flush();
    const toCarol = FakePeerConnection.last();
    expect(toCarol).not.toBe(pc);
    sock().receive({ type: "call", call: withBob() });
    expect(toCarol.signalingState).toBe("closed");
    expect(pc.signalingState).not.toBe("closed");
    expect([...call.peers.value.keys()]).toEqual([bob.id]);

    sock().receive({ type: "call.ended", callId: "call-1", outcome: "completed" });
    sock().receive({ type: "call", call: null });
    expect(pc.signalingState).toBe("closed");
    expect(call.outcome.value?.text).toBe("Call ended");
    expect(held().every((t) => t.readyState === "ended")).toBe(true);
    await vi.advanceTimersByTimeAsync(OUTCOME_SHOWN_MS);
    expect(call.outcome.value).toBeNull();
  });

  it("shows why the call ended for the caller: declined", async () => {
    await call.start("audio");
    sock().receive({ type: "call", call: callState({ caller: alice, media: "audio", participants: [participant(alice)], ringing: [bob.id] }) });
    sock().receive({ type: "call", call: null });
    sock().receive({ type: "call.ended", callId: "call-1", outcome: "declined", by: bob });
    expect(call.outcome.value).toMatchObject({ text: "Declined", by: "Bob" });
    expect(held().every((t) => t.readyState === "ended")).toBe(true);
  });

  it("after our socket comes back, rejoins the call and restarts ICE", async () => {
    const pc = await inCallWithBob();
    sock().drop();
    await vi.advanceTimersByTimeAsync(40_000);
    sock().open();
    sock().receive(welcome);
    // The room re-binds us to the new socket.
    expect(bare(sent("call.join"))).toEqual([{ type: "call.join", callId: "call-1" }]);
    sock().receive({ type: "call", call: withBob() });
    await flush();
    // Our offer from before the drop never got its answer: rolled back, then a fresh one.
    expect(pc.applied).toEqual(["local-rollback"]);
    expect(pc.restarts).toBe(1);
    expect(pc.signalingState).toBe("have-local-offer");
    expect(sent("call.media")).toHaveLength(1);
  });

  it("after our socket comes back to a call that ended meanwhile, the room's refusal of the rejoin ends it here", async () => {
    const pc = await inCallWithBob();
    sock().drop();
    await vi.advanceTimersByTimeAsync(40_000);
    sock().open();
    sock().receive(welcome);
    const join = sent("call.join")[0]!;
    sock().receive({ type: "error", code: "no_such_call", message: "that call is not running in this room", req: join.req! });
    expect(pc.signalingState).toBe("closed");
    expect(call.phase.value).toBe("idle");
    expect(call.notice.value).toBe("That call has ended");
    expect(held().every((t) => t.readyState === "ended")).toBe(true);
  });

  it("when a participant's connection comes back, negotiates afresh (signaling sent meanwhile was dropped)", async () => {
    const pc = await inCallWithBob();
    sock().receive({ type: "call", call: withBob({ participants: [participant(alice), { ...participant(bob, 9), goneSince: 20 }] }) });
    await flush();
    expect(pc.restarts).toBe(0);
    sock().receive({ type: "call", call: withBob() });
    await flush();
    expect(pc.applied).toEqual(["local-rollback"]);
    expect(pc.restarts).toBe(1);
  });

  it("ICE failure restarts ICE; a disconnect restarts it only if it does not recover", async () => {
    const pc = await inCallWithBob();
    pc.setIceState("failed");
    expect(pc.restarts).toBe(1);
    pc.setIceState("disconnected");
    await vi.advanceTimersByTimeAsync(2500);
    expect(pc.restarts).toBe(2);
    pc.setIceState("disconnected");
    pc.setIceState("connected");
    await vi.advanceTimersByTimeAsync(2500);
    expect(pc.restarts).toBe(2);
  });

  it("their tracks show on their tile", async () => {
    const pc = await inCallWithBob();
    const theirs = new FakeStream([new FakeTrack("audio"), new FakeTrack("video")]);
    pc.receiveTrack(theirs.tracks[0]!, theirs);
    expect(call.peers.value.get(bob.id)?.stream).toBe(theirs);
    pc.setConnectionState("connected");
    expect(call.peers.value.get(bob.id)?.state).toBe("connected");
    expect(calls.record.tracks()).toContain(theirs.tracks[0]);
  });

  it("screen share replaces the camera on every sender; stopping (or the browser's own stop) returns to it", async () => {
    const pc = await inCallWithBob();
    await call.shareScreen();
    expect(pc.senders[1]!.track?.label).toBe("screen");
    expect(sent("call.media").at(-1)).toMatchObject({ screen: true });
    const screen = pc.senders[1]!.track!;
    screen.onended?.();
    await flush();
    expect(pc.senders[1]!.track?.label).toBe("cam");
    expect(screen.readyState).toBe("ended");
    expect(sent("call.media").at(-1)).toMatchObject({ screen: false, video: true });
  });

  it("mute and camera off are sent to the others; camera off releases the camera", async () => {
    const pc = await inCallWithBob();
    call.toggleMute();
    expect(sent("call.media").at(-1)).toMatchObject({ audio: false });
    await call.toggleCamera();
    expect(pc.senders[1]!.track).toBeNull();
    expect(held().find((t) => t.label === "cam")!.readyState).toBe("ended");
    expect(sent("call.media").at(-1)).toMatchObject({ audio: false, video: false });
    // Every call.media carries its own request id.
    const reqs = sent("call.media").map((f) => f.req);
    expect(new Set(reqs).size).toBe(reqs.length);
  });

  it("joining a full call is told plainly and releases the camera; a stray error does not end a call", async () => {
    sock().receive({ type: "call", call: callState({ answeredAt: 3, ringing: [], participants: [participant(bob), participant(carol), participant(aaron)] }) });
    expect(call.joinable.value?.id).toBe("call-1");
    await call.join("call-1");
    expect(bare(sent("call.join"))).toEqual([{ type: "call.join", callId: "call-1" }]);
    sock().receive({ type: "error", code: "call_full", message: "call is full", req: sent("call.join")[0]!.req! });
    expect(call.notice.value).toBe("Call is full");
    expect(call.phase.value).toBe("idle");
    expect(held().every((t) => t.readyState === "ended")).toBe(true);

    sock().receive({ type: "call", call: null });
    const pc = await inCallWithBob();
    // Without a req (signaling to someone who just left), or with the req of another action
    // of ours (a media update), an error is not a refusal of the call.
    sock().receive({ type: "error", code: "not_in_call", message: "that person is not in this call" });
    sock().receive({ type: "error", code: "not_in_call", message: "you are not in this call", req: sent("call.media").at(-1)!.req! });
    expect(call.phase.value).not.toBe("idle");
    expect(pc.signalingState).not.toBe("closed");
  });

  it("a refusal is matched by its request id, however late it comes", async () => {
    sock().receive({ type: "call", call: callState() });
    await call.accept("call-1");
    const req = sent("call.accept")[0]!.req!;
    await vi.advanceTimersByTimeAsync(30_000);
    sock().receive({ type: "error", code: "not_ringing", message: "this call is not ringing you", req: "someone-else" });
    expect(call.current.value?.id).toBe("call-1");
    sock().receive({ type: "error", code: "not_ringing", message: "this call is not ringing you", req });
    expect(call.current.value).toBeNull();
    expect(call.notice.value).toBe("That call has ended");
    expect(held().every((t) => t.readyState === "ended")).toBe(true);
  });

  it("a start the room refuses (nobody to call) goes back to idle and says why", async () => {
    await call.start("video");
    const req = sent("call.start")[0]!.req!;
    sock().receive({ type: "error", code: "nobody_to_call", message: "nobody else is in this room", req });
    sock().receive({ type: "call.ended", callId: "zz", outcome: "missed" });
    expect(call.phase.value).toBe("idle");
    expect(call.notice.value).toBe("Nobody else is here to call");
    expect(held().every((t) => t.readyState === "ended")).toBe(true);
    expect(call.busy.value).toBe(false);
  });

  it("starting while the socket is down says so and releases the media", async () => {
    sock().drop();
    await call.start("audio");
    expect(call.notice.value).toMatch(/Not connected/);
    expect(call.phase.value).toBe("idle");
    expect(held().every((t) => t.readyState === "ended")).toBe(true);
  });
});

describe("the history line", () => {
  const c = (outcome: CallSummary["outcome"], media: CallSummary["media"] = "video", durationMs = 0): CallSummary => ({ id: "c", media, outcome, durationMs });
  it("reads like a phone's call log", () => {
    expect(callLine(c("completed", "video", 192_000), "Alice", false).text).toBe("Video call · 3:12");
    expect(callLine(c("missed", "audio"), "Alice", false)).toEqual({ text: "Missed audio call from Alice", missed: true });
    expect(callLine(c("missed", "audio"), "Alice", true).text).toBe("Audio call · No answer");
    expect(callLine(c("cancelled"), "Alice", false).text).toBe("Missed video call from Alice");
    expect(callLine(c("declined"), "Alice", true).text).toBe("Video call · Declined");
    expect(formatDuration(3_723_000)).toBe("1:02:03");
  });
});
