/**
 * Search in the browser: Ctrl+K opens the switcher; a word from a message far back in another
 * room finds it (room, author, highlighted words); Enter opens that room at the message,
 * loading the history around it, and highlights it; "Jump to latest" goes back to the end.
 */
import { describe, expect, it } from "vitest";
import { WAIT, copyInvite, createRoom, joinByLink, log, messageTexts, newRoom, seed, shoot, skipBrowser, useSession } from "./browser";

const TOTAL = 120;
const TARGET = 10;
const WORD = "marmalade";

describe.skipIf(skipBrowser)("search in the browser", () => {
  // Seeding 120 messages quickly needs looser per-sender and per-room message budgets than production's.
  const s = useSession({ vars: { MSG_RATE_PER_SEC: "1000", MSG_BURST: "1000", ROOM_MSG_RATE_PER_SEC: "1000", ROOM_MSG_BURST: "1000" } });

  it("finds a message far back in another room and opens it there, highlighted", async () => {
    const alice = await s.guest();
    const url = await createRoom(alice, s.base, "Alice");
    const roomId = url.split("/r/")[1]!;
    const text = (i: number) => (i === TARGET ? `The ${WORD} recipe is in the shared folder` : `Message ${i}`);
    expect(await seed(alice.page, roomId, 1, TOTAL, text)).toBe(TOTAL);

    const bob = await s.guest();
    await joinByLink(bob, await copyInvite(alice, s.base), "Bob");
    await newRoom(bob, "Elsewhere");
    const p = bob.page;
    // The room flushes to D1 a moment after the messages (the search reads D1).
    await expect
      .poll(() => p.evaluate(async (w) => ((await (await fetch(`/api/search?q=${w}`)).json()) as { results: unknown[] }).results.length, WORD), { timeout: WAIT })
      .toBe(1);

    await p.keyboard.press("Control+k");
    const input = p.getByRole("searchbox", { name: "Search conversations and messages" });
    await input.waitFor({ timeout: WAIT });
    await input.fill(`recipe ${WORD.slice(0, 5)}`);
    const result = p.getByRole("option").filter({ hasText: "shared folder" });
    await result.waitFor({ timeout: WAIT });
    await expect.poll(() => result.locator(".switcher-room").textContent()).toBe("Alice's room");
    expect(await result.locator("mark").allTextContents()).toEqual([WORD, "recipe"]);
    expect(await p.getByRole("option").count()).toBe(1);
    await shoot(p, "search-switcher");
    // Conversations by name too: "Else" lists Bob's other room.
    await input.fill("Else");
    await p.getByRole("option").filter({ hasText: "Elsewhere" }).waitFor({ timeout: WAIT });
    await input.fill(`recipe ${WORD.slice(0, 5)}`);
    await result.waitFor({ timeout: WAIT });
    await input.press("Enter");

    await p.waitForURL(`**/r/${roomId}`, { timeout: WAIT });
    const target = log(p).locator(".msg").filter({ hasText: `The ${WORD} recipe` });
    await target.waitFor({ timeout: WAIT });
    // Highlighted, on screen, with the history around it (not the latest page).
    await expect.poll(() => target.evaluate((el) => el.classList.contains("focused")), { timeout: WAIT }).toBe(true);
    await shoot(p, "search-opened", [[1280, 800]]);
    const inView = await log(p).evaluate((el, w) => {
      const row = [...el.querySelectorAll(".msg")].find((m) => m.textContent?.includes(w))!;
      const box = el.getBoundingClientRect();
      const r = row.getBoundingClientRect();
      return r.top >= box.top && r.bottom <= box.bottom;
    }, WORD);
    expect(inView).toBe(true);
    const texts = await messageTexts(p);
    expect(texts).toContain("Message 1");
    expect(texts).not.toContain(`Message ${TOTAL}`);

    // Back to the newest messages.
    await p.getByRole("button", { name: "Jump to latest ↓" }).click();
    await log(p).getByText(`Message ${TOTAL}`, { exact: true }).waitFor({ timeout: WAIT });
    expect(await messageTexts(p)).not.toContain("Message 1");
    for (const g of s.guests) expect(g.problems).toEqual([]);
  });
});
