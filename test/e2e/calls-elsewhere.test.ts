/**
 * A call rings a member who has another conversation open: Bob is looking at his own
 * room when Alice video-calls him in their DM. The incoming-call banner comes from his
 * user channel (call.ring), Accept opens the DM and answers, and both peer connections
 * connect and decode each other's video.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAKE_MEDIA, WAIT, connection, fillSignup, newRoom, setup, skipBrowser, type Guest, type Session } from "./browser";
import { framesDecoded, incoming, shoot, waitConnected } from "./calls-support";

describe.skipIf(skipBrowser)("a call rings a member who has another conversation open", () => {
  let s: Session;
  let alice: Guest;
  let bob: Guest;
  beforeAll(async () => {
    s = await setup({ chromiumArgs: FAKE_MEDIA, vars: { STUN_URLS: "" } });
    for (const [name, g] of [["Alice", (alice = await s.guest())], ["Bob", (bob = await s.guest())]] as const) {
      await g.page.goto(s.base + "/", { timeout: WAIT });
      await fillSignup(g.page, `${name.toLowerCase()}_rings`, "correct horse battery", name);
      await g.page.getByRole("button", { name: "New room", exact: true }).waitFor({ timeout: WAIT });
    }
  });
  afterAll(async () => {
    await s?.close();
  });

  it("Bob has his own room open; Alice video-calls him in their DM; he accepts from the banner and both connect", async () => {
    const bobsRoom = await newRoom(bob, "Bob's own room");
    const p = alice.page;
    await p.getByRole("button", { name: "New message" }).click();
    const dialog = p.getByRole("dialog", { name: "New message" });
    await dialog.getByRole("textbox", { name: "Username" }).fill("bob_rings");
    await dialog.getByRole("button", { name: "Start conversation" }).click();
    await p.getByRole("heading", { name: "Bob", level: 1 }).waitFor({ timeout: WAIT });
    await connection(p, "Online").waitFor({ timeout: WAIT });
    const dmUrl = p.url();

    await p.locator(".room-header").getByRole("button", { name: "Video call" }).click();
    const banner = incoming(bob.page);
    await banner.waitFor({ timeout: WAIT });
    await expect(banner.textContent()).resolves.toMatch(/Alice.*Incoming video call/);
    expect(bob.page.url()).toBe(bobsRoom); // nothing opened by itself
    await shoot(bob.page, "call-ring-elsewhere");

    await banner.getByRole("button", { name: "Accept" }).click();
    await bob.page.waitForURL(dmUrl, { timeout: WAIT });
    await waitConnected(alice.page, 1);
    await waitConnected(bob.page, 1);
    await incoming(bob.page).waitFor({ state: "detached", timeout: WAIT });
    for (const pg of [alice.page, bob.page]) {
      const before = await framesDecoded(pg);
      await pg.waitForTimeout(1500);
      expect(await framesDecoded(pg), "remote video frames keep being decoded").toBeGreaterThan(before);
    }
    for (const g of [alice, bob]) expect(g.problems).toEqual([]);
  });
});
