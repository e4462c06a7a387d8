/**
 * The call store: one per open room, beside its room store (which owns the socket and
 * hands us the call frames). State in signals; the UI (ui/Call*.tsx) only reads them and
 * calls the actions.
 *
 * - The server is authoritative for who is in the call: every `{type:"call"}` frame is the
 *   truth, and we keep exactly one RTCPeerConnection per other participant in it (full mesh,
 *   ≤ CALL_MAX_PARTICIPANTS). Everyone opens a connection to everyone and adds their tracks;
 *   the offers that collide are sorted out by perfect negotiation (below).
 * - ICE servers come from GET /api/turn before each call (short-lived TURN credentials, and
 *   its iceTransportPolicy: "relay" forces TURN).
 * - Perfect negotiation (W3C WebRTC §10.7 / MDN): the side with the greater user id is
 *   *polite*. onnegotiationneeded → setLocalDescription() → send; an offer arriving while we
 *   are making one is ignored by the impolite side, and the polite side rolls back and
 *   answers. So renegotiation (screen share in an audio call, camera turned on, ICE restart)
 *   from either side, at any moment, never deadlocks.
 * - Dropped network: an ICE connection that goes `failed` (or stays `disconnected` 2 s)
 *   restarts ICE; when the room socket comes back while we are in the call we send
 *   `call.join` again (the room re-binds us to the new socket) and restart ICE everywhere.
 * - Leaving, for whatever reason, stops every track we opened (no lit camera light) and
 *   closes every peer connection.
 */
import { batch, computed, effect, signal, type ReadonlySignal } from "@preact/signals";
import type { CallMedia, CallOutcome, CallParticipant, CallState, IceServersResponse, MediaState } from "../../worker/protocol";
import { api, type ApiResult } from "../api";
import type { CallFrame, RoomStore } from "./room";

/** What the call store needs from the browser; tests pass fakes. */
export interface CallEnv {
  iceServers(): Promise<ApiResult<IceServersResponse>>;
  getUserMedia(c: MediaStreamConstraints): Promise<MediaStream>;
  getDisplayMedia(c: DisplayMediaStreamOptions): Promise<MediaStream>;
  enumerateDevices(): Promise<MediaDeviceInfo[]>;
  peer(config: RTCConfiguration): RTCPeerConnection;
}

export function browserEnv(): CallEnv {
  const md = () => {
    if (!navigator.mediaDevices) throw Object.assign(new Error("Calls need a secure (https) page."), { name: "NotSupportedError" });
    return navigator.mediaDevices;
  };
  return {
    iceServers: api.iceServers,
    getUserMedia: (c) => md().getUserMedia(c),
    getDisplayMedia: (c) => md().getDisplayMedia(c),
    enumerateDevices: () => md().enumerateDevices(),
    peer: (config) => new RTCPeerConnection(config),
  };
}

/**
 * The call stores that are in a call (or starting one) on this page: a person is in one
 * call at a time, so the others answer `busy` and their call buttons are off.
 */
const inCall = signal<ReadonlySet<object>>(new Set());
const enterCall = (t: object) => (inCall.value = new Set([...inCall.value, t]));
const leaveCall = (t: object) => {
  if (inCall.value.has(t)) inCall.value = new Set([...inCall.value].filter((x) => x !== t));
};

/**
 * Every peer connection open on this page and every track any call store held or received:
 * the browser tests read them as `window.__call` (all tracks must be `ended` after a call).
 */
const seen = { connections: new Set<RTCPeerConnection>(), tracks: new Set<MediaStreamTrack>() };
if (typeof window !== "undefined") {
  (window as unknown as { __call?: unknown }).__call = {
    connections: () => [...seen.connections],
    tracks: () => [...seen.tracks],
  };
}

/** After a connection's ICE goes `disconnected`, wait this long for it to recover before restarting. */
export const ICE_RESTART_AFTER_MS = 2000;
/** The polite side waits this long for the first offer before making one itself. */
export const FIRST_OFFER_WAIT_MS = 4000;
/** An error frame this soon after our start/accept/join is its answer. */
const ACTION_ANSWER_MS = 5000;
/** How long "Declined" / "No answer" / "Call ended" stays on screen. */
export const OUTCOME_SHOWN_MS = 4000;

export type PeerView = {
  id: string;
  /** What they send us (audio and, if any, video). */
  stream: MediaStream | null;
  state: RTCPeerConnectionState;
};

export type Local = MediaState & {
  stream: MediaStream | null;
  micId: string | null;
  camId: string | null;
};

