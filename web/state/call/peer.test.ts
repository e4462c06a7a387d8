/**
 * One perfect-negotiation peer against a fake RTCPeerConnection that models the signaling
 * states: the first offer, glare on both sides (including while our own
 * setLocalDescription is in flight), ICE candidates and their order, ICE restarts, and a
 * new DTLS endpoint taking over with a fresh connection.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakePeerConnection, FakeStream, FakeTrack } from "./fake-rtc";
import { FIRST_OFFER_WAIT_MS, ICE_RESTART_AFTER_MS, PeerLink, fingerprintOf, isPolite, type PeerView, type Signal } from "./peer";

let sent: Signal[];
let views: PeerView[];
let opened: RTCPeerConnection[];
let closed: RTCPeerConnection[];
let recorded: MediaStreamTrack[];
let warn: ReturnType<typeof vi.spyOn>;
let mine: { stream: FakeStream; audio: FakeTrack; video: FakeTrack };

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};
const offer = (fp: string) => ({ type: "offer" as const, sdp: `v=0\r\na=fingerprint:sha-256 ${fp}\r\n` });
const answer = (fp: string) => ({ type: "answer" as const, sdp: `v=0\r\na=fingerprint:sha-256 ${fp}\r\n` });
const descriptions = () => sent.flatMap((s) => ("description" in s ? [s.description.type] : []));

function link(polite: boolean, initiate?: boolean) {
  const l = new PeerLink({
    id: "u-them",
    polite,
    config: { iceTransportPolicy: "relay" },
    create: (config) => new FakePeerConnection(config) as unknown as RTCPeerConnection,
    send: (s) => sent.push(s),
    outgoing: () => ({ stream: mine.stream as unknown as MediaStream, audio: mine.audio as unknown as MediaStreamTrack, video: mine.video as unknown as MediaStreamTrack }),
    onView: (v) => views.push(v),
    record: {
      connection: (pc, open) => (open ? opened : closed).push(pc),
      track: (t) => recorded.push(t),
    },
    ...(initiate === undefined ? {} : { initiate }),
  });
  return { l, pc: () => l.connection as unknown as FakePeerConnection };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal("MediaStream", FakeStream);
  FakePeerConnection.reset();
  sent = [];
  views = [];
  opened = [];
  closed = [];
  recorded = [];
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  const audio = new FakeTrack("audio", "mic");
  const video = new FakeTrack("video", "cam");
  mine = { stream: new FakeStream([audio, video]), audio, video };
});

afterEach(() => {
  warn.mockRestore();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("the first offer", () => {
  it("the polite side is the one with the greater user id", () => {
    expect(isPolite("u-bob", "u-alice")).toBe(true);
    expect(isPolite("u-alice", "u-bob")).toBe(false);
  });

  it("impolite: puts its tracks on at once and offers; their answer makes it stable", async () => {
    const { pc } = link(false);
    expect(pc().config.iceTransportPolicy).toBe("relay");
    expect(pc().senders.map((s) => s.track?.label)).toEqual(["mic", "cam"]);
    await flush();
    expect(sent).toEqual([{ description: { type: "offer", sdp: pc().sdp("offer") } }]);
    expect(pc().signalingState).toBe("have-local-offer");
  });

  it("polite: waits for their offer and answers with its tracks on the offered transceivers, making no offer of its own", async () => {
    const { l, pc } = link(true);
    expect(pc().senders).toEqual([]);
    l.receive(offer("AA"));
    await flush();
    expect(pc().applied).toEqual(["offer"]);
    expect(pc().senders.map((s) => s.track?.label)).toEqual(["mic", "cam"]);
    expect(sent).toEqual([{ description: { type: "answer", sdp: pc().sdp("answer") } }]);
    await vi.advanceTimersByTimeAsync(FIRST_OFFER_WAIT_MS);
    expect(pc().made).toEqual(["answer"]);
    expect(pc().senders).toHaveLength(2);
  });

  it("polite: offers itself when their first offer does not come", async () => {
    const { pc } = link(true);
    await vi.advanceTimersByTimeAsync(FIRST_OFFER_WAIT_MS - 1);
    expect(descriptions()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(pc().senders).toHaveLength(2);
    expect(descriptions()).toEqual(["offer"]);
  });

  it("without media of ours (nothing to send yet) it still connects, receiving only", async () => {
    mine.stream.tracks = [];
    const l = new PeerLink({
      id: "u-them",
      polite: true,
      config: {},
      create: (config) => new FakePeerConnection(config) as unknown as RTCPeerConnection,
      send: (s) => sent.push(s),
      outgoing: () => ({ stream: null, audio: null, video: null }),
      onView: (v) => views.push(v),
    });
    l.receive(offer("AA"));
    await flush();
    expect(descriptions()).toEqual(["answer"]);
    expect((l.connection as unknown as FakePeerConnection).senders).toEqual([]);
  });
});

describe("glare", () => {
  it("impolite: a colliding offer is ignored, its candidates dropped quietly, and their answer to ours applied", async () => {
    const { l, pc } = link(false);
    await flush();
    l.receive(offer("AA"));
    l.receive(undefined, { candidate: "c1", sdpMid: "0" });
    await flush();
    expect(pc().applied).toEqual([]);
    expect(pc().signalingState).toBe("have-local-offer");
    expect(warn).not.toHaveBeenCalled();
    l.receive(answer("AA"));
    await flush();
    expect(pc().applied).toEqual(["answer"]);
    expect(pc().signalingState).toBe("stable");
    expect(descriptions()).toEqual(["offer"]);
  });

  it("polite: rolls its own offer back explicitly and answers theirs", async () => {
    const { l, pc } = link(true);
    await vi.advanceTimersByTimeAsync(FIRST_OFFER_WAIT_MS);
    await flush();
    expect(pc().signalingState).toBe("have-local-offer");
    l.receive(offer("AA"));
    await flush();
    expect(pc().applied).toEqual(["local-rollback", "offer"]);
    expect(descriptions()).toEqual(["offer", "answer"]);
    expect(pc().signalingState).toBe("stable");
  });

  it("polite, while its own setLocalDescription is still in flight: waits for it, then rolls back (no implicit rollback racing it)", async () => {
    const { l, pc } = link(true);
    let fired = false;
    const onneeded = pc().onnegotiationneeded!;
    pc().onnegotiationneeded = () => {
      fired = true;
      onneeded();
    };
    vi.advanceTimersByTime(FIRST_OFFER_WAIT_MS); // our tracks go on: negotiation is needed
    await Promise.resolve(); // onnegotiationneeded runs; its setLocalDescription is pending
    expect(fired).toBe(true);
    expect(pc().made).toEqual([]);
    l.receive(offer("AA"));
    await flush();
    expect(pc().applied).toEqual(["local-rollback", "offer"]);
    expect(pc().made).toEqual(["offer", "answer"]);
    expect(sent.at(-1)).toEqual({ description: { type: "answer", sdp: pc().sdp("answer") } });
    expect(warn).not.toHaveBeenCalled();
  });

  it("a rollback description from them is nothing to apply", async () => {
    const { l, pc } = link(true);
    l.receive({ type: "rollback", sdp: "" });
    await flush();
    expect(pc().applied).toEqual([]);
  });
});

describe("ICE candidates", () => {
  it("candidates that follow a description wait until it is applied", async () => {
    const { l, pc } = link(false);
    await flush();
    l.receive(answer("AA"));
    l.receive(undefined, { candidate: "c1", sdpMid: "0" });
    l.receive(undefined, null); // end of candidates
    await flush();
    expect(pc().applied).toEqual(["answer"]);
    expect(pc().candidates).toEqual([{ candidate: "c1", sdpMid: "0" }, null]);
    expect(warn).not.toHaveBeenCalled();
  });

  it("a candidate before any remote description is refused by the browser: warned, not thrown, and what follows still works", async () => {
    const { l, pc } = link(true);
    l.receive(undefined, { candidate: "early", sdpMid: "0" });
    await flush();
    expect(warn).toHaveBeenCalledWith("call: signaling failed", expect.objectContaining({ name: "InvalidStateError" }));
    l.receive(offer("AA"));
    l.receive(undefined, { candidate: "c2", sdpMid: "0" });
    await flush();
    expect(pc().applied).toEqual(["offer"]);
    expect(pc().candidates).toEqual([{ candidate: "c2", sdpMid: "0" }]);
  });

  it("our own candidates go to them as the wire carries them (null: gathering done)", () => {
    const { pc } = link(true);
    pc().gather("candidate:1 1 udp 1 10.0.0.1 5000 typ host");
    pc().gather(null);
    expect(sent).toEqual([
      { candidate: { candidate: "candidate:1 1 udp 1 10.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: null } },
      { candidate: null },
    ]);
  });
});

describe("restarts", () => {
  it("renegotiate: an offer that never got its answer is rolled back, then ICE restarts with a fresh offer", async () => {
    const { l, pc } = link(false);
    await flush();
    l.renegotiate();
    await flush();
    expect(pc().applied).toEqual(["local-rollback"]);
    expect(pc().restarts).toBe(1);
    expect(descriptions()).toEqual(["offer", "offer"]);
    // In stable there is nothing to roll back.
    l.receive(answer("AA"));
    await flush();
    l.renegotiate();
    await flush();
    expect(pc().applied).toEqual(["local-rollback", "answer"]);
    expect(pc().restarts).toBe(2);
  });

  it("ICE failed restarts at once; disconnected restarts after a while unless it recovers", async () => {
    const { pc } = link(false);
    pc().setIceState("failed");
    expect(pc().restarts).toBe(1);
    pc().setIceState("disconnected");
    await vi.advanceTimersByTimeAsync(ICE_RESTART_AFTER_MS - 1);
    expect(pc().restarts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pc().restarts).toBe(2);
    pc().setIceState("disconnected");
    pc().setIceState("connected");
    await vi.advanceTimersByTimeAsync(ICE_RESTART_AFTER_MS);
    expect(pc().restarts).toBe(2);
  });
});

describe("a new DTLS endpoint", () => {
  it("reads the endpoint's fingerprint from the SDP", () => {
    expect(fingerprintOf("v=0\r\na=fingerprint:SHA-256 AB:CD\r\n")).toBe("sha-256 ab:cd");
    expect(fingerprintOf("v=0\r\n")).toBeNull();
  });

  it("their offer from another endpoint: a fresh connection answers it, with our tracks; candidates that follow go to it", async () => {
    const { l, pc } = link(false);
    await flush();
    const old = pc();
    l.receive(answer("AA"));
    await flush();
    l.receive(offer("CC"));
    l.receive(undefined, { candidate: "c-new", sdpMid: "0" });
    await flush();
    expect(old.signalingState).toBe("closed");
    expect(closed).toEqual([old]);
    const fresh = pc();
    expect(fresh).not.toBe(old);
    expect(opened).toEqual([old, fresh]);
    expect(fresh.applied).toEqual(["offer"]);
    expect(fresh.senders.map((s) => s.track?.label)).toEqual(["mic", "cam"]);
    expect(fresh.candidates).toEqual([{ candidate: "c-new", sdpMid: "0" }]);
    expect(old.candidates).toEqual([]);
    expect(descriptions()).toEqual(["offer", "answer"]);
    expect(views.at(-1)).toEqual({ id: "u-them", stream: null, state: "new" });
  });

  it("an answer from another endpoint (to our old offer): a fresh connection makes its own offer", async () => {
    const { l, pc } = link(true);
    l.receive(offer("AA"));
    await flush();
    const old = pc();
    l.receive(answer("BB"));
    await flush();
    expect(old.signalingState).toBe("closed");
    expect(pc()).not.toBe(old);
    expect(pc().applied).toEqual([]);
    expect(pc().senders).toHaveLength(2);
    expect(descriptions()).toEqual(["answer", "offer"]);
  });

  it("the same endpoint renegotiating keeps its connection", async () => {
    const { l, pc } = link(true);
    l.receive(offer("AA"));
    await flush();
    const first = pc();
    l.receive(offer("aa"));
    await flush();
    expect(pc()).toBe(first);
    expect(first.applied).toEqual(["offer", "offer"]);
  });
});

describe("media and state", () => {
  it("their tracks make the tile; unmute re-renders it; the connection state follows", () => {
    const { pc } = link(true);
    expect(views).toEqual([{ id: "u-them", stream: null, state: "new" }]);
    const theirs = new FakeStream([new FakeTrack("audio")]);
    pc().receiveTrack(theirs.tracks[0]!, theirs);
    expect(views.at(-1)).toEqual({ id: "u-them", stream: theirs, state: "new" });
    expect(recorded).toEqual([theirs.tracks[0]]);
    theirs.tracks[0]!.onunmute?.();
    expect(views).toHaveLength(3);
    expect(views.at(-1)).not.toBe(views.at(-2));
    pc().setConnectionState("connected");
    expect(views.at(-1)).toEqual({ id: "u-them", stream: theirs, state: "connected" });
    // A track without a stream gets one of its own.
    pc().receiveTrack(new FakeTrack("video"));
    expect(views.at(-1)!.stream).toBeInstanceOf(FakeStream);
  });

  it("setVideo replaces the sender's track (no renegotiation); with no video sender yet it adds one (a renegotiation)", async () => {
    const { l, pc } = link(false);
    await flush();
    const screen = new FakeTrack("video", "screen");
    await l.setVideo(screen as unknown as MediaStreamTrack, mine.stream as unknown as MediaStream);
    expect(pc().senders.map((s) => s.track?.label)).toEqual(["mic", "screen"]);
    await l.setVideo(null, mine.stream as unknown as MediaStream);
    expect(pc().senders[1]!.track).toBeNull();

    mine.video = null as unknown as FakeTrack; // an audio call
    const audioOnly = link(false);
    await flush();
    expect(audioOnly.pc().senders).toHaveLength(1);
    await audioOnly.l.setVideo(screen as unknown as MediaStreamTrack, mine.stream as unknown as MediaStream);
    expect(audioOnly.pc().senders.map((s) => s.track?.label)).toEqual(["mic", "screen"]);
  });

  it("before our tracks are on (polite, waiting for their offer) a new track waits for them", async () => {
    const { l, pc } = link(true);
    await l.setVideo(new FakeTrack("video", "screen") as unknown as MediaStreamTrack, mine.stream as unknown as MediaStream);
    await l.setAudio(new FakeTrack("audio", "mic2") as unknown as MediaStreamTrack, mine.stream as unknown as MediaStream);
    expect(pc().senders).toEqual([]);
  });

  it("setAudio replaces the microphone on its sender", async () => {
    const { l, pc } = link(false);
    const mic2 = new FakeTrack("audio", "mic2");
    await l.setAudio(mic2 as unknown as MediaStreamTrack, mine.stream as unknown as MediaStream);
    expect(pc().senders[0]!.track).toBe(mic2);
  });

  it("close: the connection closes, stops listening, records the tracks it received; signaling after it is ignored", async () => {
    const { l, pc } = link(false);
    const theirs = new FakeTrack("audio");
    pc().receiveTrack(theirs);
    recorded = [];
    const before = views.length;
    l.close();
    expect(pc().signalingState).toBe("closed");
    expect(pc().onicecandidate).toBeNull();
    expect(pc().ontrack).toBeNull();
    expect(closed).toEqual([pc()]);
    expect(recorded).toEqual([theirs]);
    l.receive(offer("AA"));
    l.renegotiate();
    await flush();
    expect(pc().applied).toEqual([]);
    expect(views).toHaveLength(before);
    // A disconnect timer of the closed connection never restarts it.
    pc().iceConnectionState = "disconnected";
    await vi.advanceTimersByTimeAsync(ICE_RESTART_AFTER_MS);
    expect(pc().restarts).toBe(0);
  });
});
