/**
 * A call rings a member who has another conversation open: Bob is looking at his own
 * room when Alice video-calls him in their DM. The incoming-call banner comes from his
 * user channel (call.ring), Accept opens the DM and answers, and both peer connections
 * connect and decode each other's video.
 */
import { describe, expect, it } from "vitest";
import { FAKE_MEDIA, WAIT, newRoom, person, skipBrowser, startDm, useSession } from "./browser";
import { framesDecoded, header, incoming, shootCall, waitConnected } from "./calls-support";

describe.skipIf(skipBrowser)("a call rings a member who has another conversation open", () => {
  const s = useSession({ chromiumArgs: FAKE_MEDIA, vars: { STUN_URLS: "" } });

  it("Bob has his own room open; Alice video-calls him in their DM; he accepts from the banner and both connect", async () => {
    // Accounts: a DM is started by username.
    const alice = await person(s, "Alice", { account: true });
    const bob = await person(s, "Bob", { account: true });
    const bobsRoom = await newRoom(bob, "Bob's own room");
    const p = alice.page;
    await startDm(alice, bob.username!);
    await p.getByRole("heading", { name: "Bob", level: 1 }).waitFor({ timeout: WAIT });
    const dmUrl = p.url();

    await header(p).getByRole("button", { name: "Video call" }).click();
    const banner = incoming(bob.page);
    await banner.waitFor({ timeout: WAIT });
    await expect(banner.textContent()).resolves.toMatch(/Alice.*Incoming video call/);
    expect(bob.page.url()).toBe(bobsRoom); // nothing opened by itself
    await shootCall(bob.page, "call-ring-elsewhere");

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
