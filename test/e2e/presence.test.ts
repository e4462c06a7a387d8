/**
 * Presence in Chromium: Alice's sidebar and DM header show Bob online, then away when his
 * tab is hidden, then "last seen" once he closes it — and never her own connection.
 */
import { describe, it } from "vitest";
import type { Page } from "playwright-core";
import { WAIT, conversation, person, say, shoot, skipBrowser, startDm, useSession } from "./browser";

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
});
