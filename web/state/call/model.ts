/**
 * The call model: one per open room, beside its room store. What the UI (ui/calls/) reads,
 * as signals and computed values, and the actions it calls. It wires the parts together:
 *
 * - the session (session.ts), a pure reducer: every room frame and every action goes
 *   through it, and the model carries out the effects it returns;
 * - the room's `call` frames are the truth about who is in the call: the mesh (mesh.ts)
 *   keeps exactly one peer (peer.ts, perfect negotiation) per other participant;
 * - our camera, microphone and screen (media.ts);
 * - the page's shared parts (calls.ts): the one-call lock, the rings, the connection record.
 *
 * ICE servers come from GET /api/turn before each call (short-lived TURN credentials, and
 * its iceTransportPolicy: "relay" forces TURN). Every call action carries a fresh `req`;
 * the room's `error` echoing one tells which action it refuses.
 */
import { batch, computed, effect, signal, type ReadonlySignal } from "@preact/signals";
import { api } from "../../api";
import { CallErrorCode, type CallMedia, type CallOutcome, type CallParticipant, type CallState } from "../../../worker/protocol";
import type { Calls } from "./calls";
import { LocalMedia, mediaErrorText, type Local } from "./media";
import { Mesh } from "./mesh";
import type { PeerView } from "./peer";
import { newReq, type CallActionFrame, type CallEnv, type CallRoom } from "./ports";
import { inCallElsewhere, joinableCall, ringingUs } from "./derive";
import { IDLE, joinedCall, phaseOf, reduce, type Action, type Effect, type Session, type SessionEvent } from "./session";

/** How long "Declined" / "No answer" / "Call ended" stays on screen. */
export const OUTCOME_SHOWN_MS = 4000;
/** How long a notice ("Call is full") stays on screen. */
export const NOTICE_SHOWN_MS = 6000;

export type MediaProblem = {
  message: string;
  media: CallMedia;
  /** True when audio alone may still work (the camera was the problem). */
  audioOnly: boolean;
  /** What to retry: start a call, accept or join one. */
  action: Action;
};

export type Outcome = { text: string; outcome: CallOutcome; by?: string };

const OUTCOME_TEXT: Record<CallOutcome, string> = {
  declined: "Declined",
  busy: "Busy",
  missed: "No answer",
  cancelled: "Call cancelled",
  completed: "Call ended",
};

const CALL_ERRORS: readonly string[] = Object.values(CallErrorCode);

/** A text shown for a while, then gone. */
class Notice {
  readonly #text = signal<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;

  get text(): ReadonlySignal<string | null> {
    return this.#text;
  }

