/**
 * Mentions in Chromium: Alice picks Bruno from the `@` list with the keyboard; Bruno, in
 * another room, sees the `@` badge beside the room in his sidebar; he opens it and finds the
 * message highlighted with a chip of his name; the badge goes. Alice edits the message: the
 * mention stays a chip.
 */
import { describe, expect, it } from "vitest";
import { WAIT, composer, conversation, log, newRoom, skipBrowser, twoInARoom, useSession } from "./browser";

describe.skipIf(skipBrowser)("mentions", () => {
  const s = useSession();

  it("Alice @mentions Bruno from the picker; he gets the @ badge elsewhere, a highlighted chip in the room, and the badge clears", async () => {
    const { alice, bob: bruno, roomUrl } = await twoInARoom(s, { names: ["Alice", "Bruno"], room: "Plans" });
    await newRoom(bruno, "Bruno's notes");

    const box = composer(alice.page);
    await box.click();
    await box.pressSequentially("Dinner? @");
    const picker = alice.page.getByRole("listbox", { name: "Mention someone" });
    const names = () => picker.locator("[role=option] bdi").allTextContents();
    await picker.waitFor({ timeout: WAIT });
    // Alice owns this small room: @room is offered first, then the members (not herself).
    await expect.poll(names, { timeout: WAIT }).toEqual(["room", "Bruno"]);
    // Filtered as she types; the arrows move the choice and Enter takes it.
    await box.pressSequentially("r");
    await expect.poll(names, { timeout: WAIT }).toEqual(["room", "Bruno"]);
    await box.pressSequentially("u");
    await expect.poll(names, { timeout: WAIT }).toEqual(["Bruno"]);
    await box.press("Backspace");
    await box.press("ArrowDown");
    await expect.poll(() => picker.getByRole("option", { selected: true }).locator("bdi").textContent()).toBe("Bruno");
    await box.press("Enter");
    await picker.waitFor({ state: "detached", timeout: WAIT });
    await expect.poll(() => box.inputValue()).toBe("Dinner? @Bruno ");
    await box.pressSequentially("at eight");
    await box.press("Enter");
    // Alice sees a chip too, not highlighted for her.
    const sent = log(alice.page).locator(".msg", { hasText: "at eight" });
    await sent.locator(".mention", { hasText: "@Bruno" }).waitFor({ timeout: WAIT });
    expect(await sent.evaluate((e) => e.classList.contains("mentioned"))).toBe(false);

    // Bruno, looking at another room: the @ badge beside the unread count.
    const plans = conversation(bruno.page, "Plans");
    await plans.locator(".mention-badge").waitFor({ timeout: WAIT });
    await expect.poll(() => plans.locator(".badge").allTextContents()).toEqual(["@ 1 mention", "1 unread"]);

    await plans.click();
    await bruno.page.waitForURL(roomUrl, { timeout: WAIT });
    const mine = log(bruno.page).locator(".msg.mentioned", { hasText: "at eight" });
    await mine.waitFor({ timeout: WAIT });
    await expect.poll(() => mine.locator(".mention.me").textContent()).toBe("@Bruno");
    await plans.locator(".badge").first().waitFor({ state: "detached", timeout: WAIT });

    // A click chooses too.
    await box.pressSequentially("Thanks @B");
    await picker.getByRole("option").filter({ hasText: "Bruno" }).click();
    await expect.poll(() => box.inputValue()).toBe("Thanks @Bruno ");

    // Editing keeps the mention: ↑ shows it as @Bruno in the composer, and the saved text is a chip again.
    await box.fill("");
    await box.press("ArrowUp");
    await expect.poll(() => box.inputValue()).toBe("Dinner? @Bruno at eight");
    await box.fill("Dinner? @Bruno at nine");
    await box.press("Enter");
    const edited = log(bruno.page).locator(".msg.mentioned", { hasText: "at nine" });
    await edited.locator(".mention.me", { hasText: "@Bruno" }).waitFor({ timeout: WAIT });
    await edited.locator(".edited-mark").waitFor({ timeout: WAIT });

    // After a reload it is still a chip (the ids came back with the history), and no badge returns.
    await bruno.page.reload();
    await log(bruno.page).locator(".msg.mentioned .mention.me", { hasText: "@Bruno" }).waitFor({ timeout: WAIT });
    expect(await conversation(bruno.page, "Plans").locator(".badge").count()).toBe(0);
  });
});
