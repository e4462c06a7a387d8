/**
 * Reading on one device clears the badge on every other device of the same person, live:
 * Bob has two tabs (his laptop and his phone, as far as the app can tell); a message in
 * a room he is not looking at badges it in both; opening it in one clears it in the other
 * without a reload.
 */
import { describe, it } from "vitest";
import { WAIT, conversation, log, newRoom, say, skipBrowser, twoInARoom, useSession } from "./browser";

describe.skipIf(skipBrowser)("read positions follow a person across tabs", () => {
  const s = useSession();

  it("Bob reads a room in one tab: the badge goes in his other tab too, no reload", async () => {
    const { alice, bob, roomUrl } = await twoInARoom(s, { room: "Plans" });
    // Bob's first tab moves to a room of his own, and his second tab opens there too,
    // looking elsewhere.
    await newRoom(bob, "Bob's notes");
    const phone = await bob.context.newPage();
    await phone.goto(bob.page.url());
    await log(phone).waitFor({ timeout: WAIT });

    await say(alice, "Dinner at eight?");
    for (const tab of [bob.page, phone]) await conversation(tab, "Plans").filter({ hasText: "1 unread" }).waitFor({ timeout: WAIT });

    // He opens it on the "phone": the "laptop" follows.
    await conversation(phone, "Plans").click();
    await phone.waitForURL(roomUrl, { timeout: WAIT });
    await log(phone).getByText("Dinner at eight?", { exact: true }).waitFor({ timeout: WAIT });
    await conversation(bob.page, "Plans").locator(".badge").waitFor({ state: "detached", timeout: WAIT });
    await phone.close();
  });
});
