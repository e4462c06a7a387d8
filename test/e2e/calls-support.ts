/**
 * Helpers for the call tests: the incoming banner, what the page's call store
 * (`window.__call`, see web/state/call/calls.ts) and `getStats()` say about the media, and
 * a call fixture (`inAVideoCall`) on browser.ts's people and rooms, so each call test
 * starts its own call and runs alone.
 */
import type { Page } from "playwright-core";
import { WAIT, consoleOf, shoot, twoInARoom, type Session, type TwoInARoom } from "./browser";

declare global {
  interface Window {
    __call?: { connections(): RTCPeerConnection[]; tracks(): MediaStreamTrack[] };
  }
}

export const incoming = (p: Page) => p.getByRole("alertdialog", { name: "Incoming call" });

/** Waits until the page has exactly `n` peer connections, all `connected`. */
export async function waitConnected(p: Page, n: number, timeout = WAIT * 2): Promise<void> {
  try {
    await waitConnectedQuiet(p, n, timeout);
  } catch (e) {
    // Say where it stuck: each connection's signaling/ICE/connection state and what the page logged.
    const states = await p.evaluate(() =>
      (window.__call?.connections() ?? []).map((pc) => `${pc.signalingState}/${pc.iceConnectionState}/${pc.connectionState}`),
    );
    throw new Error(`${String(e)}\nconnections: ${JSON.stringify(states)}\nconsole:\n${consoleOf(p).slice(-40).join("\n")}`);
  }
}

async function waitConnectedQuiet(p: Page, n: number, timeout: number): Promise<void> {
  await p.waitForFunction(
    (n) => {
      const c = window.__call?.connections() ?? [];
      return c.length === n && c.every((pc) => pc.connectionState === "connected");
    },
    n,
    { timeout },
  );
}

export const connectedPairs = (p: Page) =>
  p.evaluate(() => window.__call!.connections().filter((pc) => pc.connectionState === "connected").length);

/** Video frames decoded so far from every peer, summed (inbound-rtp, getStats). */
export const framesDecoded = (p: Page) =>
  p.evaluate(async () => {
    let n = 0;
    for (const pc of window.__call!.connections()) {
      const stats = await pc.getStats();
      stats.forEach((r: { type: string; kind?: string; framesDecoded?: number }) => {
        if (r.type === "inbound-rtp" && r.kind === "video") n += r.framesDecoded ?? 0;
      });
    }
    return n;
  });

/** Every track the call store held or received: how many, and which are still live. */
export const tracksEnded = (p: Page) =>
  p.evaluate(() => {
    const t = window.__call!.tracks();
    return { total: t.length, live: t.filter((x) => x.readyState !== "ended").map((x) => `${x.kind}:${x.label}`) };
  });

/** The candidate-pair types in use on each connection (`relay` when through TURN). */
export const selectedCandidateTypes = (p: Page) =>
  p.evaluate(async () => {
    const out: string[][] = [];
    for (const pc of window.__call!.connections()) {
      const stats = await pc.getStats();
      const byId = new Map<string, { type: string; candidateType?: string; selected?: boolean; state?: string; nominated?: boolean; localCandidateId?: string; remoteCandidateId?: string; selectedCandidatePairId?: string }>();
      stats.forEach((r: { id: string; type: string }) => byId.set(r.id, r as never));
      let pairId: string | undefined;
      for (const r of byId.values()) if (r.type === "transport" && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
      const pair = pairId ? byId.get(pairId) : [...byId.values()].find((r) => r.type === "candidate-pair" && r.state === "succeeded" && r.nominated);
      if (!pair) {
        out.push([]);
        continue;
      }
      out.push([byId.get(pair.localCandidateId!)?.candidateType ?? "?", byId.get(pair.remoteCandidateId!)?.candidateType ?? "?"]);
    }
    return out;
  });

/**
 * A call view's screenshot wait (`shoot`'s `settle`): after a resize, every playing video
 * has presented a frame at its new size. Bounded (1 s): a stalled video is still shot, and
 * the frame counts, not the pictures, judge the video.
 */
export async function videosRepainted(p: Page): Promise<void> {
  await p.evaluate(() => {
    const playing = [...document.querySelectorAll("video")].filter((v) => !v.paused && v.readyState >= 2);
    const painted = playing.map((v) => new Promise<void>((resolve) => v.requestVideoFrameCallback(() => resolve())));
    const frame = new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
    return Promise.race([Promise.all([frame, ...painted]), new Promise<void>((resolve) => setTimeout(resolve, 1000))]);
  });
}

/** `shoot` (browser.ts) for a page in or around a call: waits for its videos to repaint after each resize. */
export const shootCall = (p: Page, name: string, sizes?: [number, number][]) => shoot(p, name, sizes, { settle: videosRepainted });

// ── Fixtures: calls of one test, on browser.ts's people and rooms ─────────────────────

export const header = (p: Page) => p.locator(".room-header");
export const callView = (p: Page) => p.getByRole("region", { name: "Call" });
/** The call's status line ("Ringing…", "Connecting…", then the running duration). */
export const callStatus = (p: Page) => callView(p).getByRole("timer");

/** Waits until the video frames `p` decoded from every peer, summed, exceed `n`. */
export async function framesDecodedAbove(p: Page, n: number, timeout = WAIT): Promise<void> {
  await p.waitForFunction(
    async (n) => {
      let total = 0;
      for (const pc of window.__call!.connections()) {
        (await pc.getStats()).forEach((r: { type: string; kind?: string; framesDecoded?: number }) => {
          if (r.type === "inbound-rtp" && r.kind === "video") total += r.framesDecoded ?? 0;
        });
      }
      return total > n;
    },
    n,
    { timeout, polling: 250 },
  );
}

/** Every page has one connected peer connection and decodes fresh video (10+ new frames) from it. */
export async function flowing(...pages: Page[]): Promise<void> {
  for (const p of pages) await waitConnected(p, 1);
  for (const p of pages) {
    await p.waitForFunction(() => window.__call!.connections().every((pc) => pc.connectionState === "connected"), null, { timeout: WAIT });
    await framesDecodedAbove(p, (await framesDecoded(p)) + 10);
  }
}

/**
 * Alice and Bob in a fresh group room ("Alice's room", see `twoInARoom`), in a video call
 * Alice started and Bob accepted, connected and each decoding the other's video.
 */
export async function inAVideoCall(s: Session): Promise<TwoInARoom> {
  const two = await twoInARoom(s);
  await header(two.alice.page).getByRole("button", { name: "Video call" }).click();
  const banner = incoming(two.bob.page);
  await banner.waitFor({ timeout: WAIT });
  await banner.getByRole("button", { name: "Accept" }).click();
  await banner.waitFor({ state: "detached", timeout: WAIT });
  await flowing(two.alice.page, two.bob.page);
  return two;
}
