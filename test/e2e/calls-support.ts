/**
 * Helpers for the call tests: the incoming banner, and what the page's call store
 * (`window.__call`, see web/state/call/calls.ts) and `getStats()` say about the media.
 */
import path from "node:path";
import { expect } from "vitest";
import type { Page } from "playwright-core";
import { SHOTS, WAIT, consoleOf } from "./browser";

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

/** Screenshots at desktop and phone sizes; nothing may scroll sideways. */
export async function shoot(p: Page, name: string, sizes: [number, number][] = [[1280, 800], [360, 740]]) {
  const was = p.viewportSize();
  for (const [w, h] of sizes) {
    await p.setViewportSize({ width: w, height: h });
    await p.waitForTimeout(150);
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(w);
    await p.screenshot({ path: path.join(SHOTS, `${name}-${w}x${h}.png`) });
  }
  if (was) await p.setViewportSize(was);
}
