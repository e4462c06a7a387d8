/**
 * One other participant, over one RTCPeerConnection at a time, with perfect negotiation
 * (W3C WebRTC §10.7 / MDN): the side with the greater user id is *polite*.
 * onnegotiationneeded → setLocalDescription() → send; an offer arriving while we are
 * making one is ignored by the impolite side, and the polite side rolls its own back
 * (explicitly, once its in-flight setLocalDescription is done: the implicit rollback racing
 * it stalled Chromium now and then) and answers. So renegotiation from either side, at any
 * moment (camera on in an audio call, screen share, ICE restart), never deadlocks.
 *
 * - The first offer comes from the impolite side only: the polite side adds its tracks to
 *   the transceivers that offer brings, in its answer (no glare on the way in), and offers
 *   itself if nothing came in FIRST_OFFER_WAIT_MS.
 * - Incoming signaling is applied in arrival order (one promise chain per connection), so
 *   ICE candidates that follow a description wait until it is applied.
 * - ICE `failed` restarts at once; `disconnected` restarts after ICE_RESTART_AFTER_MS unless
 *   it recovered.
 * - A description carrying another DTLS fingerprint than before comes from another endpoint
 *   (their call moved to another tab, or they reloaded): a connection cannot change its
 *   remote certificate, so this peer starts a fresh RTCPeerConnection, which answers their
 *   offer or (for an answer to our old offer) makes its own.
 */

/** After a connection's ICE goes `disconnected`, wait this long for it to recover before restarting. */
export const ICE_RESTART_AFTER_MS = 2000;
/** The polite side waits this long for the first offer before making one itself. */
export const FIRST_OFFER_WAIT_MS = 4000;

/** Perfect-negotiation polite side: deterministic from the two user ids. */
export const isPolite = (me: string, other: string) => me > other;

/** The first `a=fingerprint:` of an SDP (what identifies the sending endpoint's certificate). */
export function fingerprintOf(sdp: string): string | null {
  const m = /^a=fingerprint:(.+)$/m.exec(sdp);
  return m?.[1]?.trim().toLowerCase() ?? null;
}

/** What we send them: our tracks and the stream they belong to, when our tracks go on. */
export type Outgoing = { stream: MediaStream | null; audio: MediaStreamTrack | null; video: MediaStreamTrack | null };

/** Their media and our connection's state, for their tile. */
export type PeerView = {
  id: string;
  /** What they send us (audio and, if any, video). */
  stream: MediaStream | null;
  state: RTCPeerConnectionState;
};

/** An ICE candidate as the wire carries it. */
export type IceCandidateInit = { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null; usernameFragment: string | null };

/** Signaling to them: a description of ours or an ICE candidate (null: end of candidates). */
export type Signal = { description: { type: "offer" | "answer"; sdp: string } } | { candidate: IceCandidateInit | null };

/** The page's record of connections and tracks (the browser tests read it). */
export interface Recorder {
  connection(pc: RTCPeerConnection, open: boolean): void;
  track(t: MediaStreamTrack): void;
}

export interface PeerOptions {
  /** Their user id. */
  id: string;
  polite: boolean;
  config: RTCConfiguration;
  create(config: RTCConfiguration): RTCPeerConnection;
  send(signal: Signal): void;
  /** Our tracks now. */
  outgoing(): Outgoing;
  /** Their tile changed (a new object each time). */
  onView(view: PeerView): void;
  record?: Recorder;
  /** Add our tracks (and so offer) at once; by default only the impolite side does. */
  initiate?: boolean;
}

/** One RTCPeerConnection and its negotiation state; a peer replaces it for a new endpoint. */
class Connection {
  makingOffer = false;
  ignoreOffer = false;
  settingAnswer = false;
  /** Incoming signaling, applied in order. */
  chain: Promise<void> = Promise.resolve();
  /** Our offer being made (onnegotiationneeded); never rejects. */
  offering: Promise<void> = Promise.resolve();
  audio: RTCRtpSender | null = null;
  video: RTCRtpSender | null = null;
  /** Our tracks are on the connection (the polite side adds them when the first offer comes). */
  sending = false;
  offerTimer: ReturnType<typeof setTimeout> | undefined;
  restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** The DTLS fingerprint of the last description we got from them. */
  remoteFp: string | null = null;
  constructor(readonly pc: RTCPeerConnection) {}
}

