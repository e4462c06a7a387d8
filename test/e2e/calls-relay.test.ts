/**
 * A call through a real TURN relay: Debian's coturn on loopback with `use-auth-secret`
 * (the TURN REST scheme), and a server configured with the same secret and FORCE_RELAY=1,
 * so the browsers get short-lived credentials from GET /api/turn and iceTransportPolicy
 * "relay". The call must still connect, and the candidate pair in use must be relay on
 * both ends.
 *
 * Needs `turnserver` (apt-get install -y coturn; .ci/run installs it). Without it the file
 * is skipped with a notice, except under CI, where that is a failure.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IceServersResponse } from "../../worker/protocol";
import * as v from "valibot";
import { FAKE_MEDIA, WAIT, person, skipBrowser, twoInARoom, useSession } from "./browser";
import { callView, framesDecoded, header, incoming, selectedCandidateTypes, tracksEnded, waitConnected } from "./calls-support";

const TURNSERVER = ["/usr/bin/turnserver", "/usr/sbin/turnserver"].find((p) => spawnSync(p, ["--help"]).error === undefined) ?? null;
const skipTurn = TURNSERVER === null && !process.env.CI;
if (skipTurn) console.warn("TURN relay test skipped: turnserver not found (apt-get install -y coturn)");

const SECRET = "relay-test-secret-" + Math.random().toString(36).slice(2);

/** A port free for both TCP and UDP on 127.0.0.1 (TURN listens on both). */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
      s.on("error", reject);
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket("udp4");
      u.once("error", () => resolve(false));
      u.bind(port, "127.0.0.1", () => u.close(() => resolve(true)));
    });
    if (udpFree && port < 65000) return port;
  }
  throw new Error("no free port for turnserver");
}

/** True when a STUN binding request to 127.0.0.1:port gets a binding success answer within 300 ms. */
function stunAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const u = createSocket("udp4");
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0); // Binding request, no attributes
    req.writeUInt32BE(0x2112a442, 4); // magic cookie
    for (let i = 8; i < 20; i++) req[i] = Math.floor(Math.random() * 256);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      u.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 300);
    u.on("message", (m) => done(m.length >= 20 && m.readUInt16BE(0) === 0x0101));
    u.on("error", () => done(false));
    u.send(req, port, "127.0.0.1");
  });
}

describe.skipIf(skipBrowser || skipTurn)("a call through a TURN relay (coturn)", () => {
  let turn: ChildProcess | null = null;
  let turnLog = "";
  let dir = "";
  let turnUrls: string[] = [];

  beforeAll(async () => {
    if (!TURNSERVER) throw new Error("turnserver not found and CI is set: install coturn (apt-get install -y coturn)");
    dir = mkdtempSync(path.join(tmpdir(), "turn-"));
    const port = await freePort();
    turnUrls = [`turn:127.0.0.1:${port}?transport=udp`, `turn:127.0.0.1:${port}?transport=tcp`];
    turn = spawn(
      TURNSERVER,
      [
        `--listening-port=${port}`,
        "--listening-ip=127.0.0.1",
        "--relay-ip=127.0.0.1",
        "--allow-loopback-peers",
        "--use-auth-secret",
        `--static-auth-secret=${SECRET}`,
        "--realm=chat.test",
        "--fingerprint",
        "--no-cli",
        "--no-tls",
        "--no-dtls",
        "--no-multicast-peers",
        `--userdb=${path.join(dir, "turndb")}`,
        `--pidfile=${path.join(dir, "turnserver.pid")}`,
        "--log-file=stdout",
        "--simple-log",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    turn.stdout!.on("data", (d: Buffer) => (turnLog = (turnLog + d.toString()).slice(-20_000)));
    turn.stderr!.on("data", (d: Buffer) => (turnLog = (turnLog + d.toString()).slice(-20_000)));
    // Up once it answers a STUN binding request (its log is block-buffered into our pipe).
    const t0 = Date.now();
    while (!(await stunAnswers(port))) {
      if (turn.exitCode !== null) throw new Error(`turnserver exited (${turn.exitCode}):\n${turnLog}`);
      if (Date.now() - t0 > 10_000) throw new Error(`turnserver did not answer STUN in 10 s:\n${turnLog}`);
    }
  });
  afterAll(async () => {
    if (turn && turn.exitCode === null) {
      turn.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      if (turn.exitCode === null) turn.kill("SIGKILL");
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  // Registered after the TURN server's hooks, so (hooks run as a stack) the app starts after
  // turnserver answers, with its port in the vars, and closes before turnserver stops.
  const s = useSession(() => ({
    chromiumArgs: FAKE_MEDIA,
    vars: { STUN_URLS: "", TURN_URLS: turnUrls.join(","), TURN_SECRET: SECRET, FORCE_RELAY: "1" },
  }));

  it("GET /api/turn hands out short-lived TURN credentials and forces relay", async () => {
    const alice = await person(s, "Alice");
    const body = await alice.page.evaluate(async () => (await fetch("/api/turn")).json());
    const r = v.parse(IceServersResponse, body);
    expect(r.iceTransportPolicy).toBe("relay");
    const t = r.iceServers.find((x) => [x.urls].flat().some((u) => u.startsWith("turn:")));
    expect([t?.urls].flat()).toEqual(turnUrls);
    expect(t?.credential, "a credential, never the static secret").toBeTruthy();
    expect(t!.credential).not.toContain(SECRET);
    const [expiry] = t!.username!.split(":");
    expect(Number(expiry) * 1000).toBeGreaterThan(Date.now());
  });

  it("a video call connects through the relay only", async () => {
    const { alice, bob } = await twoInARoom(s);
    await header(alice.page).getByRole("button", { name: "Video call" }).click();
    const banner = incoming(bob.page);
    await banner.waitFor({ timeout: WAIT });
    await banner.getByRole("button", { name: "Accept" }).click();
    const consoleLines: string[] = [];
    alice.page.on("console", (m) => consoleLines.push(`alice: ${m.text()}`));
    bob.page.on("console", (m) => consoleLines.push(`bob: ${m.text()}`));
    try {
      await waitConnected(alice.page, 1);
      await waitConnected(bob.page, 1);
    } catch (e) {
      const states = await Promise.all([alice.page, bob.page].map((p) => p.evaluate(() => window.__call!.connections().map((pc) => `${pc.signalingState}/${pc.iceConnectionState}/${pc.connectionState}`))));
      throw new Error(`${String(e)}\nstates: ${JSON.stringify(states)}\n${consoleLines.join("\n")}\n── turnserver ──\n${turnLog.slice(-4000)}`);
    }
    for (const p of [alice.page, bob.page]) {
      expect(await selectedCandidateTypes(p)).toEqual([["relay", "relay"]]);
      const before = await framesDecoded(p);
      await p.waitForTimeout(1500);
      expect(await framesDecoded(p)).toBeGreaterThan(before);
    }
    await callView(alice.page).getByRole("button", { name: "Hang up" }).click();
    for (const p of [alice.page, bob.page]) {
      await p.waitForFunction(() => window.__call!.connections().length === 0, null, { timeout: WAIT });
      expect((await tracksEnded(p)).live).toEqual([]);
    }
  });
});
