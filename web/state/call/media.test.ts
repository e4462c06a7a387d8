/**
 * Our camera, microphone and screen (LocalMedia) against fake devices: what is opened and
 * released, the toggles, screen share and the browser's own stop, switching devices, and
 * device errors in a person's words.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeStream, FakeTrack, fakeEnv } from "./fake-rtc";
import { LocalMedia, mediaErrorText, type Senders } from "./media";

let env: ReturnType<typeof fakeEnv>;
let media: LocalMedia;
let video: (FakeTrack | null)[];
let audio: FakeTrack[];
let recorded: MediaStreamTrack[];
const senders: Senders = {
  video: async (t) => void video.push(t as unknown as FakeTrack | null),
  audio: async (t) => void audio.push(t as unknown as FakeTrack),
};
const refuse = (name: string) => async () => {
  throw Object.assign(new Error(name), { name });
};
const live = () => env.opened.filter((t) => t.readyState === "live").map((t) => t.label);
const yes = () => true;

beforeEach(() => {
  vi.stubGlobal("MediaStream", FakeStream);
  env = fakeEnv({ enumerateDevices: async () => [{ kind: "audioinput", deviceId: "mic", label: "Mic" } as MediaDeviceInfo] });
  video = [];
  audio = [];
  recorded = [];
  media = new LocalMedia(env, senders, (t) => recorded.push(t));
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("opening and releasing", () => {
  it("a video call opens camera and microphone; stop releases every track", async () => {
    await media.open("video");
    expect(live()).toEqual(["mic", "cam"]);
    expect(media.local.value).toMatchObject({ audio: true, video: true, screen: false, micId: "mic", camId: "cam" });
    expect(media.local.value.stream?.getTracks()).toHaveLength(2);
    expect(recorded).toHaveLength(2);
    expect(media.outgoing().video).toBe(env.opened[1]);
    await Promise.resolve();
    expect(media.devices.value.map((d) => d.deviceId)).toEqual(["mic"]);
    media.stop();
    expect(live()).toEqual([]);
    expect(media.local.value).toEqual({ stream: null, audio: false, video: false, screen: false, micId: null, camId: null });
    expect(media.outgoing()).toEqual({ stream: null, audio: null, video: null });
  });

  it("an audio call opens the microphone only", async () => {
    await media.open("audio");
    expect(live()).toEqual(["mic"]);
    expect(media.local.value).toMatchObject({ audio: true, video: false });
  });

  it("a refusal is thrown to the caller, with nothing held", async () => {
    media = new LocalMedia(fakeEnv({ getUserMedia: refuse("NotAllowedError") }), senders, (t) => recorded.push(t));
    await expect(media.open("video")).rejects.toMatchObject({ name: "NotAllowedError" });
    expect(media.local.value.stream).toBeNull();
  });
});

describe("toggles", () => {
  beforeEach(() => media.open("video"));

  it("mute disables the microphone track (no new track); nothing to mute without one", () => {
    expect(media.toggleMute()).toBe(true);
    expect(env.opened[0]!.enabled).toBe(false);
    expect(media.local.value.audio).toBe(false);
    expect(media.toggleMute()).toBe(true);
    expect(media.local.value.audio).toBe(true);
    media.stop();
    expect(media.toggleMute()).toBe(false);
  });

  it("camera off stops the camera (its light goes out) and sends no video; on opens it again", async () => {
    expect(await media.toggleCamera(yes)).toEqual({ changed: true });
    expect(env.opened[1]!.readyState).toBe("ended");
    expect(video).toEqual([null]);
    expect(media.local.value.video).toBe(false);
    expect(media.local.value.stream?.getVideoTracks()).toEqual([]);
    expect(await media.toggleCamera(yes)).toEqual({ changed: true });
    const cam = env.opened[2]!;
    expect(cam.readyState).toBe("live");
    expect(video).toEqual([null, cam]);
    expect(media.local.value.video).toBe(true);
  });

  it("a camera opened after the call ended is closed again at once", async () => {
    await media.toggleCamera(yes);
    expect(await media.toggleCamera(() => false)).toEqual({ changed: false });
    expect(env.opened[2]!.readyState).toBe("ended");
    expect(media.local.value.video).toBe(false);
  });

  it("a camera that can't be opened is told in words", async () => {
    await media.toggleCamera(yes);
    media = new LocalMedia(fakeEnv({ getUserMedia: refuse("NotReadableError") }), senders, () => {});
    expect(await media.toggleCamera(yes)).toEqual({ changed: true, problem: "Your camera and microphone is in use by another app, or couldn't be started." });
  });
});

describe("screen share", () => {
  beforeEach(() => media.open("video"));

  it("takes the camera's place; stopping returns to the camera and releases the screen", async () => {
    const stopped = vi.fn();
    expect(await media.shareScreen(yes, stopped)).toEqual({ changed: true });
    const screen = env.opened[2]!;
    expect(video).toEqual([screen]);
    expect(screen.contentHint).toBe("detail");
    expect(media.local.value).toMatchObject({ screen: true, video: true });
    expect(media.sharing).toBe(screen);
    expect(media.outgoing().video).toBe(screen);
    // The browser's own "Stop sharing" ends the track: the caller is told.
    screen.onended?.();
    expect(stopped).toHaveBeenCalledOnce();
    expect(await media.stopSharing()).toBe(true);
    expect(screen.readyState).toBe("ended");
    expect(video).toEqual([screen, env.opened[1]]);
    expect(media.local.value.screen).toBe(false);
    expect(await media.stopSharing()).toBe(false);
  });

  it("with the camera off, stopping sends no video", async () => {
    await media.toggleCamera(yes);
    await media.shareScreen(yes, () => {});
    await media.stopSharing();
    expect(video.at(-1)).toBeNull();
  });

  it("a cancelled picker says nothing; another failure is told; a screen picked after the call ended is released", async () => {
    media = new LocalMedia(fakeEnv({ getDisplayMedia: refuse("NotAllowedError") }), senders, () => {});
    expect(await media.shareScreen(yes, () => {})).toEqual({ changed: false });
    media = new LocalMedia(fakeEnv({ getDisplayMedia: refuse("AbortError") }), senders, () => {});
    expect(await media.shareScreen(yes, () => {})).toEqual({ changed: false, problem: "Couldn't share your screen." });
    media = new LocalMedia(env, senders, () => {});
    expect(await media.shareScreen(() => false, () => {})).toEqual({ changed: false });
    expect(env.opened.at(-1)!.readyState).toBe("ended");
    expect(video).toEqual([]);
  });
});

describe("switching devices", () => {
  beforeEach(() => media.open("video"));

  it("a new microphone keeps the mute state and replaces the old one, which is released", async () => {
    media.toggleMute();
    expect(await media.switchDevice("audioinput", "mic2")).toEqual({ changed: true });
    const [old, , mic2] = env.opened;
    expect(mic2!.enabled).toBe(false);
    expect(old!.readyState).toBe("ended");
    expect(audio).toEqual([mic2]);
    expect(media.local.value.stream?.getAudioTracks()).toEqual([mic2]);
  });

  it("a new camera while sharing the screen waits behind the screen", async () => {
    await media.shareScreen(yes, () => {});
    const screen = env.opened[2]!;
    await media.switchDevice("videoinput", "cam2");
    expect(video).toEqual([screen]);
    expect(env.opened[1]!.readyState).toBe("ended");
    await media.stopSharing();
    expect(video.at(-1)).toBe(env.opened[3]);
  });

  it("a device that fails is told, and the old one stays", async () => {
    const failing = new LocalMedia(fakeEnv({ getUserMedia: refuse("OverconstrainedError") }), senders, () => {});
    expect(await failing.switchDevice("videoinput", "nope")).toEqual({ changed: true, problem: "No camera or microphone was found." });
    expect(await failing.switchDevice("audioinput", "nope")).toEqual({ changed: true, problem: "No microphone was found." });
  });
});

describe("device errors in words", () => {
  it("names each failure for a person; a blocked camera leaves audio only open", () => {
    expect(mediaErrorText({ name: "NotFoundError" }, "audio").message).toBe("No microphone was found.");
    expect(mediaErrorText({ name: "NotReadableError" }, "video").message).toMatch(/in use by another app/);
    expect(mediaErrorText({ name: "NotAllowedError" }, "audio").audioOnly).toBe(false);
    expect(mediaErrorText({ name: "NotAllowedError" }, "video")).toEqual({
      message: "Access to your camera and microphone was blocked. Allow it in the browser's site settings to be seen and heard.",
      audioOnly: true,
    });
    expect(mediaErrorText(Object.assign(new Error("Calls need a secure (https) page."), { name: "NotSupportedError" }), "video")).toEqual({
      message: "Calls need a secure (https) page.",
      audioOnly: false,
    });
    expect(mediaErrorText("weird", "video")).toEqual({ message: "Couldn't start your camera and microphone.", audioOnly: true });
  });
});
