/** The call's controls: mute, camera, screen share, devices, hang up. */
import { useSignal } from "@preact/signals";
import type { CallModel } from "../../state/call";
import { VideoIcon } from "../Icons";
import { GearIcon, HangUpIcon, MicIcon, MicOffIcon, ScreenIcon, VideoOffIcon } from "./icons";

export function CallControls({ call }: { call: CallModel }) {
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

function DevicePicker({ call }: { call: CallModel }) {
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
