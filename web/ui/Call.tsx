/**
 * Calls on screen: the header's call buttons, the incoming-call banner, the call view
 * (tiles + controls), the media-problem dialog, and the history entry a call leaves.
 * All state is in the call store (state/call.ts); these only read it and call actions.
 */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import type { CallParticipant, CallSummary } from "../../worker/protocol";
import type { CallHolder, CallStore, PeerView } from "../state/call";
import type { SidebarStore } from "../state/sidebar";
import { useApp } from "./context";
import { callLine, formatDuration } from "../state/messages";
import { Avatar } from "./Avatar";
import { Dialog } from "./Dialog";
import { Link } from "./Link";
import { GearIcon, HangUpIcon, MicIcon, MicOffIcon, PhoneIcon, ScreenIcon, VideoIcon, VideoOffIcon } from "./Icons";

/** Audio and video call buttons, or "Join call" while a call runs here without us. */
export function CallButtons({ call }: { call: CallStore }) {
  const phase = call.phase.value;
  const joinable = call.joinable.value;
  const online = call.room.connection.value === "online";
  const c = call.elsewhere.value ? call.room.call.value : null;
  if (c) {
    // We are in it from another tab (or device): move it here (the room hands the call over).
    return (
      <button type="button" class="button small join-call" disabled={!online || call.busy.value} onClick={() => void call.join(c.id)}>
        <PhoneIcon size={16} /> Join here
      </button>
    );
  }
  if (joinable && joinable.answeredAt !== null) {
    return (
      <button type="button" class="button small join-call" disabled={!online || call.busy.value} onClick={() => void call.join(joinable.id)}>
        <PhoneIcon size={16} /> Join call
      </button>
    );
  }
  const busy = phase !== "idle" || !!joinable || !online || call.busy.value;
  return (
    <span class="call-buttons">
      <button type="button" class="button ghost icon" aria-label="Audio call" title="Audio call" disabled={busy} onClick={() => void call.start("audio")}>
        <PhoneIcon />
      </button>
      <button type="button" class="button ghost icon" aria-label="Video call" title="Video call" disabled={busy} onClick={() => void call.start("video")}>
        <VideoIcon />
      </button>
    </span>
  );
}

/** The incoming-call banner: who, audio or video, Accept / Decline. It rings while shown. */
function RingBanner(props: {
  caller: { id: string; name: string };
  video: boolean;
  textId: string;
  onDecline: () => void;
  onAccept: () => void;
}) {
  const { caller, video, textId } = props;
  return (
    <div class="incoming-call" role="alertdialog" aria-label="Incoming call" aria-describedby={textId}>
      <Avatar uid={caller.id} name={caller.name} size="lg" />
      <div class="incoming-text" id={textId}>
        <strong>{caller.name}</strong>
        <span>Incoming {video ? "video" : "audio"} call…</span>
      </div>
      <div class="incoming-actions">
        <button type="button" class="round-button decline" aria-label="Decline" title="Decline" onClick={props.onDecline}>
          <HangUpIcon size={22} />
        </button>
        <button type="button" class="round-button accept" aria-label="Accept" title="Accept" onClick={props.onAccept}>
          {video ? <VideoIcon size={22} /> : <PhoneIcon size={22} />}
        </button>
      </div>
    </div>
  );
}

/** Someone is calling us in the open room. */
export function IncomingCall({ call }: { call: CallStore }) {
  const c = call.incoming.value;
  useRingtone(!!c);
  if (!c) return null;
  return (
    <RingBanner
      caller={c.caller}
      video={c.media === "video"}
      textId="incoming-call-text"
      onDecline={() => call.decline(c.id)}
      onAccept={() => void call.accept(c.id)}
    />
  );
}

/**
 * A call ringing us in a room that is not open (another room, or none), from the user's
 * channel: Accept opens that room, which answers it; Decline tells the room without opening it.
 * The open room's own call shows its own banner (IncomingCall), so it is left out here.
 */
