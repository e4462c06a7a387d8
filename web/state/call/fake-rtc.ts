/**
 * Stand-ins for the browser's media and WebRTC objects, for the call's unit tests in node:
 * tracks, streams, and an RTCPeerConnection that models the signaling state machine
 * (JSEP: stable ⇄ have-local-offer / have-remote-offer, rollback, closed), applies each
 * description a few microtasks later, in call order (so a setLocalDescription can be "in
 * flight" when an offer arrives), refuses what
 * a browser refuses (an answer when no offer of ours is out, a candidate before any remote
 * description, anything once closed), and fires `negotiationneeded` as browsers do: when a
 * track is added or ICE restarted while stable, or once back in stable if it was needed meanwhile.
 */
import type { CallEnv } from "./ports";

export class FakeTrack {
  static #n = 0;
  readonly id = `t${++FakeTrack.#n}`;
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

export class FakeStream {
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

export class FakeSender {
  constructor(public track: FakeTrack | null) {}
  async replaceTrack(t: FakeTrack | null) {
    this.track = t;
  }
}

type Description = { type: string; sdp: string };

const invalidState = (what: string) => Object.assign(new Error(`InvalidStateError: ${what}`), { name: "InvalidStateError" });

export class FakePeerConnection {
  static all: FakePeerConnection[] = [];
  static #n = 0;
  /** This endpoint's certificate, as its SDP's `a=fingerprint:` line says. */
  readonly fingerprint = `sha-256 ${String(++FakePeerConnection.#n).padStart(2, "0")}:ff`;
  signalingState: RTCSignalingState = "stable";
  connectionState: RTCPeerConnectionState = "new";
  iceConnectionState: RTCIceConnectionState = "new";
  localDescription: Description | null = null;
  remoteDescription: Description | null = null;
  senders: FakeSender[] = [];
  receivers: { track: FakeTrack }[] = [];
  onnegotiationneeded: (() => void) | null = null;
  onicecandidate: ((e: { candidate: { toJSON(): RTCIceCandidateInit } | null }) => void) | null = null;
  ontrack: ((e: { track: FakeTrack; streams: FakeStream[] }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  /** restartIce() calls. */
  restarts = 0;
  /** Remote descriptions applied ("offer", "answer"), our explicit rollbacks ("local-rollback") and implicit ones ("rollback"). */
  applied: string[] = [];
  /** Every description we made, in order ("offer", "answer"). */
  made: string[] = [];
  candidates: unknown[] = [];
  #negotiationPending = false;
  #negotiationQueued = false;

  constructor(readonly config: RTCConfiguration) {
    FakePeerConnection.all.push(this);
  }

  static reset() {
    FakePeerConnection.all = [];
  }

  /** The newest connection made. */
  static last(): FakePeerConnection {
    return FakePeerConnection.all[FakePeerConnection.all.length - 1]!;
  }

  sdp(type: string) {
    return `v=0\r\na=fingerprint:${this.fingerprint}\r\na=${type}\r\n`;
  }

  addTrack(track: FakeTrack, _stream: FakeStream) {
    if (this.signalingState === "closed") throw invalidState("closed");
    const s = new FakeSender(track);
    this.senders.push(s);
    // As browsers do: a track added while answering an offer rides on that answer.
    if (this.signalingState !== "have-remote-offer") this.#needNegotiation();
    return s;
  }

  getSenders() {
    return [...this.senders];
  }

  getReceivers() {
    return [...this.receivers];
  }

  async setLocalDescription(d?: { type: string }) {
    await this.#operation();
    if (this.signalingState === "closed") throw invalidState("closed");
    if (d?.type === "rollback") {
      if (this.signalingState === "stable") throw invalidState("rollback in stable");
      this.applied.push("local-rollback");
      this.signalingState = "stable";
      this.#stable();
      return;
    }
    const type = this.signalingState === "have-remote-offer" ? "answer" : "offer";
    this.localDescription = { type, sdp: this.sdp(type) };
    this.made.push(type);
    this.signalingState = type === "offer" ? "have-local-offer" : "stable";
    if (type === "answer") this.#stable();
  }

  async setRemoteDescription(d: Description) {
    await this.#operation();
    if (this.signalingState === "closed") throw invalidState("closed");
    if (d.type === "offer") {
      // An offer in have-local-offer rolls ours back first (the implicit rollback).
      if (this.signalingState === "have-local-offer") this.applied.push("rollback");
      this.signalingState = "have-remote-offer";
    } else if (d.type === "answer") {
      if (this.signalingState !== "have-local-offer") throw invalidState(`answer in ${this.signalingState}`);
      this.signalingState = "stable";
    }
    this.applied.push(d.type);
    this.remoteDescription = d;
    if (this.signalingState === "stable") this.#stable();
  }

  async addIceCandidate(c?: unknown) {
    await this.#operation();
    if (this.signalingState === "closed") throw invalidState("closed");
    if (!this.remoteDescription) throw invalidState("no remote description");
    this.candidates.push(c ?? null);
  }

  restartIce() {
    this.restarts++;
    this.#needNegotiation();
  }

  close() {
    this.signalingState = "closed";
    this.connectionState = "closed";
  }

  // ── driven by the test ──

  setIceState(s: RTCIceConnectionState) {
    this.iceConnectionState = s;
    this.oniceconnectionstatechange?.();
  }

  setConnectionState(s: RTCPeerConnectionState) {
    this.connectionState = s;
    this.onconnectionstatechange?.();
  }

  /** A local ICE candidate was gathered (null: gathering is done). */
  gather(candidate: string | null) {
    this.onicecandidate?.({ candidate: candidate === null ? null : { toJSON: () => ({ candidate, sdpMid: "0", sdpMLineIndex: 0 }) } });
  }

  /** A remote track arrived. */
  receiveTrack(track: FakeTrack, stream?: FakeStream) {
    this.receivers.push({ track });
    this.ontrack?.({ track, streams: stream ? [stream] : [] });
  }

  /** A browser applies descriptions a moment later (a few microtasks here), one after another. */
  async #operation() {
    for (let i = 0; i < 3; i++) await Promise.resolve();
  }

  #needNegotiation() {
    if (this.signalingState !== "stable") {
      this.#negotiationPending = true;
      return;
    }
    // One event for changes made together (two tracks added in a row: one offer).
    if (this.#negotiationQueued) return;
    this.#negotiationQueued = true;
    queueMicrotask(() => {
      this.#negotiationQueued = false;
      if (this.signalingState === "stable") this.onnegotiationneeded?.();
      else if (this.signalingState !== "closed") this.#negotiationPending = true;
    });
  }

  #stable() {
    if (!this.#negotiationPending) return;
    this.#negotiationPending = false;
    this.#needNegotiation();
  }
}

/** Fake media devices and peer connections: what getUserMedia opened is in `opened`. */
export function fakeEnv(over: Partial<CallEnv> = {}) {
  const opened: FakeTrack[] = [];
  const env = {
    opened,
    iceServers: async () => ({
      ok: true as const,
      data: { iceServers: [{ urls: "turn:t.example:3478", username: "u", credential: "c" }], iceTransportPolicy: "relay" as const, ttl: 60 },
    }),
    getUserMedia: async (c: MediaStreamConstraints) => {
      const ts = [] as FakeTrack[];
      if (c.audio) ts.push(new FakeTrack("audio", "mic"));
      if (c.video) ts.push(new FakeTrack("video", "cam"));
      opened.push(...ts);
      return new FakeStream(ts) as unknown as MediaStream;
    },
    getDisplayMedia: async () => {
      const t = new FakeTrack("video", "screen");
      opened.push(t);
      return new FakeStream([t]) as unknown as MediaStream;
    },
    enumerateDevices: async () => [] as MediaDeviceInfo[],
    peer: (config: RTCConfiguration) => new FakePeerConnection(config) as unknown as RTCPeerConnection,
    ...over,
  };
  return env;
}