export class PeerLink {
  readonly id: string;
  readonly polite: boolean;
  readonly #o: PeerOptions;
  #c: Connection;
  #view: PeerView;
  #closed = false;

  constructor(options: PeerOptions) {
    this.#o = options;
    this.id = options.id;
    this.polite = options.polite;
    this.#c = this.#open();
    this.#view = { id: this.id, stream: null, state: this.#c.pc.connectionState };
    options.onView(this.#view);
    this.#begin(options.initiate ?? !options.polite);
  }

  /** The connection in use (tests and diagnostics). */
  get connection(): RTCPeerConnection {
    return this.#c.pc;
  }

  /** A description or candidate from them, applied after what came before. */
  receive(description?: RTCSessionDescriptionInit, candidate?: RTCIceCandidateInit | null): void {
    if (this.#closed) return;
    let c = this.#c;
    // Decided here, in arrival order, so the candidates that follow go to the fresh connection.
    const fp = description ? fingerprintOf(description.sdp ?? "") : null;
    if (fp) {
      if (c.remoteFp && fp !== c.remoteFp) {
        const answer = description!.type === "answer";
        c = this.#replace(answer);
        if (answer) return; // to our old offer: the fresh connection offers anew
      }
      c.remoteFp = fp;
    }
    c.chain = c.chain.then(() => this.#apply(c, description, candidate));
  }

  /**
   * A fresh offer with an ICE restart, after signaling may have been lost: an offer of ours
   * that never got its answer is rolled back first (else we would sit in have-local-offer
   * and, impolite, ignore the other side's new offer: a deadlock).
   */
  renegotiate(): void {
    const c = this.#c;
    c.chain = c.chain.then(async () => {
      const pc = c.pc;
      if (pc.signalingState === "closed") return;
      if (pc.signalingState === "have-local-offer") {
        try {
          await pc.setLocalDescription({ type: "rollback" });
        } catch (e) {
          console.warn("call: rollback failed", e);
        }
      }
      pc.restartIce();
    });
  }

  /** Puts `track` (or nothing) on our video sender, adding one (a renegotiation) where none is. */
  async setVideo(track: MediaStreamTrack | null, stream: MediaStream | null): Promise<void> {
    const c = this.#c;
    if (!c.sending) return; // Its tracks go on when it connects.
    if (c.video) await c.video.replaceTrack(track).catch((e) => console.warn("call: replaceTrack", e));
    else if (track && stream) c.video = c.pc.addTrack(track, stream);
  }

  async setAudio(track: MediaStreamTrack, stream: MediaStream | null): Promise<void> {
    const c = this.#c;
    if (!c.sending) return;
    if (c.audio) await c.audio.replaceTrack(track);
    else if (stream) c.audio = c.pc.addTrack(track, stream);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#shut(this.#c);
  }

  #open(): Connection {
    const pc = this.#o.create(this.#o.config);
    const c = new Connection(pc);
    this.#o.record?.connection(pc, true);
    pc.onnegotiationneeded = () => {
      c.offering = (async () => {
        try {
          c.makingOffer = true;
          await pc.setLocalDescription();
          this.#sendDescription(pc.localDescription);
        } catch (e) {
          console.warn("call: offer failed", e);
        } finally {
          c.makingOffer = false;
        }
      })();
    };
    pc.onicecandidate = (e) => this.#o.send({ candidate: e.candidate ? candidateJson(e.candidate) : null });
    pc.ontrack = (e) => {
      this.#o.record?.track(e.track);
      this.#emit(c, { id: this.id, state: pc.connectionState, stream: e.streams[0] ?? new MediaStream([e.track]) });
      // A track added to the same stream later (camera turned on) or unmuted: re-render its tile.
      e.track.onunmute = () => this.#emit(c, { ...this.#view });
    };
    pc.onconnectionstatechange = () => this.#emit(c, { ...this.#view, state: pc.connectionState });
    pc.oniceconnectionstatechange = () => {
      const s = pc.iceConnectionState;
      clearTimeout(c.restartTimer);
      if (s === "failed") pc.restartIce();
      else if (s === "disconnected") {
        c.restartTimer = setTimeout(() => {
          if (this.#c === c && !this.#closed && pc.iceConnectionState === "disconnected") pc.restartIce();
        }, ICE_RESTART_AFTER_MS);
      }
    };
    return c;
  }

  /** The first offer: ours at once (`initiate`), or theirs, with ours after a while if it does not come. */
  #begin(initiate: boolean): void {
    const c = this.#c;
    if (initiate) this.#addTracks(c);
    else c.offerTimer = setTimeout(() => this.#addTracks(c), FIRST_OFFER_WAIT_MS);
  }

  /** Their new endpoint: the old connection goes, a fresh one takes its place. */
  #replace(initiate: boolean): Connection {
    this.#shut(this.#c);
    this.#c = this.#open();
    this.#emit(this.#c, { id: this.id, stream: null, state: this.#c.pc.connectionState });
    this.#begin(initiate);
    return this.#c;
  }

  #shut(c: Connection): void {
    clearTimeout(c.restartTimer);
    clearTimeout(c.offerTimer);
    const pc = c.pc;
    pc.onnegotiationneeded = pc.onicecandidate = pc.ontrack = null;
    pc.onconnectionstatechange = pc.oniceconnectionstatechange = null;
    for (const r of pc.getReceivers()) this.#o.record?.track(r.track);
    pc.close();
    this.#o.record?.connection(pc, false);
  }

  #emit(c: Connection, view: PeerView): void {
    if (c !== this.#c || this.#closed) return;
    this.#view = view;
    this.#o.onView(view);
  }

  #addTracks(c: Connection): void {
    clearTimeout(c.offerTimer);
    if (c.sending || c !== this.#c || this.#closed) return;
    c.sending = true;
    const out = this.#o.outgoing();
    if (!out.stream) return;
    if (out.audio) c.audio = c.pc.addTrack(out.audio, out.stream);
    if (out.video) c.video = c.pc.addTrack(out.video, out.stream);
  }

  async #apply(c: Connection, description?: RTCSessionDescriptionInit, candidate?: RTCIceCandidateInit | null): Promise<void> {
    const pc = c.pc;
    if (pc.signalingState === "closed") return;
    try {
      if (description) {
        if (description.type === "rollback") return;
        const readyForOffer = !c.makingOffer && (pc.signalingState === "stable" || c.settingAnswer);
        const collision = description.type === "offer" && !readyForOffer;
        c.ignoreOffer = !this.polite && collision;
        if (c.ignoreOffer) return;
        if (collision) {
          // Polite: roll our own offer back explicitly once it exists, rather than leaning on
          // the implicit rollback racing a setLocalDescription still in flight.
          await c.offering;
          if (pc.signalingState === "have-local-offer") await pc.setLocalDescription({ type: "rollback" });
        }
        c.settingAnswer = description.type === "answer";
        await pc.setRemoteDescription(description);
        c.settingAnswer = false;
        if (description.type === "offer") {
          this.#addTracks(c); // onto the offered transceivers: sent with this answer
          await pc.setLocalDescription();
          this.#sendDescription(pc.localDescription);
        }
      } else if (candidate !== undefined) {
        try {
          await pc.addIceCandidate(candidate ?? undefined);
        } catch (e) {
          // A candidate of an offer we ignored: dropped quietly.
          if (!c.ignoreOffer) throw e;
        }
      }
    } catch (e) {
      c.settingAnswer = false;
      console.warn("call: signaling failed", e);
    }
  }

  #sendDescription(d: RTCSessionDescription | null): void {
    if (d) this.#o.send({ description: { type: d.type as "offer" | "answer", sdp: d.sdp } });
  }
}

function candidateJson(c: RTCIceCandidate): IceCandidateInit {
  const j = c.toJSON();
  return {
    candidate: j.candidate ?? "",
    sdpMid: j.sdpMid ?? null,
    sdpMLineIndex: j.sdpMLineIndex ?? null,
    usernameFragment: j.usernameFragment ?? null,
  };
}
