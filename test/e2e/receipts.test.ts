/**
 * Read receipts. In a DM, Alice's message shows ✓✓ delivered once it reached Bob's app (his
 * sidebar, open in another room), and turns read, live, when Bob opens the DM. In a group, Bob's
 * avatar sits under the last message he has seen, and the message's menu lists him.
 */
import { describe, it } from "vitest";
import { WAIT, conversation, copyInvite, joiner, log, member, newRoom, person, say, shoot, skipBrowser, startDm, twoInARoom, useSession } from "./browser";

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
    await shoot(alice.page, "receipts-dm");
  });

  it("in a group, Alice sees who has seen her message: under it, and in its menu", async () => {
    const { alice, bob } = await twoInARoom(s, { room: "Team" });
    await say(alice, "Standup in five", bob);
    const msg = log(alice.page).locator(".msg").filter({ hasText: "Standup in five" });
    await msg.getByRole("button", { name: "Seen by Bob" }).waitFor({ timeout: WAIT });
    await msg.hover();
    await msg.getByRole("button", { name: "More actions" }).click();
    await alice.page.getByRole("menuitem", { name: "Seen by…" }).click();
    const dialog = alice.page.getByRole("dialog", { name: "Seen by" });
    await dialog.getByText("Bob", { exact: true }).waitFor({ timeout: WAIT });
    await shoot(alice.page, "receipts-seen-by", [[1280, 800]]);
    await dialog.getByRole("button", { name: "Close" }).click();
  });
});
