/**
 * The call store against a scripted room socket, fake media and fake peer connections:
 * who rings, accept/decline/busy, media errors, perfect negotiation on collisions,
 * rejoining after a reconnect, and that leaving stops every track and closes every
 * connection. Plus the history line a call leaves.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallState, CallSummary, Me, RoomResponse, ServerFrame } from "../../worker/protocol";
import { FakeSocket, json, stubBrowser } from "./fakes";
import { FIRST_OFFER_WAIT_MS, createCallStore, fingerprintOf, isPolite, mediaErrorText, type CallEnv, type CallStore } from "./call";
import { createRoomStore, type RoomStore } from "./room";
import { callLine, formatDuration } from "./messages";

// ── fakes ──

class FakeTrack {
  enabled = true;
  readyState: "live" | "ended" = "live";
  onended: (() => void) | null = null;
  onunmute: (() => void) | null = null;
  contentHint = "";
  constructor(
    readonly kind: "audio" | "video",
    readonly label: string = kind,
  ) {}
  stop() {
    this.readyState = "ended";
  }
  getSettings() {
    return { deviceId: this.label };
  }
}

class FakeStream {
  tracks: FakeTrack[];
  constructor(tracks: FakeTrack[] = []) {
    this.tracks = [...tracks];
  }
  getTracks() {
    return [...this.tracks];
  }
  getAudioTracks() {
    return this.tracks.filter((t) => t.kind === "audio");
  }
  getVideoTracks() {
    return this.tracks.filter((t) => t.kind === "video");
  }
  addTrack(t: FakeTrack) {
    this.tracks.push(t);
  }
  removeTrack(t: FakeTrack) {
    this.tracks = this.tracks.filter((x) => x !== t);
  }
}

class FakePC {
  static all: FakePC[] = [];
  signalingState: RTCSignalingState = "stable";
  connectionState: RTCPeerConnectionState = "new";
  iceConnectionState: RTCIceConnectionState = "new";
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  senders: { track: FakeTrack | null; replaceTrack: (t: FakeTrack | null) => Promise<void> }[] = [];
  onnegotiationneeded: (() => void) | null = null;
  onicecandidate: ((e: { candidate: null }) => void) | null = null;
  ontrack: unknown = null;
  onconnectionstatechange: (() => void) | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  restarts = 0;
  applied: string[] = [];
  candidates: unknown[] = [];
  constructor(readonly config: RTCConfiguration) {
    FakePC.all.push(this);
  }
  addTrack(track: FakeTrack) {
    const s = {
      track: track as FakeTrack | null,
      replaceTrack: async (t: FakeTrack | null) => {
        s.track = t;
      },
    };
    this.senders.push(s);
    // As browsers do: a track added while answering an offer rides on that answer.
    if (this.signalingState !== "have-remote-offer") queueMicrotask(() => this.onnegotiationneeded?.());
    return s;
  }
  getReceivers() {
    return [];
  }
  async setLocalDescription(d?: { type: string }) {
    if (d?.type === "rollback") {
      this.applied.push("local-rollback");
      this.signalingState = "stable";
      return;
    }
    const type = this.signalingState === "have-remote-offer" ? "answer" : "offer";
    this.localDescription = { type, sdp: `${type}-sdp` };
    this.signalingState = type === "offer" ? "have-local-offer" : "stable";
  }
  async setRemoteDescription(d: { type: string; sdp: string }) {
    this.applied.push(d.type);
    if (d.type === "offer") {
      if (this.signalingState === "have-local-offer") this.applied.push("rollback");
      this.signalingState = "have-remote-offer";
    } else {
      this.signalingState = "stable";
    }
    this.remoteDescription = d;
  }
  async addIceCandidate(c: unknown) {
    if (!this.remoteDescription) throw new Error("no remote description");
    this.candidates.push(c);
  }
  restartIce() {
    this.restarts++;
  }
  close() {
    this.signalingState = "closed";
  }
}

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

let room: RoomStore;
let call: CallStore;
let env: CallEnv & { gum: ReturnType<typeof vi.fn> };
let held: FakeTrack[];
const sock = () => FakeSocket.all[FakeSocket.all.length - 1]!;
const sent = (type?: string) =>
  sock()
    .sent.filter((s) => s !== "ping")
    .map((s) => JSON.parse(s) as Record<string, unknown> & { type: string })
    .filter((f) => !type || f.type === type);
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await vi.advanceTimersByTimeAsync(0);
};

beforeEach(() => {
  stubBrowser();
  FakePC.all = [];
  held = [];
  vi.stubGlobal("MediaStream", FakeStream);
  vi.stubGlobal("fetch", vi.fn(async () => json(roomResponse)));
  const gum = vi.fn(async (c: MediaStreamConstraints) => {
    const ts = [] as FakeTrack[];
    if (c.audio) ts.push(new FakeTrack("audio", "mic"));
    if (c.video) ts.push(new FakeTrack("video", "cam"));
    held.push(...ts);
    return new FakeStream(ts) as unknown as MediaStream;
  });
  env = {
    gum,
    iceServers: async () => ({ ok: true, data: { iceServers: [{ urls: "turn:t.example:3478", username: "u", credential: "c" }], iceTransportPolicy: "relay", ttl: 60 } }),
    getUserMedia: gum as unknown as CallEnv["getUserMedia"],
    getDisplayMedia: async () => {
      const t = new FakeTrack("video", "screen");
      held.push(t);
      return new FakeStream([t]) as unknown as MediaStream;
    },
    enumerateDevices: async () => [],
    peer: (config) => new FakePC(config) as unknown as RTCPeerConnection,
  };
  room = createRoomStore(roomResponse, alice);
  call = createCallStore(room, env);
  sock().open();
  sock().receive(welcome);
});

afterEach(() => {
  call.dispose();
  room.dispose();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("an incoming call", () => {
  it("rings while the server says so; accept opens camera and mic, fetches ICE servers and answers", async () => {
    sock().receive({ type: "call", call: callState() });
    expect(call.incoming.value?.caller.name).toBe("Bob");
    await call.accept("call-1");
    expect(env.gum).toHaveBeenCalledWith(expect.objectContaining({ audio: true, video: expect.anything() }));
    expect(sent("call.accept")).toEqual([{ type: "call.accept", callId: "call-1" }]);
    expect(sent("call.media").at(-1)).toMatchObject({ callId: "call-1", audio: true, video: true, screen: false });
    expect(call.incoming.value).toBeNull();

    sock().receive({ type: "call", call: callState({ answeredAt: 5, ringing: [], participants: [participant(bob), participant(alice, 5)] }) });
    expect(FakePC.all).toHaveLength(1);
    expect(FakePC.all[0]!.config.iceTransportPolicy).toBe("relay");
    expect(FakePC.all[0]!.senders.map((s) => s.track?.kind)).toEqual(["audio", "video"]);
    await flush();
    // Alice < Bob: Alice is impolite and made the first offer.
    expect(sent("rtc")[0]).toMatchObject({ to: bob.id, description: { type: "offer" } });
  });

  it("decline sends call.decline and the banner goes away", () => {
    sock().receive({ type: "call", call: callState() });
    call.decline("call-1");
    expect(sent("call.decline")).toEqual([{ type: "call.decline", callId: "call-1" }]);
    expect(call.incoming.value).toBeNull();
  });

  it("answers busy by itself when we are already in a call in another room", async () => {
    const ours = sock();
    const room2 = createRoomStore({ ...roomResponse, room: { ...roomResponse.room, id: "BBBBBBBBBBBBBBBBBBBBBB" } }, alice);
    const other = createCallStore(room2, env);
    const s2 = sock();
    s2.open();
    s2.receive(welcome);
    s2.receive({ type: "call", call: callState({ id: "call-x" }) });
    await other.accept("call-x");
    ours.receive({ type: "call", call: callState({ id: "call-2", participants: [participant(carol)], caller: carol }) });
    const busy = ours.sent.filter((x) => x !== "ping").map((x) => JSON.parse(x) as { type: string });
    expect(busy).toContainEqual({ type: "call.busy", callId: "call-2" });
    expect(call.incoming.value).toBeNull();
    other.dispose();
    room2.dispose();
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
    expect(sent("call.start")).toEqual([]);
    call.continueAudioOnly();
    await flush();
    expect(env.gum).toHaveBeenLastCalledWith({ audio: true, video: false });
    expect(sent("call.start")).toEqual([{ type: "call.start", media: "video" }]);
  });

  it("names each failure for a person", () => {
    expect(mediaErrorText({ name: "NotFoundError" }, "audio").message).toBe("No microphone was found.");
    expect(mediaErrorText({ name: "NotReadableError" }, "video").message).toMatch(/in use by another app/);
    expect(mediaErrorText({ name: "NotAllowedError" }, "audio").audioOnly).toBe(false);
  });
});

describe("in a call", () => {
  async function inCallWithBob() {
    await call.start("video");
    sock().receive({ type: "call", call: callState({ caller: alice, participants: [participant(alice)], ringing: [bob.id] }) });
    sock().receive({ type: "call", call: callState({ caller: alice, answeredAt: 9, ringing: [], participants: [participant(alice), participant(bob, 9)] }) });
    await flush();
    return FakePC.all[FakePC.all.length - 1]!;
  }

  async function inCallWithBobAfter() {
    sock().receive({ type: "call", call: null });
    return inCallWithBob();
  }

  it("the caller rings, then connects to whoever answers; hang up stops every track and closes every connection", async () => {
    await call.start("video");
    expect(sent("call.start")).toEqual([{ type: "call.start", media: "video" }]);
    sock().receive({ type: "call", call: callState({ caller: alice, participants: [participant(alice)], ringing: [bob.id] }) });
    expect(call.phase.value).toBe("ringing");
    sock().receive({ type: "call", call: callState({ caller: alice, answeredAt: 9, ringing: [], participants: [participant(alice), participant(bob, 9)] }) });
    const pc = FakePC.all[0]!;
    call.hangup();
    expect(sent("call.hangup")).toEqual([{ type: "call.hangup", callId: "call-1" }]);
    expect(pc.signalingState).toBe("closed");
    expect(held.every((t) => t.readyState === "ended")).toBe(true);
    expect(call.phase.value).toBe("idle");
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
    sock().receive({
      type: "call",
      call: callState({ caller: alice, answeredAt: 9, ringing: [], participants: [participant(alice), participant(bob, 9), participant(aaron, 10)] }),
    });
    await flush();
    const toAaron = FakePC.all[1]!;
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
    sock().receive({ type: "call", call: callState({ caller: alice, answeredAt: 9, ringing: [], participants: [participant(alice), participant(aaron, 9)] }) });
    sock().receive({ type: "rtc", callId: "call-1", from: aaron.id, description: { type: "offer", sdp: "aaron-offer" } });
    await flush();
    const pc = FakePC.all[0]!;
    expect(pc.applied).toEqual(["offer"]);
    expect(pc.senders.map((x) => x.track?.kind)).toEqual(["audio", "video"]);
    expect(sent("rtc").filter((f) => f.description)).toEqual([{ type: "rtc", callId: "call-1", to: aaron.id, description: { type: "answer", sdp: "answer-sdp" } }]);
    await vi.advanceTimersByTimeAsync(FIRST_OFFER_WAIT_MS);
    expect(pc.senders).toHaveLength(2);
  });

  it("an offer from another endpoint (the call moved to their other tab) gets a fresh connection", async () => {
    const pc = await inCallWithBob();
    sock().receive({ type: "rtc", callId: "call-1", from: bob.id, description: { type: "answer", sdp: "v=0\r\na=fingerprint:sha-256 AA:BB\r\n" } });
    await flush();
    expect(pc.applied).toEqual(["answer"]);
    const moved = { ...participant(bob, 30) };
    sock().receive({ type: "call", call: callState({ caller: alice, answeredAt: 9, ringing: [], participants: [participant(alice), moved] }) });
    sock().receive({ type: "rtc", callId: "call-1", from: bob.id, description: { type: "offer", sdp: "v=0\r\na=fingerprint:sha-256 CC:DD\r\n" } });
    await flush();
    expect(pc.signalingState).toBe("closed");
    const fresh = FakePC.all[FakePC.all.length - 1]!;
    expect(fresh).not.toBe(pc);
    expect(fresh.applied).toEqual(["offer"]);
    expect(fresh.senders.map((x) => x.track?.kind)).toEqual(["audio", "video"]);
    expect(fingerprintOf("a=x\r\na=fingerprint:SHA-256 AB:CD\r\n")).toBe("sha-256 ab:cd");
  });

  it("removed from the room mid-call: the call ends here too and the camera goes off", async () => {
    const pc = await inCallWithBob();
    sock().drop(4003);
    await flush();
    expect(pc.signalingState).toBe("closed");
    expect(call.phase.value).toBe("idle");
    expect(held.every((t) => t.readyState === "ended")).toBe(true);
  });

  it("a participant who leaves loses their connection; the call ending ends ours", async () => {
    const pc = await inCallWithBob();
    sock().receive({ type: "call.ended", callId: "call-1", outcome: "completed" });
    sock().receive({ type: "call", call: null });
    expect(pc.signalingState).toBe("closed");
    expect(call.outcome.value?.text).toBe("Call ended");
    expect(held.every((t) => t.readyState === "ended")).toBe(true);
  });

  it("shows why the call ended for the caller: declined", async () => {
    await call.start("audio");
    sock().receive({ type: "call", call: callState({ caller: alice, media: "audio", participants: [participant(alice)], ringing: [bob.id] }) });
    sock().receive({ type: "call", call: null });
    sock().receive({ type: "call.ended", callId: "call-1", outcome: "declined", by: bob });
    expect(call.outcome.value).toMatchObject({ text: "Declined", by: "Bob" });
    expect(held.every((t) => t.readyState === "ended")).toBe(true);
  });

  it("after our socket comes back, rejoins the call and restarts ICE", async () => {
    const pc = await inCallWithBob();
    sock().drop();
    await vi.advanceTimersByTimeAsync(40_000);
    sock().open();
    sock().receive(welcome);
    sock().receive({ type: "call", call: callState({ caller: alice, answeredAt: 9, ringing: [], participants: [participant(alice), participant(bob, 9)] }) });
    expect(sent("call.join")).toEqual([{ type: "call.join", callId: "call-1" }]);
    await flush();
    // Our offer from before the drop never got its answer: rolled back, then a fresh one.
    expect(pc.applied).toEqual(["local-rollback"]);
    expect(pc.restarts).toBe(1);
  });

  it("when a participant's connection comes back, negotiates afresh (signaling sent meanwhile was dropped)", async () => {
    const pc = await inCallWithBob();
    const gone = { ...participant(bob, 9), goneSince: 20 };
    sock().receive({ type: "call", call: callState({ caller: alice, answeredAt: 9, ringing: [], participants: [participant(alice), gone] }) });
    await flush();
    expect(pc.restarts).toBe(0);
    sock().receive({ type: "call", call: callState({ caller: alice, answeredAt: 9, ringing: [], participants: [participant(alice), participant(bob, 9)] }) });
    await flush();
    expect(pc.applied).toEqual(["local-rollback"]);
    expect(pc.restarts).toBe(1);
  });

  it("ICE failure restarts ICE; a disconnect restarts it only if it does not recover", async () => {
    const pc = await inCallWithBob();
    pc.iceConnectionState = "failed";
    pc.oniceconnectionstatechange?.();
    expect(pc.restarts).toBe(1);
    pc.iceConnectionState = "disconnected";
    pc.oniceconnectionstatechange?.();
    await vi.advanceTimersByTimeAsync(2500);
    expect(pc.restarts).toBe(2);
    pc.iceConnectionState = "disconnected";
    pc.oniceconnectionstatechange?.();
    pc.iceConnectionState = "connected";
    pc.oniceconnectionstatechange?.();
    await vi.advanceTimersByTimeAsync(2500);
    expect(pc.restarts).toBe(2);
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
    expect(held.find((t) => t.label === "cam")!.readyState).toBe("ended");
    expect(sent("call.media").at(-1)).toMatchObject({ audio: false, video: false });
  });

  it("joining a full call is told plainly and releases the camera; a stray error does not end a call", async () => {
    sock().receive({ type: "call", call: callState({ answeredAt: 3, ringing: [], participants: [participant(bob), participant(carol), participant(aaron)] }) });
    expect(call.joinable.value?.id).toBe("call-1");
    await call.join("call-1");
    expect(sent("call.join")).toEqual([{ type: "call.join", callId: "call-1" }]);
    sock().receive({ type: "error", code: "call_full", message: "call is full" });
    expect(call.notice.value).toBe("Call is full");
    expect(call.phase.value).toBe("idle");
    expect(held.every((t) => t.readyState === "ended")).toBe(true);

    const pc = await inCallWithBobAfter();
    await vi.advanceTimersByTimeAsync(6000);
    sock().receive({ type: "error", code: "not_in_call", message: "that person is not in this call" });
    expect(call.phase.value).not.toBe("idle");
    expect(pc.signalingState).not.toBe("closed");
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
