/**
 * Our camera, microphone and screen during a call: getting them, the toggles, switching
 * devices, and releasing every track. Mute disables the mic track (instant, no
 * renegotiation); camera off stops the camera (its light goes out); screen share takes the
 * camera's place on the video sender (`replaceTrack`) and the browser's own "Stop sharing"
 * returns to the camera. Which peers get a new track is the `Senders`' business.
 */
import { signal, type ReadonlySignal } from "@preact/signals";
import type { CallMedia, MediaState } from "../../../worker/protocol";
import type { CallEnv } from "./ports";
import type { Outgoing } from "./peer";

export type Local = MediaState & {
  stream: MediaStream | null;
  micId: string | null;
  camId: string | null;
};

/** Puts a new track on every peer that sends (the model fans it out). */
export interface Senders {
  video(track: MediaStreamTrack | null, stream: MediaStream | null): Promise<void>;
  audio(track: MediaStreamTrack, stream: MediaStream | null): Promise<void>;
}

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

const NO_LOCAL: Local = { stream: null, audio: false, video: false, screen: false, micId: null, camId: null };

/**
 * What a change did: `changed` (tell the others our new state), `problem` (tell the person),
 * or nothing to say (given up: the call was left meanwhile, or the picker was cancelled).
 */
export type Change = { changed: true; problem?: string } | { changed: false; problem?: string };

export class LocalMedia {
  readonly #env: Pick<CallEnv, "getUserMedia" | "getDisplayMedia" | "enumerateDevices">;
  readonly #senders: Senders;
  readonly #record: (t: MediaStreamTrack) => void;
  #mic: MediaStreamTrack | null = null;
  #cam: MediaStreamTrack | null = null;
  #screen: MediaStreamTrack | null = null;
  /** The stream our tracks travel in (its tracks follow what we send). */
  #stream: MediaStream | null = null;
  readonly #local = signal<Local>(NO_LOCAL);
  readonly #devices = signal<readonly MediaDeviceInfo[]>([]);

  constructor(env: Pick<CallEnv, "getUserMedia" | "getDisplayMedia" | "enumerateDevices">, senders: Senders, record: (t: MediaStreamTrack) => void) {
    this.#env = env;
    this.#senders = senders;
    this.#record = record;
  }

  /** What we send: for the tiles and the call.media frame. */
  get local(): ReadonlySignal<Local> {
    return this.#local;
  }

  get devices(): ReadonlySignal<readonly MediaDeviceInfo[]> {
    return this.#devices;
  }