export type MediaProblem = {
  message: string;
  media: CallMedia;
  /** True when audio alone may still work (the camera was the problem). */
  audioOnly: boolean;
  /** What to retry: start a call, accept or join one. */
  action: Action;
};

type Action = { kind: "start" } | { kind: "accept"; callId: string } | { kind: "join"; callId: string };

/** Perfect-negotiation polite side: deterministic from the two user ids. */
export const isPolite = (me: string, other: string) => me > other;

/** A person's words for a getUserMedia/getDisplayMedia failure. */
export function mediaErrorText(e: unknown, media: CallMedia): { message: string; audioOnly: boolean } {
  const name = e instanceof Error || (typeof e === "object" && e !== null && "name" in e) ? String((e as Error).name) : "";
  const what = media === "video" ? "camera and microphone" : "microphone";
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return { message: `Access to your ${what} was blocked. Allow it in the browser's site settings to be seen and heard.`, audioOnly: media === "video" };
    case "NotFoundError":
    case "OverconstrainedError":
      return { message: media === "video" ? "No camera or microphone was found." : "No microphone was found.", audioOnly: media === "video" };
    case "NotReadableError":
    case "AbortError":
      return { message: `Your ${what} is in use by another app, or couldn't be started.`, audioOnly: media === "video" };
    case "NotSupportedError":
      return { message: (e as Error).message || "This browser can't make calls.", audioOnly: false };
    default:
      return { message: `Couldn't start your ${what}.`, audioOnly: media === "video" };
  }
}

const OUTCOME_TEXT: Record<CallOutcome, string> = {
  declined: "Declined",
  busy: "Busy",
  missed: "No answer",
  cancelled: "Call cancelled",
  completed: "Call ended",
};

type Peer = {
  id: string;
  pc: RTCPeerConnection;
  polite: boolean;
  makingOffer: boolean;
  ignoreOffer: boolean;
  settingAnswer: boolean;
  /** Incoming signaling, applied in order. */
  chain: Promise<void>;
  audio: RTCRtpSender | null;
  video: RTCRtpSender | null;
  restartTimer?: ReturnType<typeof setTimeout>;
  /** Our tracks are on the connection (the polite side adds them when the first offer comes). */
  sending: boolean;
  offerTimer?: ReturnType<typeof setTimeout>;
  /** The DTLS fingerprint of the last description we got from them. */
  remoteFp?: string;
  /** Our offer being made (onnegotiationneeded); never rejects. */
  offering: Promise<void>;
};

export type CallStore = ReturnType<typeof createCallStore>;

