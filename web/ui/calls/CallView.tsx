/** The call on screen while we are in it (or preparing it): status, tiles and controls. */
import { useEffect, useRef } from "preact/hooks";
import type { CallParticipant } from "../../../worker/protocol";
import type { CallModel, PeerView } from "../../state/call";
import { formatDuration } from "../../state/messages";
import { Avatar } from "../Avatar";
import { MicOffIcon } from "./icons";
import { CallControls } from "./CallControls";
import { useNow } from "./clock";

/** The call view, and the call's outcome for a moment after. */
export function CallView({ call }: { call: CallModel }) {
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

function CallStatus({ call }: { call: CallModel }) {
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
