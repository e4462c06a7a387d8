/**
 * Audio and video calls in the browser, with Chromium's fake camera, microphone and
 * screen: Alice video-calls Bob through the room header, Bob accepts from the incoming
 * banner, both peer connections connect and both sides decode the other's video; Alice
 * shares her screen and Bob still receives video; Alice hangs up and every track on both
 * sides ends (no lit camera). Then: decline, cancel (Bob's missed call), and a 3-person
 * group call that connects every pair.
 *
 * Each test makes its own people, room and call (`twoInARoom`, `inAVideoCall`: Alice and
 * Bob already in a video call with video flowing), so any one runs alone and in any order.
 *
 * Media checks go through `window.__call` (the call store's test hook: its live
 * RTCPeerConnections and every track it held or received) and `getStats()`.
 */
import { describe, expect, it } from "vitest";
import { QUIET_CANCEL_MS, RING_TIMEOUT_MS } from "../../worker/protocol";
import { FAKE_MEDIA, WAIT, connection, joinByLink, joiner, log, newRoom, skipBrowser, twoInARoom, useSession } from "./browser";
import {
  callStatus,
  callView,
  connectedPairs,
  flowing,
  framesDecoded,
  framesDecodedAbove,
  header,
  inAVideoCall,
  incoming,
  shootCall,
  tracksEnded,
  waitConnected,
} from "./calls-support";