  show(text: string): void {
    clearTimeout(this.#timer);
    this.#text.value = text;
    this.#timer = setTimeout(() => (this.#text.value = null), NOTICE_SHOWN_MS);
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}

/** What the call needs from the browser, from the browser (tests pass fakes: fake-rtc.ts). */
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

export type CallModel = ReturnType<typeof createCallModel>;

export function createCallModel(room: CallRoom, calls: Calls, env: CallEnv = browserEnv()) {
  /** Who holds the page's one-call lock. */
  const token = {};
  const session = signal<Session>(IDLE);
  const mediaProblem = signal<MediaProblem | null>(null);
  const notice = new Notice();
  const me = () => room.me.peek().id;

  const mesh = new Mesh({
    me,
    create: (config) => env.peer(config),
    send(to, s) {
      const c = session.peek();
      if (c.phase === "joined") room.send({ type: "rtc", callId: c.callId, to, ...s });
    },
    outgoing: () => media.outgoing(),
    record: calls.record,
  });
  const media = new LocalMedia(env, mesh, (t) => calls.record.track(t));

  // ── derived state for the UI ──

  const call = room.call;
  /** The room's call we are in. */
  const current = computed<CallState | null>(() => joinedCall(session.value, call.value));
  const incoming = computed(() => ringingUs(call.value, room.me.value.id, session.value, calls.rings.dismissed.value));
  const joinable = computed(() => joinableCall(call.value, room.me.value.id, session.value));
  const elsewhere = computed(() => inCallElsewhere(call.value, room.me.value.id, session.value));
  const others = computed<CallParticipant[]>(() => current.value?.participants.filter((p) => p.id !== room.me.value.id) ?? []);
  const phase = computed(() => phaseOf(session.value, call.value, room.me.value.id, mesh.connected.value));
  const outcome = computed<Outcome | null>(() => {
    const s = session.value;
    if (s.phase !== "ended") return null;
    return s.by === undefined ? { outcome: s.outcome, text: OUTCOME_TEXT[s.outcome] } : { outcome: s.outcome, text: OUTCOME_TEXT[s.outcome], by: s.by };
  });

  // ── the session ──

  function dispatch(e: SessionEvent): void {
    const step = reduce(session.peek(), e);
    batch(() => {
      session.value = step.session;
      run(step.effects);
    });
  }

  function run(effects: readonly Effect[]) {
    for (const f of effects) {
      switch (f.kind) {
        case "send":
          // A tracked action (its req is the session's) that cannot go: the session says what now.
          if (!send(f.frame) && f.frame.req) return void dispatch({ type: "unsent", req: f.frame.req });
          break;
        case "announce":
          announce();
          break;
        case "lock":
          calls.lock.enter(token);
          break;
        case "release":
          mesh.closeAll();
          media.stop();
          calls.lock.leave(token);
          break;
        case "notice":
          notice.show(f.text);
          break;
        case "renegotiate":
          mesh.renegotiate(f.peers);
          break;
        case "peers":
          mesh.keep(f.keep, f.connect);
          break;
        case "close_peers":
          mesh.closeAll();
          break;
      }
    }
  }

  /** Sends a call action, with a fresh `req` unless it has one. */
  function send(frame: CallActionFrame): boolean {
    return room.send(frame.req ? frame : { ...frame, req: newReq() });
  }

  /** Our mute/camera/screen state, to the others. */
  function announce() {
    const s = session.peek();
    if (s.phase !== "joined") return;
    const l = media.local.peek();
    send({ type: "call.media", callId: s.callId, audio: l.audio, video: l.video, screen: l.screen });
  }

  // ── room frames ──

  const stops = [
    room.on("call", (f) => {
      dispatch({ type: "call", call: f.call, me: me() });
      // Rung while busy in another call: say so, once.
      const c = f.call;
      if (c && c.ringing.includes(me()) && !calls.rings.dismissed.peek().has(c.id) && calls.lock.peekBusyBesides(token)) {
        send({ type: "call.busy", callId: c.id });
        calls.rings.dismiss(c.id);
      }
    }),
    room.on("call.ended", (f) => dispatch({ type: "ended", callId: f.callId, outcome: f.outcome, ...(f.by ? { by: f.by.name } : {}) })),
    room.on("rtc", (f) => {
      const c = current.peek();
      if (c?.id === f.callId && f.from !== me()) mesh.receive(f.from, f.description, f.candidate);
    }),
    room.on("error", (f) => {
      // The room refused our start, accept or join (its req is the session's): the session
      // says what now. Anything else (a media update or signaling that reached a call we just
      // left) is not news: the `call` frames say who is in the call, and errors never end ours.
      const before = session.peek();
      if (f.req) dispatch({ type: "refused", req: f.req, code: f.code, message: f.message });
      if (session.peek() === before && CALL_ERRORS.includes(f.code)) console.warn("call:", f.code, f.message);
    }),
    // Our socket came back: the room re-binds us to it (call.join), and we renegotiate.
    room.on("welcome", () => dispatch({ type: "welcome", req: newReq() })),
    // The room is gone for us (removed, deleted, signed out, or its socket stopped for good):
    // no more signaling can come, so the call ends here too (camera and mic released).
    effect(() => {
      if (room.gone.value) queueMicrotask(() => dispatch({ type: "gone" }));
    }),
    // "Declined" / "No answer" / "Call ended" for a moment.
    effect(() => {
      if (session.value.phase !== "ended") return;
      const t = setTimeout(() => dispatch({ type: "outcome_shown" }), OUTCOME_SHOWN_MS);
      return () => clearTimeout(t);
    }),
    // A call accepted from the shell's banner is answered here once this room shows it ringing us.
    calls.rings.answerWhenRinging(room.roomId, incoming, (callId) => void answer("accept", callId)),
  ];

  // ── entering ──

  /** Camera/mic and ICE servers for `action`; false when refused, failed or given up meanwhile. */
  async function prepare(action: Action, audioOnly: boolean): Promise<boolean> {
    dispatch({ type: "prepare", action });
    const s = session.peek();
    if (s.phase !== "preparing" || s.action !== action) return false;
    mediaProblem.value = null;
    const ice = env.iceServers();
    const what = audioOnly ? "audio" : action.media;
    try {
      await media.open(what);
    } catch (e) {
      if (session.peek() !== s) return false;
      batch(() => {
        dispatch({ type: "unprepared" });
        mediaProblem.value = { ...mediaErrorText(e, what), media: action.media, action };
      });
      return false;
    }
    const r = await ice;
    mesh.configure(r.ok ? { iceServers: r.data.iceServers, iceTransportPolicy: r.data.iceTransportPolicy } : {});
    if (!r.ok) console.warn("call: no ICE servers (GET /api/turn):", r.message);
    if (session.peek() !== s) {
      // Cancelled (or the call ended) while the browser asked for permission.
      media.stop();
      return false;
    }
    return true;
  }

  async function start(media: CallMedia, audioOnly = false) {
    if (!(await prepare({ kind: "start", media }, audioOnly))) return;
    dispatch({ type: "prepared", req: newReq(), call: call.peek(), me: me() });
  }

  async function answer(kind: "accept" | "join", callId: string, audioOnly = false) {
    const c = call.peek();
    if (!c || c.id !== callId) return;
    if (!(await prepare({ kind, callId, media: c.media }, audioOnly))) return;
    dispatch({ type: "prepared", req: newReq(), call: call.peek(), me: me() });
  }

  const inCall = () => {
    const p = session.peek().phase;
    return p === "joined" || p === "starting";
  };

  async function stopSharing() {
    if (await media.stopSharing()) announce();
  }

  const model = {
    room,
    /** Our side of the call (the reducer's state). */
    session: session as ReadonlySignal<Session>,
    /** The room's call we are in, as the server states it. */
    current,
    /** The call ringing us (show the incoming banner), if any. */
    incoming,
    /** A running call we are not in (the header's "Join call"). */
    joinable,
    /** We are in this room's call from another tab. */
    elsewhere,
    /** We are in a call in another room (on this page). */
    busy: computed(() => calls.lock.busyBesides(token)),
    phase,
    /** The other participants (server state: names, mute/camera/screen, goneSince). */
    others,
    /** Their media and connection state, by user id. */
    peers: mesh.views as ReadonlySignal<ReadonlyMap<string, PeerView>>,
    local: media.local as ReadonlySignal<Local>,
    devices: media.devices,
    outcome,
    mediaProblem: mediaProblem as ReadonlySignal<MediaProblem | null>,
    notice: notice.text,

    start: (media: CallMedia) => start(media),
    accept: (callId: string) => answer("accept", callId),
    join: (callId: string) => answer("join", callId),
    decline(callId: string) {
      send({ type: "call.decline", callId });
      calls.rings.dismiss(callId);
    },
    /** Retry after a media problem with audio only. */
    continueAudioOnly() {
      const p = mediaProblem.peek();
      if (!p) return;
      mediaProblem.value = null;
      if (p.action.kind === "start") void start(p.media, true);
      else void answer(p.action.kind, p.action.callId, true);
    },
    dismissProblem() {
      const p = mediaProblem.peek();
      mediaProblem.value = null;
      // Cancelling an answer we could not give: decline, so the caller isn't left ringing on us.
      if (p?.action.kind === "accept") model.decline(p.action.callId);
    },
    /** Hang up (the caller before an answer: cancel). Also cancels a call still being prepared. */
    hangup() {
      dispatch({ type: "hangup" });
    },
    toggleMute() {
      if (media.toggleMute()) announce();
    },
    async toggleCamera() {
      const r = await media.toggleCamera(inCall);
      if (r.problem) notice.show(r.problem);
      if (r.changed) announce();
    },
    async shareScreen() {
      if (media.sharing) return stopSharing();
      const r = await media.shareScreen(() => session.peek().phase === "joined", () => void stopSharing());
      if (r.problem) notice.show(r.problem);
      if (r.changed) announce();
    },
    stopSharing,
    async switchDevice(kind: "audioinput" | "videoinput", deviceId: string) {
      const r = await media.switchDevice(kind, deviceId);
      if (r.problem) notice.show(r.problem);
      if (r.changed) announce();
    },
    refreshDevices: () => media.refreshDevices(),

    dispose() {
      dispatch({ type: "hangup" });
      for (const stop of stops) stop();
      mesh.closeAll();
      media.stop();
      calls.lock.leave(token);
      notice.dispose();
    },
  };
  return model;
}