export function RingingElsewhere({ sidebar, currentId }: { sidebar: SidebarStore; currentId: string | null }) {
  const app = useApp();
  const r = sidebar.rings.value.findLast((x) => x.roomId !== currentId) ?? null;
  useRingtone(!!r);
  if (!r) return null;
  return (
    <RingBanner
      caller={r.caller}
      video={r.media === "video"}
      textId="ringing-elsewhere-text"
      onDecline={() => sidebar.declineRing(r)}
      onAccept={() => {
        sidebar.acceptRing(r);
        app.navigate(`/r/${r.roomId}`);
      }}
    />
  );
}

/** The call on screen while we are in it (or preparing it), and its outcome for a moment after. */
export function CallView({ call }: { call: CallStore }) {
  const phase = call.phase.value;
  const outcome = call.outcome.value;
  if (phase === "idle") {
    return outcome ? (
      <div class="call-outcome" role="status">
        {outcome.by && outcome.outcome === "declined"
          ? `${outcome.by} declined`
          : outcome.by && outcome.outcome === "busy"
            ? `${outcome.by} is busy`
            : outcome.text}
      </div>
    ) : null;
  }
  const c = call.current.value;
  const local = call.local.value;
  const others = call.others.value;
  const peers = call.peers.value;
  const me = call.room.me.value;
  const video = (c?.media ?? "video") === "video" || local.video || local.screen;
  return (
    <section class={`call-view${video ? " video" : " audio"}`} aria-label="Call">
      <div class="call-top">
        <CallStatus call={call} />
      </div>
      <div class={`call-tiles n${Math.min(others.length, 3)}`}>
        {others.length === 0 && c && (
          <div class="tile waiting">
            {c.ringing.length > 0 ? <span>Ringing…</span> : <span>Waiting for others…</span>}
          </div>
        )}
        {others.map((p) => (
          <RemoteTile key={p.id} p={p} view={peers.get(p.id)} />
        ))}
        <div class={`tile local${local.video || local.screen ? "" : " off"}`}>
          {local.stream && (local.video || local.screen) ? (
            <Video stream={local.stream} muted mirror={!local.screen} label="Your video" />
          ) : (
            <Avatar uid={me.id} name={me.name} size="lg" />
          )}
          <span class="tile-name">
            You{!local.audio && <MicOffIcon size={14} />}
            {local.screen && " · sharing screen"}
          </span>
        </div>
      </div>
      <CallControls call={call} />
    </section>
  );
}

function CallStatus({ call }: { call: CallStore }) {
  const phase = call.phase.value;
  const c = call.current.value;
  const now = useNow(phase === "active" || phase === "connecting");
  let text: string;
  if (phase === "preparing") text = "Starting camera and microphone…";
  else if (phase === "ringing") text = "Ringing…";
  else if (c?.answeredAt != null && phase === "active") text = formatDuration(now - c.answeredAt);
  else text = "Connecting…";
  const title = c ? (c.media === "video" ? "Video call" : "Audio call") : "Call";
  return (
    <div class="call-status">
      <span class="call-title">{title}</span>
      <span class="call-time" role="timer" aria-live="off" data-phase={phase}>
        {text}
      </span>
    </div>
  );
}

function RemoteTile({ p, view }: { p: CallParticipant; view?: PeerView }) {
  const showVideo = (p.video || p.screen) && !!view?.stream && view.stream.getVideoTracks().length > 0;
  const state = p.goneSince !== null ? "Reconnecting…" : view && view.state !== "connected" ? stateText(view.state) : "";
  return (
    <div class={`tile remote${showVideo ? "" : " off"}${p.screen ? " screen" : ""}`} data-user={p.id}>
      {/* The stream also carries their audio: keep the element even when the video is off. */}
      {view?.stream && <Video stream={view.stream} label={`${p.name}'s video`} hidden={!showVideo} />}
      {!showVideo && <Avatar uid={p.id} name={p.name} size="lg" />}
      <span class="tile-name">
        {p.name}
        {!p.audio && (
          <span class="tile-flag" title="Muted">
            <MicOffIcon size={14} />
            <span class="sr-only"> (muted)</span>
          </span>
        )}
        {!p.video && !p.screen && <span class="sr-only"> (camera off)</span>}
        {p.screen && " · sharing screen"}
      </span>
      {state && <span class="tile-state">{state}</span>}
    </div>
  );
}

