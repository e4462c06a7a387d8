/**
 * Read receipts in a DM: Alice's message shows ✓✓ delivered once it reached Bob's app (his
 * sidebar, open in another room), and turns read, live, when Bob opens the DM.
 */
import { describe, it } from "vitest";
import { WAIT, conversation, copyInvite, joiner, log, member, newRoom, person, say, skipBrowser, startDm, useSession } from "./browser";

describe.skipIf(skipBrowser)("read receipts", () => {
  const s = useSession();

  it("Alice sees ✓✓ turn read when Bob opens the DM", async () => {
    const alice = await person(s, "Alice");
    await newRoom(alice, "Lobby");
    const bob = await joiner(s, await copyInvite(alice, s.base), "Bob", { account: true });
    await member(alice.page, "Bob").filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
    await startDm(alice, bob.username!);
    await say(alice, "Are you free tonight?");
    const mine = log(alice.page).locator(".msg.mine").filter({ hasText: "Are you free tonight?" });
    // Bob is in the Lobby: his app has it (the DM shows up in his sidebar), but he has not seen it.
    await conversation(bob.page, "Alice").waitFor({ timeout: WAIT });
    await mine.locator('[data-tick="delivered"]').waitFor({ timeout: WAIT });

    await conversation(bob.page, "Alice").click();
    await log(bob.page).getByText("Are you free tonight?", { exact: true }).waitFor({ timeout: WAIT });
    await mine.locator('[data-tick="read"]').waitFor({ timeout: WAIT });
  });
});