describe.skipIf(skipBrowser)("calls in the browser", () => {
  // No STUN: the sandbox has no internet, and loopback host candidates are all a local call needs.
  const s = useSession({ chromiumArgs: FAKE_MEDIA, vars: { STUN_URLS: "" } });

  it("Alice video-calls Bob; Bob accepts; both connect and decode each other's video", async () => {
    const { alice, bob } = await twoInARoom(s);
    await header(alice.page).getByRole("button", { name: "Video call" }).click();
    await callStatus(alice.page).filter({ hasText: "Ringing…" }).waitFor({ timeout: WAIT });

    const banner = incoming(bob.page);
    await banner.waitFor({ timeout: WAIT });
    await expect(banner.textContent()).resolves.toMatch(/Alice.*Incoming video call/);
    expect(await bob.page.title()).toMatch(/Alice is calling…/);
    await shootCall(bob.page, "call-incoming");

    await banner.getByRole("button", { name: "Accept" }).click();
    await banner.waitFor({ state: "detached", timeout: WAIT });
    await waitConnected(alice.page, 1);
    await waitConnected(bob.page, 1);
    // The running duration replaces "Connecting…".
    await callStatus(alice.page).filter({ hasText: /^\d+:\d\d$/ }).waitFor({ timeout: WAIT });
    await callStatus(bob.page).filter({ hasText: /^\d+:\d\d$/ }).waitFor({ timeout: WAIT });

    for (const p of [alice.page, bob.page]) {
      const before = await framesDecoded(p);
      await p.waitForTimeout(1500);
      const after = await framesDecoded(p);
      expect(after, "remote video frames keep being decoded").toBeGreaterThan(before);
    }
    // The remote tile shows video, not an avatar.
    await callView(bob.page).getByLabel("Alice's video").waitFor({ timeout: WAIT });
    await shootCall(bob.page, "call-view");
    await shootCall(alice.page, "call-view-caller", [[1280, 800]]);
  });

  it("Alice mutes and shares her screen: Bob sees both and still receives video; stopping returns to the camera", async () => {
    const { alice, bob } = await inAVideoCall(s);
    await callView(alice.page).getByRole("button", { name: "Mute" }).click();
    await callView(bob.page).locator(".tile.remote").getByText("(muted)").waitFor({ state: "attached", timeout: WAIT });
    await callView(alice.page).getByRole("button", { name: "Unmute" }).click();
    await callView(bob.page).locator(".tile.remote").getByText("(muted)").waitFor({ state: "detached", timeout: WAIT });

    await callView(alice.page).getByRole("button", { name: "Share screen" }).click();
    await callView(alice.page).getByRole("button", { name: "Stop sharing" }).waitFor({ timeout: WAIT });
    await callView(bob.page).locator(".tile.remote").getByText("sharing screen").waitFor({ timeout: WAIT });
    const sent = await alice.page.evaluate(() =>
      window.__call!.connections().map((pc) => pc.getSenders().find((x) => x.track?.kind === "video")?.track?.label ?? ""),
    );
    expect(sent[0], "the screen's track replaced the camera's").not.toMatch(/fake_device|Fake Default/i);
    const before = await framesDecoded(bob.page);
    await bob.page.waitForTimeout(1500);
    expect(await framesDecoded(bob.page)).toBeGreaterThan(before);
    await shootCall(bob.page, "call-screen-share", [[1280, 800]]);

    await callView(alice.page).getByRole("button", { name: "Stop sharing" }).click();
    await callView(alice.page).getByRole("button", { name: "Share screen" }).waitFor({ timeout: WAIT });
    await callView(bob.page).locator(".tile.remote").getByText("sharing screen").waitFor({ state: "detached", timeout: WAIT });
    const again = await framesDecoded(bob.page);
    await bob.page.waitForTimeout(1500);
    expect(await framesDecoded(bob.page)).toBeGreaterThan(again);
  });

  it("Bob's connection drops and comes back: the call goes on (rejoined, ICE restarted) and video flows again", async () => {
    const { alice, bob } = await inAVideoCall(s);
    await bob.context.setOffline(true);
    await connection(bob.page, "(Offline|Reconnecting)").waitFor({ timeout: WAIT });
    await bob.page.waitForTimeout(1000);
    await bob.context.setOffline(false);
    await connection(bob.page, "Connected").waitFor({ timeout: WAIT });
    // Alice sees Bob back (not "Reconnecting…") and both are connected again.
    await callView(alice.page).locator(".tile.remote .tile-state").waitFor({ state: "detached", timeout: WAIT });
    await waitConnected(alice.page, 1);
    await waitConnected(bob.page, 1);
    for (const p of [alice.page, bob.page]) {
      const before = await framesDecoded(p);
      await p.waitForTimeout(1500);
      expect(await framesDecoded(p)).toBeGreaterThan(before);
    }
    await callStatus(bob.page).filter({ hasText: /^\d+:\d\d$/ }).waitFor({ timeout: WAIT });
  });

  it("Bob opens another conversation mid-call: the call goes on in a bar, and he returns to it", async () => {
    const { alice, bob } = await inAVideoCall(s);
    await newRoom(bob, "Bob's side room");
    const bar = bob.page.getByRole("region", { name: "Ongoing call" });
    await bar.waitFor({ timeout: WAIT });
    await shootCall(bob.page, "call-ongoing-bar");
    // The new room's call buttons are off: one call at a time.
    expect(await header(bob.page).getByRole("button", { name: "Video call" }).isDisabled()).toBe(true);
    await waitConnected(bob.page, 1);
    const before = await framesDecoded(alice.page);
    await alice.page.waitForTimeout(1500);
    expect(await framesDecoded(alice.page), "Bob still sends video").toBeGreaterThan(before);

    await bar.getByRole("link", { name: /Return to the call in Alice's room/ }).click();
    await callView(bob.page).getByLabel("Alice's video").waitFor({ timeout: WAIT });
    await bar.waitFor({ state: "detached", timeout: WAIT });
    await waitConnected(bob.page, 1);
  });

  it("Alice moves the call to another tab and back ('Join here'); the tab she leaves releases its camera", async () => {
    const { alice, bob, roomUrl } = await inAVideoCall(s);
    const tab2 = await alice.context.newPage();
    await tab2.goto(roomUrl);
    await connection(tab2, "Connected").waitFor({ timeout: WAIT });
    await header(tab2).getByRole("button", { name: "Join here" }).click();
    await waitConnected(tab2, 1);
    await callView(alice.page).waitFor({ state: "detached", timeout: WAIT });
    expect((await tracksEnded(alice.page)).live).toEqual([]);
    await flowing(tab2, bob.page);

    await header(alice.page).getByRole("button", { name: "Join here" }).click();
    await waitConnected(alice.page, 1);
    await callView(tab2).waitFor({ state: "detached", timeout: WAIT });
    expect((await tracksEnded(tab2)).live).toEqual([]);
    await tab2.close();
    await flowing(alice.page, bob.page);
  });

  it("Alice hangs up: the call ends for both, every track is stopped, and the history shows the call", async () => {
    const { alice, bob } = await inAVideoCall(s);
    await callView(alice.page).getByRole("button", { name: "Hang up" }).click();
    for (const p of [alice.page, bob.page]) {
      await callView(p).waitFor({ state: "detached", timeout: WAIT });
      await p.waitForFunction(() => window.__call!.connections().length === 0, null, { timeout: WAIT });
      const t = await tracksEnded(p);
      expect(t.total, "tracks were held").toBeGreaterThan(0);
      expect(t.live, "no track is still live").toEqual([]);
      await log(p).locator(".call-entry").filter({ hasText: /^Video call · \d+:\d\d$/ }).waitFor({ timeout: WAIT });
    }
  });

  it("Bob declines an audio call: Alice sees Declined and her microphone is released", async () => {
    const { alice, bob } = await twoInARoom(s);
    await header(alice.page).getByRole("button", { name: "Audio call" }).click();
    const banner = incoming(bob.page);
    await banner.waitFor({ timeout: WAIT });
    await expect(banner.textContent()).resolves.toMatch(/Incoming audio call/);
    await banner.getByRole("button", { name: "Decline" }).click();
    await banner.waitFor({ state: "detached", timeout: WAIT });
    await alice.page.getByRole("status").filter({ hasText: "Bob declined" }).waitFor({ timeout: WAIT });
    expect((await tracksEnded(alice.page)).live).toEqual([]);
    await log(alice.page).locator(".call-entry").filter({ hasText: "Audio call · Declined" }).waitFor({ timeout: WAIT });
    await log(bob.page).locator(".call-entry").filter({ hasText: "Audio call from Alice · Declined" }).waitFor({ timeout: WAIT });
  });

  it("Alice cancels before Bob answers: his banner disappears and he has a missed call", async () => {
    const { alice, bob } = await twoInARoom(s);
    await header(alice.page).getByRole("button", { name: "Video call" }).click();
    const banner = incoming(bob.page);
    await banner.waitFor({ timeout: WAIT });
    // A call cancelled sooner leaves no history entry (a misdial).
    await alice.page.waitForTimeout(QUIET_CANCEL_MS);
    await callView(alice.page).getByRole("button", { name: "Hang up" }).click();
    await banner.waitFor({ state: "detached", timeout: WAIT });
    await log(bob.page).locator(".call-entry.missed").filter({ hasText: "Missed video call from Alice" }).waitFor({ timeout: WAIT });
    expect((await tracksEnded(alice.page)).live).toEqual([]);
  });

  it("an audio call shows avatars; sharing the screen in it renegotiates and Bob receives video", async () => {
    const { alice, bob } = await twoInARoom(s);
    await header(alice.page).getByRole("button", { name: "Audio call" }).click();
    const banner = incoming(bob.page);
    await banner.waitFor({ timeout: WAIT });
    await banner.getByRole("button", { name: "Accept" }).click();
    await waitConnected(alice.page, 1);
    await waitConnected(bob.page, 1);
    await callView(bob.page).locator(".tile.remote.off").waitFor({ timeout: WAIT });
    const videoSent = await alice.page.evaluate(() =>
      window.__call!.connections().flatMap((pc) => pc.getSenders().filter((x) => x.track?.kind === "video")).length,
    );
    expect(videoSent).toBe(0);
    await shootCall(bob.page, "call-audio");

    // No video sender yet: the screen is a new track, a renegotiation from Alice's side.
    await callView(alice.page).getByRole("button", { name: "Share screen" }).click();
    await callView(bob.page).getByLabel("Alice's video").waitFor({ timeout: WAIT });
    await framesDecodedAbove(bob.page, 10);
    await callView(alice.page).getByRole("button", { name: "Hang up" }).click();
    for (const p of [alice.page, bob.page]) {
      await p.waitForFunction(() => window.__call!.connections().length === 0, null, { timeout: WAIT });
      expect((await tracksEnded(p)).live).toEqual([]);
    }
  });

  it("nobody answers for 30 s: Alice sees No answer, Bob's banner goes and he has a missed call", async () => {
    const { alice, bob } = await twoInARoom(s);
    await header(alice.page).getByRole("button", { name: "Audio call" }).click();
    const banner = incoming(bob.page);
    await banner.waitFor({ timeout: WAIT });
    // RING_TIMEOUT_MS (30 s) is a protocol constant, not configuration: this test waits it out.
    await alice.page.getByRole("status").filter({ hasText: "No answer" }).waitFor({ timeout: RING_TIMEOUT_MS + WAIT });
    await banner.waitFor({ state: "detached", timeout: WAIT });
    expect((await tracksEnded(alice.page)).live).toEqual([]);
    await log(alice.page).locator(".call-entry").filter({ hasText: "Audio call · No answer" }).waitFor({ timeout: WAIT });
    await log(bob.page).locator(".call-entry.missed").filter({ hasText: "Missed audio call from Alice" }).waitFor({ timeout: WAIT });
  });

  it("a 3-person group call connects every pair", async () => {
    const { alice, bob, invite } = await twoInARoom(s);
    const carol = await joiner(s, invite, "Carol");
    await header(alice.page).getByRole("button", { name: "Video call" }).click();
    for (const g of [bob, carol]) {
      const banner = incoming(g.page);
      await banner.waitFor({ timeout: WAIT });
      await banner.getByRole("button", { name: "Accept" }).click();
    }
    for (const g of [alice, bob, carol]) await waitConnected(g.page, 2);
    const pairs = await Promise.all([alice, bob, carol].map((g) => connectedPairs(g.page)));
    expect(pairs).toEqual([2, 2, 2]);
    for (const g of [alice, bob, carol]) {
      const before = await framesDecoded(g.page);
      await g.page.waitForTimeout(1200);
      expect(await framesDecoded(g.page)).toBeGreaterThan(before);
    }
    await shootCall(carol.page, "call-group", [[1280, 800], [360, 740]]);

    // Carol leaves; Alice and Bob go on together.
    await callView(carol.page).getByRole("button", { name: "Hang up" }).click();
    await callView(carol.page).waitFor({ state: "detached", timeout: WAIT });
    expect((await tracksEnded(carol.page)).live).toEqual([]);
    await alice.page.waitForFunction(() => window.__call!.connections().length === 1, null, { timeout: WAIT });
    // She can come back from the header while it runs.
    await header(carol.page).getByRole("button", { name: "Join call" }).click();
    await waitConnected(carol.page, 2);
    await waitConnected(alice.page, 2);

    await callView(alice.page).getByRole("button", { name: "Hang up" }).click();
    await callView(bob.page).getByRole("button", { name: "Hang up" }).click();
    await callView(carol.page).waitFor({ state: "detached", timeout: WAIT });
    for (const g of [alice, bob, carol]) {
      await g.page.waitForFunction(() => window.__call!.connections().length === 0, null, { timeout: WAIT });
      expect((await tracksEnded(g.page)).live).toEqual([]);
      expect(g.problems).toEqual([]);
    }
  });

  it("a blocked camera: the caller is told why and goes on with audio only", async () => {
    const { alice, bob, invite } = await twoInARoom(s);
    const dan = await s.guest();
    // As if the camera permission were denied: any request that wants video fails.
    await dan.context.addInitScript(() => {
      const md = navigator.mediaDevices;
      const real = md.getUserMedia.bind(md);
      md.getUserMedia = (c?: MediaStreamConstraints) =>
        c?.video ? Promise.reject(new DOMException("Permission denied", "NotAllowedError")) : real(c);
    });
    await joinByLink(dan, invite, "Dan");
    await header(dan.page).getByRole("button", { name: "Video call" }).click();
    const dialog = dan.page.getByRole("dialog", { name: "Can't use your camera or microphone" });
    await dialog.getByText(/Access to your camera and microphone was blocked/).waitFor({ timeout: WAIT });
    await shootCall(dan.page, "call-media-error");
    await dialog.getByRole("button", { name: "Continue with audio only" }).click();
    await callStatus(dan.page).filter({ hasText: "Ringing…" }).waitFor({ timeout: WAIT });
    const banner = incoming(alice.page);
    await banner.waitFor({ timeout: WAIT });
    await banner.getByRole("button", { name: "Accept" }).click();
    await waitConnected(dan.page, 1);
    await waitConnected(alice.page, 1);
    // Alice sees Dan's avatar with "camera off", not a black video.
    await callView(alice.page).locator(".tile.remote.off").getByText("(camera off)").waitFor({ state: "attached", timeout: WAIT });
    const kinds = await dan.page.evaluate(() => window.__call!.tracks().filter((t) => t.readyState === "live").map((t) => t.kind));
    expect(kinds.filter((k) => k === "audio").length).toBeGreaterThan(0);
    await callView(dan.page).getByRole("button", { name: "Hang up" }).click();
    for (const g of [alice, dan]) {
      await g.page.waitForFunction(() => window.__call!.connections().length === 0, null, { timeout: WAIT });
      expect((await tracksEnded(g.page)).live).toEqual([]);
    }
    // The others being rung see the banner go.
    for (const g of [bob]) await incoming(g.page).waitFor({ state: "detached", timeout: WAIT });
  });
});
