/**
 * Presence in Chromium: Alice's sidebar and DM header show Bob online, then away when his
 * tab is hidden, then "last seen" once he closes it — and never her own connection.
 */
import { describe, it } from "vitest";
import type { Page } from "playwright-core";
import { WAIT, conversation, person, say, shoot, skipBrowser, startDm, twoInARoom, useSession } from "./browser";

/** Bob's tab goes to the background (as when he switches tabs): the page sees it hidden. */
const hide = (p: Page) =>
  p.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    Object.defineProperty(document, "hidden", { value: true, configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
  });

describe.skipIf(skipBrowser)("presence", () => {
  const s = useSession();

  it("Alice sees Bob online, away when his tab is hidden, then last seen after he closes it", async () => {
    const [alice, bob] = [await person(s, "Alice", { account: true }), await person(s, "Bob", { account: true })];
    await startDm(alice, bob.username!);
    await say(alice, "are you there?");
    const p = alice.page;
    const dot = (status: string) => conversation(p, "Bob").locator(`.presence-dot[data-presence="${status}"]`);
    const header = p.locator(".room-header .peer-presence");

    await dot("online").waitFor({ timeout: WAIT });
    await header.filter({ hasText: /^Online$/ }).waitFor({ timeout: WAIT });

    await hide(bob.page);
    await dot("away").waitFor({ timeout: WAIT });
    await header.filter({ hasText: /^Away$/ }).waitFor({ timeout: WAIT });
    await shoot(p, "presence-away", [[1280, 800]]);

    await bob.page.close();
    await dot("offline").waitFor({ timeout: WAIT });
    await header.filter({ hasText: /^last seen just now$/ }).waitFor({ timeout: WAIT });
  });

  it("a group's header counts who is online and who is away, and shows no connection badge while connected", async () => {
    const { alice, bob } = await twoInARoom(s);
    const p = alice.page;
    const count = p.locator(".room-header .member-count");
    await count.filter({ hasText: /^2 members · 2 online$/ }).waitFor({ timeout: WAIT });
    await p.getByRole("status").filter({ hasText: /^Connected$/ }).waitFor({ timeout: WAIT });

    await hide(bob.page);
    await count.filter({ hasText: /^2 members · 1 online, 1 away$/ }).waitFor({ timeout: WAIT });
    await p.locator(".members h2").filter({ hasText: /· 2 · 1 online, 1 away$/ }).waitFor({ timeout: WAIT });
    await shoot(p, "presence-group");

    await bob.page.close();
    await count.filter({ hasText: /^2 members · 1 online$/ }).waitFor({ timeout: WAIT });
  });
});
