/**
 * Replies, edits and "Mark as unread" as people use them: Alice answers a message of Bob's
 * that is far back by the time Bob reads the answer, and Bob's click on the quote loads the
 * older history and shows the original; Alice fixes a typo with ↑ and Bob sees "(edited)",
 * live and after a reload; Bob marks a message unread and the badge and the line come back.
 */
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { WAIT, composer, conversation, log, messageTexts, newRoom, say, seed, send, shoot, skipBrowser, twoInARoom, useSession } from "./browser";

/** The message row showing `text`. */
const row = (p: Page, text: string) => log(p).locator(".msg").filter({ has: p.locator(".text", { hasText: new RegExp(`^${text}$`) }) });

/** Whether `text`'s row is inside the visible part of the list. */
const inView = (p: Page, text: string) =>
  log(p).evaluate((el, text) => {
    const r = [...el.querySelectorAll(".msg")].find((m) => m.querySelector(".text")?.textContent === text);
    if (!r) return false;
    const box = el.getBoundingClientRect();
    const b = r.getBoundingClientRect();
    return b.top >= box.top && b.bottom <= box.bottom;
  }, text);

describe.skipIf(skipBrowser)("replies, edits and mark as unread", () => {
  // Seeding many messages quickly needs looser message budgets than production's.
  const s = useSession({ vars: { MSG_RATE_PER_SEC: "1000", MSG_BURST: "1000", ROOM_MSG_RATE_PER_SEC: "1000", ROOM_MSG_BURST: "1000" } });

  it("Alice replies to Bob's message; Bob clicks the quote and the original, in older history, comes into view", async () => {
    const { alice, bob, roomUrl } = await twoInARoom(s, { room: "Questions" });
    await say(bob, "Where do we meet on Friday?", alice);
    await row(alice.page, "Where do we meet on Friday\\?").hover();
    await row(alice.page, "Where do we meet on Friday\\?").getByRole("button", { name: "Reply" }).click();
    const strip = alice.page.locator(".compose-strip");
    await strip.getByText("Where do we meet on Friday?").waitFor({ timeout: WAIT });
    await shoot(alice.page, "reply-strip");
    // The conversation goes on before she answers: the question ends up pages back.
    const roomId = roomUrl.split("/r/")[1]!;
    expect(await seed(alice.page, roomId, 1, 80, (i) => `Chatter ${i}`)).toBe(80);
    await send(alice.page, "At the station, 8 pm");
    await expect.poll(() => messageTexts(alice.page), { timeout: WAIT }).toContain("At the station, 8 pm");
    await strip.waitFor({ state: "detached", timeout: WAIT });

    // Bob comes back later: only the latest page is loaded, the question is not.
    await bob.page.reload();
    const answer = row(bob.page, "At the station, 8 pm");
    await answer.waitFor({ timeout: WAIT });
    expect(await messageTexts(bob.page)).not.toContain("Where do we meet on Friday?");
    const quote = answer.locator(".reply-quote");
    expect(await quote.textContent()).toBe("BobWhere do we meet on Friday?");
    await quote.click();
    await log(bob.page).locator(".msg.focused").filter({ hasText: "Where do we meet on Friday?" }).waitFor({ timeout: WAIT });
    expect(await inView(bob.page, "Where do we meet on Friday?")).toBe(true);
    await shoot(bob.page, "reply-revealed", [[1280, 800]]);
    await log(bob.page).evaluate((el) => (el.scrollTop = el.scrollHeight));
    await shoot(bob.page, "reply-quote");
    for (const g of [alice, bob]) expect(g.problems).toEqual([]);
  });

  it("Alice edits her last message with ↑; Bob sees it changed and (edited), live and after a reload", async () => {
    const { alice, bob } = await twoInARoom(s, { room: "Typos" });
    await say(alice, "See you tomorow", bob);
    await composer(alice.page).click();
    await composer(alice.page).press("ArrowUp");
    await expect.poll(() => composer(alice.page).inputValue(), { timeout: WAIT }).toBe("See you tomorow");
    await composer(alice.page).fill("See you tomorrow");
    await composer(alice.page).press("Enter");
    const edited = row(bob.page, "See you tomorrow");
    await edited.getByText("(edited)").waitFor({ timeout: WAIT });
    // Alice's own draft is back to empty, and she sees the edit too.
    await row(alice.page, "See you tomorrow").getByText("(edited)").waitFor({ timeout: WAIT });
    await expect.poll(() => composer(alice.page).inputValue(), { timeout: WAIT }).toBe("");
    await bob.page.reload();
    await row(bob.page, "See you tomorrow").getByText("(edited)").waitFor({ timeout: WAIT });
    expect(await messageTexts(bob.page)).not.toContain("See you tomorow");
    // Esc cancels an edit and leaves the message as it is.
    await composer(alice.page).press("ArrowUp");
    await expect.poll(() => composer(alice.page).inputValue(), { timeout: WAIT }).toBe("See you tomorrow");
    await composer(alice.page).fill("something else");
    await composer(alice.page).press("Escape");
    await expect.poll(() => composer(alice.page).inputValue(), { timeout: WAIT }).toBe("");
    expect(await messageTexts(alice.page)).toContain("See you tomorrow");
    for (const g of [alice, bob]) expect(g.problems).toEqual([]);
  });

  it("Bob marks a message unread: the New messages line comes back above it, and the badge when he looks elsewhere", async () => {
    const { alice, bob } = await twoInARoom(s, { room: "Plans" });
    for (const t of ["First point", "Second point", "Third point"]) await say(alice, t, bob);
    const second = row(bob.page, "Second point");
    await second.hover();
    await second.getByRole("button", { name: "More actions" }).click();
    await bob.page.getByRole("menuitem", { name: "Mark as unread" }).click();
    const line = log(bob.page).getByRole("separator", { name: "New messages" });
    await line.waitFor({ timeout: WAIT });
    // The line sits right above "Second point".
    const next = await line.evaluate((el) => el.nextElementSibling?.querySelector(".text")?.textContent);
    expect(next).toBe("Second point");
    await newRoom(bob, "Elsewhere");
    await conversation(bob.page, "Plans").filter({ hasText: "2 unread" }).waitFor({ timeout: WAIT });
    // Back in the room: it opens on the line, and reading it clears the badge.
    await conversation(bob.page, "Plans").click();
    await log(bob.page).getByRole("separator", { name: "New messages" }).waitFor({ timeout: WAIT });
    await conversation(bob.page, "Plans").locator(".badge").waitFor({ state: "detached", timeout: WAIT });
    for (const g of [alice, bob]) expect(g.problems).toEqual([]);
  });
});