export function createCallStore(room: RoomStore, env: CallEnv = browserEnv()) {
  const token = {};
  /** The id of the call we are in (null: not in one). */
  const joined = signal<string | null>(null);
  /** Getting the camera/mic and ICE servers before start/accept/join. */
  const preparing = signal<Action | null>(null);
  const outcome = signal<{ text: string; outcome: CallOutcome; by?: string } | null>(null);
  const mediaProblem = signal<MediaProblem | null>(null);
  const notice = signal<string | null>(null);
  const local = signal<Local>({ stream: null, audio: false, video: false, screen: false, micId: null, camId: null });
  const peers = signal<ReadonlyMap<string, PeerView>>(new Map());
  const devices = signal<readonly MediaDeviceInfo[]>([]);
  /** Calls we declined or answered busy: their banner stays away. */
  const dismissed = signal<ReadonlySet<string>>(new Set());

  const conns = new Map<string, Peer>();
  let rtcConfig: RTCConfiguration = {};
  let mic: MediaStreamTrack | null = null;
  let cam: MediaStreamTrack | null = null;
  let screen: MediaStreamTrack | null = null;
  let stream: MediaStream | null = null;
  /** Our call.start is on its way: the next call whose caller is us is ours. */
  let starting: CallMedia | null = null;
  let rejoin = false;
  /** Participants whose connection was down in the last `call` frame. */
  let away = new Set<string>();
  /** Each participant's joinedAt in the last `call` frame. */
  let joinedAt = new Map<string, number>();
  /** When we last sent call.start / accept / join (an error frame soon after answers it). */
  let actedAt = 0;
  /** Hung up before our call.start was answered with the call's id. */
  let cancelStart = false;
  /** The call we were last in: its call.ended may come after the `call` frame that ended it. */
  let lastCallId: string | null = null;
  let outcomeTimer: ReturnType<typeof setTimeout> | undefined;
  let noticeTimer: ReturnType<typeof setTimeout> | undefined;
  const everyTrack = seen.tracks;
  const myId = () => room.me.value.id;

  // ── derived state for the UI ──

  const call = room.call;
  /** The call ringing us (not one we are in, declined, or are answering). */
  const incoming = computed<CallState | null>(() => {
    const c = call.value;
    if (!c || joined.value === c.id || !c.ringing.includes(myId()) || dismissed.value.has(c.id)) return null;
    const p = preparing.value;
    if (p && p.kind !== "start" && p.callId === c.id) return null;
    return c;
  });
  /** The running call we could join from the header (not ringing us, not ours). */
  const joinable = computed<CallState | null>(() => {
    const c = call.value;
    if (!c || joined.value || preparing.value || c.ringing.includes(myId())) return null;
    return c;
  });
  /** We are in this call in another tab (participants are connections; same user id, not us). */
  const elsewhere = computed(() => {
    const c = call.value;
    return !!c && !joined.value && c.participants.some((p) => p.id === myId());
  });
  const current = computed<CallState | null>(() => {
    const c = call.value;
    return c && c.id === joined.value ? c : null;
  });
  const others = computed<CallParticipant[]>(() => current.value?.participants.filter((p) => p.id !== myId()) ?? []);
  const phase = computed<"idle" | "preparing" | "ringing" | "connecting" | "active">(() => {
    if (preparing.value) return "preparing";
    if (!joined.value) return "idle";
    const c = current.value;
    if (!c || c.answeredAt === null) return starting || (c && c.caller.id === myId()) ? "ringing" : "connecting";
    const views = [...peers.value.values()];
    return views.some((v) => v.state === "connected") ? "active" : "connecting";
  });

  // ── server frames ──

  const unsubscribe = room.onCallFrame(onFrame);

  function onFrame(f: CallFrame) {
    switch (f.type) {
      case "call":
        return onCall(f.call);
      case "call.ended":
        if (f.callId === joined.value || f.callId === lastCallId || (starting && !joined.value)) {
          showOutcome(f.outcome, f.by?.name);
          leave();
        }
        return;
      case "rtc":
        if (f.callId !== joined.value || f.from === myId()) return;
        return signalFrom(f.from, f.description, f.candidate);
      case "error": {
        // The answer to a start/accept/join we just sent: that attempt failed. Anything else
        // (an ICE candidate that reached someone who just left) is not news: the `call`
        // frames say who is in the call, and errors never end ours.
        const answered = Date.now() - actedAt < ACTION_ANSWER_MS;
        if (starting && !joined.value) {
          starting = null;
          leaveCall(token);
          stopLocal();
        } else if (answered && joined.value && !current.value?.participants.some((p) => p.id === myId())) {
          leave();
        }
        if (!answered) return console.warn("call:", f.code, f.message);
        actedAt = 0;
        if (f.code === "call_full") flash("Call is full");
        else if (f.code === "call_exists") flash("A call is already running in this room");
        else if (f.code === "nobody_to_call") flash("Nobody else is here to call");
        else if (f.code === "no_such_call" || f.code === "not_ringing") flash("That call has ended");
        else flash(f.message);
        return;
      }
    }
  }

  function onCall(c: CallState | null) {
    // Ours: the first call we see with us as the caller after sending call.start.
    if (cancelStart && c && c.caller.id === myId()) {
      cancelStart = false;
      room.sendCall({ type: "call.hangup", callId: c.id });
    } else if (starting && !joined.value && c && c.caller.id === myId()) {
      starting = null;
      joined.value = lastCallId = c.id;
      sendMedia();
    }
    const id = joined.value;
    if (id) {
      if (!c || c.id !== id) {
        // Ended (call.ended normally says why first) or replaced.
        if (!outcome.value) showOutcome("completed");
        leave();
        return;
      }
      if (rejoin) {
        rejoin = false;
        const stillIn = c.participants.some((p) => p.id === myId());
        if (!stillIn) for (const pid of [...conns.keys()]) closePeer(pid);
        room.sendCall({ type: "call.join", callId: id });
        sendMedia();
        for (const p of conns.values()) renegotiate(p);
      }
      syncPeers(c);
    }
    // Rung while busy in another call: say so, once.
    if (c && c.ringing.includes(myId()) && !dismissed.value.has(c.id) && busyElsewhere()) {
      room.sendCall({ type: "call.busy", callId: c.id });
      dismissed.value = new Set([...dismissed.value, c.id]);
    }
  }

  const busyElsewhere = () => [...inCall.peek()].some((t) => t !== token);

  /** One peer connection per other participant, no more. */
  function syncPeers(c: CallState) {
    const ids = new Set(c.participants.map((p) => p.id).filter((pid) => pid !== myId()));
    for (const pid of [...conns.keys()]) if (!ids.has(pid)) closePeer(pid);
    // Someone whose connection dropped is back: what we sent them meanwhile was lost
    // (the room drops signaling to an absent participant), so negotiate afresh.
    // So is someone whose connection is new (joinedAt changes when the room re-binds them:
    // after a reconnect, or the call moved to another tab of theirs). A new tab is a new
    // endpoint: the fingerprint check in signalFrom then starts a fresh connection.
    for (const p of c.participants) {
      const conn = conns.get(p.id);
      const before = joinedAt.get(p.id);
      if (conn && p.goneSince === null && (away.has(p.id) || (before !== undefined && before !== p.joinedAt))) renegotiate(conn);
    }
    away = new Set(c.participants.filter((p) => p.goneSince !== null).map((p) => p.id));
    joinedAt = new Map(c.participants.map((p) => [p.id, p.joinedAt]));
    if (c.answeredAt === null) return;
    for (const pid of ids) ensurePeer(pid);
  }

  /**
   * A fresh offer with an ICE restart, after signaling may have been lost: an offer of ours
   * that never got its answer is rolled back first (else we would sit in have-local-offer
   * and, impolite, ignore the other side's new offer: a deadlock).
   */
  function renegotiate(p: Peer) {
    p.chain = p.chain.then(async () => {
      const pc = p.pc;
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

  // ── peer connections ──

  /** `initiate`: add our tracks (and so offer) at once; by default only the impolite side does. */
  function ensurePeer(pid: string, initiate?: boolean): Peer {
    const have = conns.get(pid);
    if (have) return have;
    const pc = env.peer(rtcConfig);
    seen.connections.add(pc);
    const p: Peer = {
      id: pid,
      pc,
      polite: isPolite(myId(), pid),
      makingOffer: false,
      ignoreOffer: false,
      settingAnswer: false,
      chain: Promise.resolve(),
      audio: null,
      video: null,
      sending: false,
      offering: Promise.resolve(),
    };
    conns.set(pid, p);
    setView(pid, { id: pid, stream: null, state: pc.connectionState });
    // The first offer comes from the impolite side only: the polite side adds its tracks to
    // the transceivers that offer brings, in its answer. No glare on the way in; perfect
    // negotiation is there for everything after (and if the offer does not come, we offer).
    if (initiate ?? !p.polite) addTracks(p);
    else p.offerTimer = setTimeout(() => addTracks(p), FIRST_OFFER_WAIT_MS);
    pc.onnegotiationneeded = () => {
      p.offering = (async () => {
        try {
          p.makingOffer = true;
          await pc.setLocalDescription();
          sendDescription(pid, pc.localDescription);
        } catch (e) {
          console.warn("call: offer failed", e);
        } finally {
          p.makingOffer = false;
        }
      })();
    };
    pc.onicecandidate = (e) => {
      room.sendCall({ type: "rtc", callId: joined.value!, to: pid, candidate: e.candidate ? candidateJson(e.candidate) : null });
    };
    pc.ontrack = (e) => {
      everyTrack.add(e.track);
      const s = e.streams[0] ?? new MediaStream([e.track]);
      setView(pid, { id: pid, state: pc.connectionState, stream: s });
      // A track added to the same stream later (camera turned on) or unmuted: re-render its tile.
      e.track.onunmute = () => {
        const v = peers.value.get(pid);
        if (v) setView(pid, { ...v });
      };
    };
    pc.onconnectionstatechange = () => {
      const v = peers.value.get(pid);
      if (v && conns.get(pid) === p) setView(pid, { ...v, state: pc.connectionState });
    };
    pc.oniceconnectionstatechange = () => {
      const s = pc.iceConnectionState;
      clearTimeout(p.restartTimer);
      if (s === "failed") pc.restartIce();
      else if (s === "disconnected") {
        p.restartTimer = setTimeout(() => {
          if (conns.get(pid) === p && pc.iceConnectionState === "disconnected") pc.restartIce();
        }, ICE_RESTART_AFTER_MS);
      }
    };
    return p;
  }

  function addTracks(p: Peer) {
    clearTimeout(p.offerTimer);
    if (p.sending || conns.get(p.id) !== p) return;
    p.sending = true;
    if (!stream) return;
    if (mic) p.audio = p.pc.addTrack(mic, stream);
    const v = screen ?? cam;
    if (v) p.video = p.pc.addTrack(v, stream);
  }

  function signalFrom(pid: string, description?: RTCSessionDescriptionInit, candidate?: RTCIceCandidateInit | null) {
    if (!current.value) return;
    let p = ensurePeer(pid);
    // A description from another DTLS endpoint than the one we negotiated with: they moved
    // the call to another tab (or reloaded). An RTCPeerConnection cannot change its remote
    // certificate, so start a fresh one: it answers a new offer, or (for an answer to our
    // old offer) makes its own offer. Decided here, in arrival order, so the candidates
    // that follow go to the fresh connection.
    const fp = description ? fingerprintOf(description.sdp ?? "") : null;
    if (fp) {
      if (p.remoteFp && fp !== p.remoteFp) {
        closePeer(pid);
        p = ensurePeer(pid, description!.type === "answer");
        if (description!.type === "answer") return;
      }
      p.remoteFp = fp;
    }
    p.chain = p.chain.then(async () => {
      const pc = p.pc;
      if (pc.signalingState === "closed") return;
      try {
        if (description) {
          if (description.type === "rollback") return;
          const readyForOffer = !p.makingOffer && (pc.signalingState === "stable" || p.settingAnswer);
          const collision = description.type === "offer" && !readyForOffer;
          p.ignoreOffer = !p.polite && collision;
          if (p.ignoreOffer) return;
          if (collision) {
            // Polite: roll our own offer back explicitly once it exists, rather than leaning on
            // the implicit rollback racing a setLocalDescription still in flight.
            await p.offering;
            if (pc.signalingState === "have-local-offer") await pc.setLocalDescription({ type: "rollback" });
          }
          p.settingAnswer = description.type === "answer";
          await pc.setRemoteDescription(description);
          p.settingAnswer = false;
          if (description.type === "offer") {
            addTracks(p); // onto the offered transceivers: sent with this answer
            await pc.setLocalDescription();
            sendDescription(pid, pc.localDescription);
          }
        } else if (candidate !== undefined) {
          try {
            await pc.addIceCandidate(candidate ?? undefined);
          } catch (e) {
            if (!p.ignoreOffer) throw e;
          }
        }
      } catch (e) {
        p.settingAnswer = false;
        console.warn("call: signaling failed", e);
      }
    });
  }

  function sendDescription(pid: string, d: RTCSessionDescription | null) {
    const id = joined.value;
    if (!d || !id) return;
    room.sendCall({ type: "rtc", callId: id, to: pid, description: { type: d.type as "offer" | "answer", sdp: d.sdp } });
  }

  function closePeer(pid: string) {
    const p = conns.get(pid);
    if (!p) return;
    conns.delete(pid);
    clearTimeout(p.restartTimer);
    clearTimeout(p.offerTimer);
    p.pc.onnegotiationneeded = p.pc.onicecandidate = p.pc.ontrack = null;
    p.pc.onconnectionstatechange = p.pc.oniceconnectionstatechange = null;
    for (const r of p.pc.getReceivers()) everyTrack.add(r.track);
    p.pc.close();
    seen.connections.delete(p.pc);
    const next = new Map(peers.value);
    next.delete(pid);
    peers.value = next;
  }

  function setView(pid: string, v: PeerView) {
    const next = new Map(peers.value);
    next.set(pid, v);
    peers.value = next;
  }

  // ── local media ──

  async function openMedia(media: CallMedia): Promise<void> {
    const s = await env.getUserMedia({ audio: true, video: media === "video" ? { width: { ideal: 1280 }, height: { ideal: 720 } } : false });
    mic = s.getAudioTracks()[0] ?? null;
    cam = s.getVideoTracks()[0] ?? null;
    stream = new MediaStream(s.getTracks());
    for (const t of s.getTracks()) everyTrack.add(t);
    publishLocal();
    void refreshDevices();
  }

  function publishLocal() {
    local.value = {
      stream: stream && stream.getTracks().length ? stream : null,
      audio: !!mic && mic.enabled,
      video: !!cam && cam.readyState === "live",
      screen: !!screen,
      micId: mic?.getSettings().deviceId ?? null,
      camId: cam?.getSettings().deviceId ?? null,
    };
  }

  function sendMedia() {
    const id = joined.value;
    if (!id) return;
    const l = local.value;
    room.sendCall({ type: "call.media", callId: id, audio: l.audio, video: l.video, screen: l.screen });
  }

  function stopLocal() {
    for (const t of [mic, cam, screen]) t?.stop();
    for (const t of stream?.getTracks() ?? []) t.stop();
    mic = cam = screen = stream = null;
    publishLocal();
  }

  async function refreshDevices() {
    try {
      devices.value = await env.enumerateDevices();
    } catch {
      devices.value = [];
    }
  }

  /** Puts `track` (or nothing) on every connection's video sender, adding one where none is. */
  async function setVideoTrack(track: MediaStreamTrack | null) {
    if (stream) {
      for (const t of stream.getVideoTracks()) stream.removeTrack(t);
      if (track) stream.addTrack(track);
    }
    await Promise.all(
      [...conns.values()].map(async (p) => {
        if (!p.sending) return; // Its tracks go on when it connects.
        if (p.video) await p.video.replaceTrack(track).catch((e) => console.warn("call: replaceTrack", e));
        else if (track && stream) p.video = p.pc.addTrack(track, stream); // renegotiates
      }),
    );
  }

  async function setAudioTrack(track: MediaStreamTrack) {
    if (stream) {
      for (const t of stream.getAudioTracks()) stream.removeTrack(t);
      stream.addTrack(track);
    }
    await Promise.all(
      [...conns.values()].map(async (p) => {
        if (!p.sending) return;
        if (p.audio) await p.audio.replaceTrack(track);
        else if (stream) p.audio = p.pc.addTrack(track, stream);
      }),
    );
  }

  // ── entering and leaving ──

  async function prepare(action: Action, media: CallMedia, audioOnly = false): Promise<boolean> {
    if (preparing.value || joined.value) return false;
    batch(() => {
      preparing.value = action;
      mediaProblem.value = null;
      outcome.value = null;
    });
    const ice = env.iceServers();
    try {
      if (audioOnly) await openMedia("audio");
      else await openMedia(media);
    } catch (e) {
      stopLocal();
      batch(() => {
        preparing.value = null;
        mediaProblem.value = { ...mediaErrorText(e, audioOnly ? "audio" : media), media, action };
      });
      return false;
    }
    const r = await ice;
    rtcConfig = r.ok ? { iceServers: r.data.iceServers, iceTransportPolicy: r.data.iceTransportPolicy } : {};
    if (!r.ok) console.warn("call: no ICE servers (GET /api/turn):", r.message);
    if (preparing.value !== action) {
      // Cancelled (or the call ended) while the browser asked for permission.
      stopLocal();
      return false;
    }
    return true;
  }

  function enter(callId: string) {
    batch(() => {
      preparing.value = null;
      joined.value = lastCallId = callId;
    });
    enterCall(token);
    sendMedia();
    const c = current.value;
    if (c) syncPeers(c);
  }

  async function start(media: CallMedia, audioOnly = false) {
    const action: Action = { kind: "start" };
    if (!(await prepare(action, media, audioOnly))) return;
    if (!room.sendCall({ type: "call.start", media })) {
      preparing.value = null;
      stopLocal();
      flash("Not connected. Try again when the room is back online.");
      return;
    }
    starting = media;
    actedAt = Date.now();
    enterCall(token);
    preparing.value = null;
  }

  async function answer(kind: "accept" | "join", callId: string, audioOnly = false) {
    const c = call.value;
    if (!c || c.id !== callId) return;
    const action: Action = { kind, callId };
    if (!(await prepare(action, c.media, audioOnly))) return;
    if (call.value?.id !== callId) {
      preparing.value = null;
      stopLocal();
      flash("That call has ended");
      return;
    }
    if (!room.sendCall({ type: kind === "accept" ? "call.accept" : "call.join", callId })) {
      preparing.value = null;
      stopLocal();
      flash("Not connected. Try again when the room is back online.");
      return;
    }
    actedAt = Date.now();
    enter(callId);
  }

  /** Leaves locally: every track stopped, every connection closed. The server is told by the caller of this. */
  function leave() {
    for (const pid of [...conns.keys()]) closePeer(pid);
    stopLocal();
    starting = null;
    rejoin = false;
    leaveCall(token);
    batch(() => {
      joined.value = null;
      preparing.value = null;
      peers.value = new Map();
    });
  }

  function showOutcome(o: CallOutcome, by?: string) {
    clearTimeout(outcomeTimer);
    outcome.value = { outcome: o, text: OUTCOME_TEXT[o], by };
    outcomeTimer = setTimeout(() => (outcome.value = null), OUTCOME_SHOWN_MS);
  }

  function flash(text: string) {
    clearTimeout(noticeTimer);
    notice.value = text;
    noticeTimer = setTimeout(() => (notice.value = null), 6000);
  }

  // Our socket came back (a welcome after the first) while in a call: rejoin on the next `call` frame.
  let seenWelcomes = room.welcomes.peek();
  const stopWelcome = effect(() => {
    const n = room.welcomes.value;
    if (n !== seenWelcomes) {
      seenWelcomes = n;
      if (joined.peek()) rejoin = true;
    }
  });
  // The room is gone for us (removed, deleted, signed out, or its socket stopped for good):
  // no more signaling can come, so the call ends here too (camera and mic released).
  const stopGone = effect(() => {
    const gone = room.problem.value !== null || room.connection.value === "closed";
    if (gone && (joined.peek() || preparing.peek() || starting)) {
      queueMicrotask(() => {
        if (!joined.peek() && !preparing.peek() && !starting) return;
        showOutcome("completed");
        leave();
      });
    }
  });
  // The ringing banner disappears with the call; an incoming call we never answered is forgotten.
  const stopRingCheck = effect(() => {
    const c = call.value;
    const p = preparing.peek();
    if (p && p.kind !== "start" && (!c || c.id !== p.callId)) {
      preparing.value = null;
    }
  });

  const store = {
    room,
    /** The room's call we are in, as the server states it. */
    current,
    /** The call ringing us (show the incoming banner), if any. */
    incoming,
    /** A running call we are not in (the header's "Join call"). */
    joinable,
    /** We are in this room's call from another tab. */
    elsewhere,
    /** We are in a call in another room (on this page). */
    busy: computed(() => [...inCall.value].some((t) => t !== token)),
    phase,
    /** The other participants (server state: names, mute/camera/screen, goneSince). */
    others,
    /** Their media and connection state, by user id. */
    peers: peers as ReadonlySignal<ReadonlyMap<string, PeerView>>,
    local: local as ReadonlySignal<Local>,
    devices: devices as ReadonlySignal<readonly MediaDeviceInfo[]>,
    outcome: outcome as ReadonlySignal<{ text: string; outcome: CallOutcome; by?: string } | null>,
    mediaProblem: mediaProblem as ReadonlySignal<MediaProblem | null>,
    notice: notice as ReadonlySignal<string | null>,

    start: (media: CallMedia) => start(media),
    accept: (callId: string) => answer("accept", callId),
    join: (callId: string) => answer("join", callId),
    decline(callId: string) {
      room.sendCall({ type: "call.decline", callId });
      dismissed.value = new Set([...dismissed.value, callId]);
    },
    /** Retry after a media problem with audio only. */
    continueAudioOnly() {
      const p = mediaProblem.value;
      if (!p) return;
      mediaProblem.value = null;
      if (p.action.kind === "start") void start(p.media, true);
      else void answer(p.action.kind, p.action.callId, true);
    },
    dismissProblem() {
      const p = mediaProblem.value;
      mediaProblem.value = null;
      // Cancelling an answer we could not give: decline, so the caller isn't left ringing on us.
      if (p?.action.kind === "accept") store.decline(p.action.callId);
    },
    /** Hang up (the caller before an answer: cancel). Also cancels a call still being prepared. */
    hangup() {
      const id = joined.value;
      if (id) room.sendCall({ type: "call.hangup", callId: id });
      // call.start is on its way and we have no id yet: hang up as soon as it arrives.
      else if (starting) cancelStart = true;
      leave();
    },
    toggleMute() {
      if (!mic) return;
      mic.enabled = !mic.enabled;
      publishLocal();
      sendMedia();
    },
    async toggleCamera() {
      if (cam && cam.readyState === "live") {
        cam.stop();
        cam = null;
        if (!screen) await setVideoTrack(null);
      } else {
        try {
          const s = await env.getUserMedia({ video: local.value.camId ? { deviceId: { exact: local.value.camId } } : true });
          cam = s.getVideoTracks()[0] ?? null;
          if (cam) everyTrack.add(cam);
          if (!joined.value && !starting) {
            cam?.stop();
            cam = null;
            return;
          }
          if (cam && !screen) await setVideoTrack(cam);
        } catch (e) {
          flash(mediaErrorText(e, "video").message);
        }
      }
      publishLocal();
      sendMedia();
    },
    async shareScreen() {
      if (screen) return store.stopSharing();
      let s: MediaStream;
      try {
        s = await env.getDisplayMedia({ video: true, audio: false });
      } catch (e) {
        if ((e as Error)?.name !== "NotAllowedError") flash("Couldn't share your screen.");
        return; // NotAllowedError: the person cancelled the picker.
      }
      const t = s.getVideoTracks()[0];
      if (!t) return;
      if (!joined.value) {
        t.stop();
        return;
      }
      everyTrack.add(t);
      screen = t;
      // The browser's own "Stop sharing" button ends the track.
      t.onended = () => {
        if (screen === t) void store.stopSharing();
      };
      try {
        t.contentHint = "detail";
      } catch {
        // Not supported: fine.
      }
      await setVideoTrack(t);
      publishLocal();
      sendMedia();
    },
    async stopSharing() {
      const t = screen;
      if (!t) return;
      screen = null;
      t.onended = null;
      t.stop();
      await setVideoTrack(cam && cam.readyState === "live" ? cam : null);
      publishLocal();
      sendMedia();
    },
    async switchDevice(kind: "audioinput" | "videoinput", deviceId: string) {
      try {
        if (kind === "audioinput") {
          const s = await env.getUserMedia({ audio: { deviceId: { exact: deviceId } } });
          const t = s.getAudioTracks()[0];
          if (!t) return;
          everyTrack.add(t);
          t.enabled = mic ? mic.enabled : true;
          const old = mic;
          mic = t;
          await setAudioTrack(t);
          old?.stop();
        } else {
          const s = await env.getUserMedia({ video: { deviceId: { exact: deviceId } } });
          const t = s.getVideoTracks()[0];
          if (!t) return;
          everyTrack.add(t);
          const old = cam;
          cam = t;
          if (!screen) await setVideoTrack(t);
          old?.stop();
        }
      } catch (e) {
        flash(mediaErrorText(e, kind === "audioinput" ? "audio" : "video").message);
      }
      publishLocal();
      sendMedia();
    },
    refreshDevices,

    dispose() {
      if (joined.value) room.sendCall({ type: "call.hangup", callId: joined.value });
      leave();
      unsubscribe();
      stopWelcome();
      stopRingCheck();
      stopGone();
      clearTimeout(outcomeTimer);
      clearTimeout(noticeTimer);
    },
  };
  return store;
}

/** The first `a=fingerprint:` of an SDP (what identifies the sending endpoint's certificate). */
export function fingerprintOf(sdp: string): string | null {
  const m = /^a=fingerprint:(.+)$/m.exec(sdp);
  return m?.[1]?.trim().toLowerCase() ?? null;
}

function candidateJson(c: RTCIceCandidate) {
  const j = c.toJSON();
  return {
    candidate: j.candidate ?? "",
    sdpMid: j.sdpMid ?? null,
    sdpMLineIndex: j.sdpMLineIndex ?? null,
    usernameFragment: j.usernameFragment ?? null,
  };
}

/**
 * Keeps a room's stores alive while we are in its call and the room is off screen (the
 * person opened another conversation): the call goes on, with a bar to return or hang up.
 * One per signed-in shell; disposes what it holds once that call is over.
 */
export function createCallHolder() {
  const held = signal<{ room: RoomStore; call: CallStore } | null>(null);
  let stopWatch: (() => void) | null = null;

  function drop(dispose: boolean) {
    stopWatch?.();
    stopWatch = null;
    const h = held.peek();
    held.value = null;
    if (h && dispose) {
      h.call.dispose();
      h.room.dispose();
    }
  }

  return {
    held: held as ReadonlySignal<{ room: RoomStore; call: CallStore } | null>,
    /** The room goes off screen: keeps its stores if we are in its call (true), else false. */
    keep(room: RoomStore, call: CallStore): boolean {
      const phase = call.phase.peek();
      if (phase === "idle" || phase === "preparing") return false;
      drop(true);
      held.value = { room, call };
      stopWatch = effect(() => {
        if (call.phase.value === "idle") queueMicrotask(() => held.peek()?.call === call && drop(true));
      });
      return true;
    },
    /** The room comes back on screen: its held stores, if any (no longer held). */
    take(roomId: string): { room: RoomStore; call: CallStore } | null {
      const h = held.peek();
      if (!h || h.room.id !== roomId) return null;
      drop(false);
      return h;
    },
    dispose: () => drop(true),
  };
}
export type CallHolder = ReturnType<typeof createCallHolder>;