  /** Our tracks for a peer whose tracks go on now. */
  outgoing(): Outgoing {
    return { stream: this.#stream, audio: this.#mic, video: this.#screen ?? this.#cam };
  }

  /** Opens the microphone (and camera for `video`). Throws what getUserMedia throws. */
  async open(media: CallMedia): Promise<void> {
    const s = await this.#env.getUserMedia({ audio: true, video: media === "video" ? { width: { ideal: 1280 }, height: { ideal: 720 } } : false });
    for (const t of s.getTracks()) this.#record(t);
    this.#mic = s.getAudioTracks()[0] ?? null;
    this.#cam = s.getVideoTracks()[0] ?? null;
    this.#stream = new MediaStream(s.getTracks());
    this.#publish();
    void this.refreshDevices();
  }

  /** Stops every track we hold. */
  stop(): void {
    for (const t of [this.#mic, this.#cam, this.#screen]) t?.stop();
    for (const t of this.#stream?.getTracks() ?? []) t.stop();
    if (this.#screen) this.#screen.onended = null;
    this.#mic = this.#cam = this.#screen = this.#stream = null;
    this.#publish();
  }

  /** False when there is no microphone to mute. */
  toggleMute(): boolean {
    if (!this.#mic) return false;
    this.#mic.enabled = !this.#mic.enabled;
    this.#publish();
    return true;
  }

  /** Camera off (released) or on again. `active`: still in the call once the camera is open. */
  async toggleCamera(active: () => boolean): Promise<Change> {
    let problem: string | undefined;
    if (this.#cam && this.#cam.readyState === "live") {
      this.#cam.stop();
      this.#cam = null;
      if (!this.#screen) await this.#setVideo(null);
    } else {
      try {
        const s = await this.#env.getUserMedia({ video: this.#local.value.camId ? { deviceId: { exact: this.#local.value.camId } } : true });
        const cam = s.getVideoTracks()[0] ?? null;
        if (cam) this.#record(cam);
        if (!active()) {
          cam?.stop();
          return { changed: false };
        }
        this.#cam = cam;
        if (cam && !this.#screen) await this.#setVideo(cam);
      } catch (e) {
        problem = mediaErrorText(e, "video").message;
      }
    }
    this.#publish();
    return { changed: true, ...(problem ? { problem } : {}) };
  }

  /**
   * Shares a screen (the browser's picker) in the camera's place. `active`: still in the call
   * once picked. `stopped` runs when the browser's own "Stop sharing" ends it.
   */
  async shareScreen(active: () => boolean, stopped: () => void): Promise<Change> {
    let s: MediaStream;
    try {
      s = await this.#env.getDisplayMedia({ video: true, audio: false });
    } catch (e) {
      // NotAllowedError: the person cancelled the picker.
      return (e as Error)?.name === "NotAllowedError" ? { changed: false } : { changed: false, problem: "Couldn't share your screen." };
    }
    const t = s.getVideoTracks()[0];
    if (!t) return { changed: false };
    if (!active()) {
      t.stop();
      return { changed: false };
    }
    this.#record(t);
    this.#screen = t;
    t.onended = () => {
      if (this.#screen === t) stopped();
    };
    try {
      t.contentHint = "detail";
    } catch {
      // Not supported: fine.
    }
    await this.#setVideo(t);
    this.#publish();
    return { changed: true };
  }

  /** Back to the camera (if on). False when nothing was shared. */
  async stopSharing(): Promise<boolean> {
    const t = this.#screen;
    if (!t) return false;
    this.#screen = null;
    t.onended = null;
    t.stop();
    await this.#setVideo(this.#cam && this.#cam.readyState === "live" ? this.#cam : null);
    this.#publish();
    return true;
  }

  get sharing(): MediaStreamTrack | null {
    return this.#screen;
  }

  async switchDevice(kind: "audioinput" | "videoinput", deviceId: string): Promise<Change> {
    let problem: string | undefined;
    try {
      if (kind === "audioinput") {
        const s = await this.#env.getUserMedia({ audio: { deviceId: { exact: deviceId } } });
        const t = s.getAudioTracks()[0];
        if (!t) return { changed: false };
        this.#record(t);
        t.enabled = this.#mic ? this.#mic.enabled : true;
        const old = this.#mic;
        this.#mic = t;
        await this.#setAudio(t);
        old?.stop();
      } else {
        const s = await this.#env.getUserMedia({ video: { deviceId: { exact: deviceId } } });
        const t = s.getVideoTracks()[0];
        if (!t) return { changed: false };
        this.#record(t);
        const old = this.#cam;
        this.#cam = t;
        if (!this.#screen) await this.#setVideo(t);
        old?.stop();
      }
    } catch (e) {
      problem = mediaErrorText(e, kind === "audioinput" ? "audio" : "video").message;
    }
    this.#publish();
    return { changed: true, ...(problem ? { problem } : {}) };
  }

  async refreshDevices(): Promise<void> {
    try {
      this.#devices.value = await this.#env.enumerateDevices();
    } catch {
      this.#devices.value = [];
    }
  }

  #publish(): void {
    const s = this.#stream;
    this.#local.value = {
      stream: s && s.getTracks().length ? s : null,
      audio: !!this.#mic && this.#mic.enabled,
      video: !!this.#cam && this.#cam.readyState === "live",
      screen: !!this.#screen,
      micId: this.#mic?.getSettings().deviceId ?? null,
      camId: this.#cam?.getSettings().deviceId ?? null,
    };
  }

  /** `track` (or nothing) as our video: in our stream and on every peer. */
  async #setVideo(track: MediaStreamTrack | null): Promise<void> {
    const s = this.#stream;
    if (s) {
      for (const t of s.getVideoTracks()) s.removeTrack(t);
      if (track) s.addTrack(track);
    }
    await this.#senders.video(track, s);
  }

  async #setAudio(track: MediaStreamTrack): Promise<void> {
    const s = this.#stream;
    if (s) {
      for (const t of s.getAudioTracks()) s.removeTrack(t);
      s.addTrack(track);
    }
    await this.#senders.audio(track, s);
  }
}