function stateText(s: RTCPeerConnectionState): string {
  switch (s) {
    case "failed":
      return "Connection lost";
    case "disconnected":
      return "Reconnecting…";
    default:
      return "Connecting…";
  }
}

function Video(props: { stream: MediaStream; muted?: boolean; mirror?: boolean; label: string; hidden?: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    if (v.srcObject !== props.stream) v.srcObject = props.stream;
    void v.play().catch(() => {});
  });
  return (
    <video
      ref={ref}
      autoplay
      playsInline
      muted={props.muted}
      aria-label={props.label}
      class={`${props.mirror ? "mirror" : ""}${props.hidden ? " hidden-video" : ""}`}
    />
  );
}

function CallControls({ call }: { call: CallStore }) {
  const local = call.local.value;
  const settings = useSignal(false);
  const inCall = call.phase.value !== "preparing";
  const canShare = typeof navigator !== "undefined" && !!navigator.mediaDevices && "getDisplayMedia" in navigator.mediaDevices;
  return (
    <div class="call-controls" role="toolbar" aria-label="Call controls">
      <button
        type="button"
        class={`round-button${local.audio ? "" : " off"}`}
        aria-pressed={!local.audio}
        aria-label={local.audio ? "Mute" : "Unmute"}
        title={local.audio ? "Mute" : "Unmute"}
        disabled={!inCall}
        onClick={call.toggleMute}
      >
        {local.audio ? <MicIcon size={22} /> : <MicOffIcon size={22} />}
      </button>
      <button
        type="button"
        // Off is only news in a video call; in an audio call this button adds video.
        class={`round-button${local.video || call.current.value?.media === "audio" ? "" : " off"}`}
        aria-label={local.video ? "Turn camera off" : "Turn camera on"}
        title={local.video ? "Turn camera off" : "Turn camera on"}
        disabled={!inCall}
        onClick={() => void call.toggleCamera()}
      >
        {local.video ? <VideoIcon size={22} /> : <VideoOffIcon size={22} />}
      </button>
      {canShare && (
        <button
          type="button"
          class={`round-button${local.screen ? " on" : ""}`}
          aria-pressed={local.screen}
          aria-label={local.screen ? "Stop sharing" : "Share screen"}
          title={local.screen ? "Stop sharing" : "Share screen"}
          disabled={!inCall}
          onClick={() => void call.shareScreen()}
        >
          <ScreenIcon size={22} />
        </button>
      )}
      <button
        type="button"
        class="round-button"
        aria-label="Devices"
        title="Camera and microphone"
        aria-expanded={settings.value}
        disabled={!inCall}
        onClick={() => {
          settings.value = !settings.value;
          if (settings.value) void call.refreshDevices();
        }}
      >
        <GearIcon size={22} />
      </button>
      <button type="button" class="round-button hangup" aria-label="Hang up" title="Hang up" onClick={call.hangup}>
        <HangUpIcon size={22} />
      </button>
      {settings.value && <DevicePicker call={call} />}
    </div>
  );
}

function DevicePicker({ call }: { call: CallStore }) {
  const devices = call.devices.value;
  const local = call.local.value;
  const mics = devices.filter((d) => d.kind === "audioinput" && d.deviceId);
  const cams = devices.filter((d) => d.kind === "videoinput" && d.deviceId);
  return (
    <div class="device-picker">
      <label>
        Microphone
        <select value={local.micId ?? ""} onChange={(e) => void call.switchDevice("audioinput", e.currentTarget.value)}>
          {mics.map((d, i) => (
            <option key={d.deviceId} value={d.deviceId}>
              {d.label || `Microphone ${i + 1}`}
            </option>
          ))}
        </select>
      </label>
      <label>
        Camera
        <select
          value={local.camId ?? ""}
          disabled={cams.length === 0}
          onChange={(e) => void call.switchDevice("videoinput", e.currentTarget.value)}
        >
          {!local.camId && <option value="">Off</option>}
          {cams.map((d, i) => (
            <option key={d.deviceId} value={d.deviceId}>
              {d.label || `Camera ${i + 1}`}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

/** Camera or microphone refused, missing or busy: continue with audio only, or cancel. */
export function MediaProblemDialog({ call }: { call: CallStore }) {
  const p = call.mediaProblem.value;
  if (!p) return null;
  return (
    <Dialog title="Can't use your camera or microphone" onClose={call.dismissProblem}>
      <p class="dialog-text">{p.message}</p>
      <div class="dialog-actions">
        <button type="button" class="button" onClick={call.dismissProblem}>
          Cancel
        </button>
        {p.audioOnly && (
          <button type="button" class="button primary" onClick={call.continueAudioOnly}>
            Continue with audio only
          </button>
        )}
      </div>
    </Dialog>
  );
}

/** A call's entry in the history: an icon and one line, not a chat bubble. */
export function CallEntry({ call, caller, mine }: { call: CallSummary; caller: string; mine: boolean }) {
  const { text, missed } = callLine(call, caller, mine);
  return (
    <div class={`call-entry${missed ? " missed" : ""}`} data-outcome={call.outcome}>
      <span class="call-entry-icon">{call.media === "video" ? <VideoIcon size={16} /> : <PhoneIcon size={16} />}</span>
      <span class="call-entry-text">{text}</span>
    </div>
  );
}

/** Date.now() as state, ticking every second while `on`. */
function useNow(on: boolean): number {
  const now = useSignal(Date.now());
  useEffect(() => {
    if (!on) return;
    now.value = Date.now();
    const t = setInterval(() => (now.value = Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return now.value;
}

/**
 * The call we are in while its room is off screen: a bar to go back to it or hang up.
 * It also plays the others' audio (their video elements are not on screen now).
 */
export function OngoingCall({ calls }: { calls: CallHolder }) {
  const h = calls.held.value;
  const now = useNow(!!h);
  if (!h) return null;
  const { room, call } = h;
  const c = call.current.value;
  const phase = call.phase.value;
  const peers = [...call.peers.value.values()];
  return (
    <div class="ongoing-call" role="region" aria-label="Ongoing call">
      {peers.map((p) => p.stream && <RemoteAudio key={p.id} stream={p.stream} />)}
      <span class="ongoing-dot" aria-hidden="true" />
      <Link href={`/r/${room.id}`} class="ongoing-link" label={`Return to the call in ${room.room.value.name}`}>
        <span class="ongoing-name">{room.room.value.name}</span>
        <span class="ongoing-time">
          {phase === "ringing" ? "Ringing…" : c?.answeredAt != null && phase === "active" ? formatDuration(now - c.answeredAt) : "Connecting…"}
        </span>
      </Link>
      <button type="button" class="round-button hangup small" aria-label="Hang up" title="Hang up" onClick={call.hangup}>
        <HangUpIcon size={18} />
      </button>
    </div>
  );
}

function RemoteAudio({ stream }: { stream: MediaStream }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const a = ref.current;
    if (!a) return;
    if (a.srcObject !== stream) a.srcObject = stream;
    void a.play().catch(() => {});
  });
  return <audio ref={ref} autoplay />;
}

/**
 * A ringtone while `on`: two short tones every 3 s, made with Web Audio (no file to
 * fetch). Browsers may keep audio silent until the page has had a click; then it is silent.
 */
function useRingtone(on: boolean) {
  useEffect(() => {
    if (!on || typeof AudioContext === "undefined") return;
    let ctx: AudioContext;
    try {
      ctx = new AudioContext();
    } catch {
      return;
    }
    const ring = () => {
      if (ctx.state === "suspended") void ctx.resume().catch(() => {});
      const t = ctx.currentTime;
      for (const [start, freq] of [
        [0, 880],
        [0.25, 660],
      ] as const) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0, t + start);
        gain.gain.linearRampToValueAtTime(0.12, t + start + 0.02);
        gain.gain.linearRampToValueAtTime(0, t + start + 0.22);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t + start);
        osc.stop(t + start + 0.24);
      }
    };
    ring();
    const timer = setInterval(ring, 3000);
    return () => {
      clearInterval(timer);
      void ctx.close().catch(() => {});
    };
  }, [on]);
}
