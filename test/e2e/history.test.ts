/**
 * A long room in the browser: the latest page arrives over the socket, older pages load
 * over HTTP as the reader scrolls up (without moving what they look at), and new
 * messages never yank a reader who scrolled up: a pill offers them instead.
 */
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { DEFAULT_PAGE } from "../../worker/protocol";
import { WAIT, conversation, copyInvite, createRoom, joinByLink, log, messageSeqs, messageTexts, newRoom, seed, send, skipBrowser, useSession } from "./browser";

const TOTAL = 120;

/** Where the reader is: the first message row visible at the top of the list, and its offset. */
function topVisible(p: Page) {
  return log(p).evaluate((el) => {
    const top = el.getBoundingClientRect().top;
    const row = [...el.querySelectorAll(".msg")].find((m) => m.getBoundingClientRect().bottom > top + 1);
    return { text: row?.querySelector(".text")?.textContent, offset: Math.round((row?.getBoundingClientRect().top ?? 0) - top) };
  });
}

/** Offset of the message row showing `text` from the top of the list's viewport. */
function offsetOf(p: Page, text: string) {
  return log(p).evaluate((el, text) => {
    const row = [...el.querySelectorAll(".msg")].find((m) => m.querySelector(".text")?.textContent === text);
    return row ? Math.round(row.getBoundingClientRect().top - el.getBoundingClientRect().top) : null;
  }, text);
}

const distanceFromBottom = (p: Page) => log(p).evaluate((el) => Math.round(el.scrollHeight - el.scrollTop - el.clientHeight));

describe.skipIf(skipBrowser)("history in the browser", () => {
  // Seeding 120 messages quickly needs looser per-sender and per-room message budgets than production's.
  const s = useSession({ vars: { MSG_RATE_PER_SEC: "1000", MSG_BURST: "1000", ROOM_MSG_RATE_PER_SEC: "1000", ROOM_MSG_BURST: "1000" } });

  it("pages older messages on scroll-up, keeps the place, and offers new ones with a pill", async () => {
    const alice = await s.guest();
    const url = await createRoom(alice, s.base, "Alice");
    const roomId = url.split("/r/")[1]!;
    const acked = await seed(alice.page, roomId, 1, TOTAL, (i) => `Message ${i}` + (i % 9 === 0 ? "\nwith a second line" : ""));
    expect(acked).toBe(TOTAL);

    const bob = await s.guest();
    await joinByLink(bob, await copyInvite(alice, s.base), "Bob");
    const p = bob.page;
    await log(p).getByText(`Message ${TOTAL}`, { exact: true }).waitFor({ timeout: WAIT });
    expect(await messageTexts(p)).toHaveLength(DEFAULT_PAGE);
    await expect.poll(() => distanceFromBottom(p), { timeout: WAIT }).toBeLessThan(5);

    // Reading further up: a new message must not move the view.
    await log(p).evaluate((el) => (el.scrollTop = el.scrollHeight - el.clientHeight - 500));
    const before = await topVisible(p);
    await send(alice.page, "news while Bob reads");
    await p.getByRole("button", { name: "1 new message ↓" }).waitFor({ timeout: WAIT });
    expect(await topVisible(p)).toEqual(before);
    await p.getByRole("button", { name: "1 new message ↓" }).click();
    await expect.poll(() => distanceFromBottom(p), { timeout: WAIT }).toBeLessThan(5);

    // Scroll to the top: an older page loads above, and the row the reader looked at stays put.
    const atTop = await log(p).evaluate((el) => {
      el.scrollTop = 0;
      const top = el.getBoundingClientRect().top;
      const row = [...el.querySelectorAll(".msg")].find((m) => m.getBoundingClientRect().bottom > top + 1);
      return { text: row?.querySelector(".text")?.textContent, offset: Math.round((row?.getBoundingClientRect().top ?? 0) - top) };
    });
    await expect.poll(async () => (await messageTexts(p)).length, { timeout: WAIT }).toBeGreaterThan(DEFAULT_PAGE + 1);
    expect(atTop.text).toBe(`Message ${TOTAL - DEFAULT_PAGE + 1}`);
    const after = await offsetOf(p, atTop.text!);
    expect(Math.abs(after! - atTop.offset)).toBeLessThanOrEqual(2);

    // Keep going up until the beginning of the room.
    await expect
      .poll(
        async () => {
          await log(p).evaluate((el) => (el.scrollTop = 0));
          return log(p).getByText(/^This is the start of/).count();
        },
        { timeout: WAIT, interval: 300 },
      )
      .toBe(1);
    const texts = await messageTexts(p);
    expect(texts).toHaveLength(TOTAL + 1);
    expect(texts[0]).toBe("Message 1");
    expect(texts.at(-1)).toBe("news while Bob reads");
    const seqs = await messageSeqs(p);
    expect(seqs).toEqual(Array.from({ length: TOTAL + 1 }, (_, i) => i + 1));

    for (const g of s.guests) expect(g.problems).toEqual([]);
  });

  it("opens a room with 60 unread on the New messages line, loading back to it; pills jump to the latest and back to the line", async () => {
    const alice = await s.guest();
    const url = await createRoom(alice, s.base, "Plans");
    const roomId = url.split("/r/")[1]!;
    const bob = await s.guest();
    await joinByLink(bob, await copyInvite(alice, s.base), "Bob");
    expect(await seed(alice.page, roomId, 1, 5, (i) => `Read ${i}`)).toBe(5);
    await log(bob.page).getByText("Read 5", { exact: true }).waitFor({ timeout: WAIT });
    await bob.page.waitForTimeout(1500); // his read position is posted debounced
    await newRoom(bob, "Elsewhere");

    expect(await seed(alice.page, roomId, 6, 65, (i) => `Unread ${i - 5}`)).toBe(60);
    // Bob's badge counts what is after his read position (the last message he saw, or the
    // one after it if it reached his screen as he left).
    const plans = conversation(bob.page, "Plans's room");
    const badge = async () => Number.parseInt((await plans.locator(".badge").textContent({ timeout: WAIT })) ?? "0", 10);
    await expect.poll(badge, { timeout: WAIT }).toBeGreaterThanOrEqual(59);
    const unread = await badge();
    await plans.click();
    const p = bob.page;
    const line = log(p).getByRole("separator", { name: "New messages" });
    await line.waitFor({ timeout: WAIT });
    // The line is at the top of the view, the first unread message right under it (more than
    // the first page back: loaded to get there), the last one read right above; the newest
    // is below the screen.
    const placed = await log(p).evaluate((el) => {
      const l = el.querySelector(".unread-line")!;
      const next = l.nextElementSibling?.querySelector(".text")?.textContent;
      const prev = [...el.querySelectorAll(".msg")].filter((m) => m.compareDocumentPosition(l) & Node.DOCUMENT_POSITION_FOLLOWING).at(-1);
      return { top: Math.round(l.getBoundingClientRect().top - el.getBoundingClientRect().top), next, prev: prev?.querySelector(".text")?.textContent };
    });
    const firstUnread = 65 - unread + 1;
    const label = (seq: number) => (seq <= 5 ? `Read ${seq}` : `Unread ${seq - 5}`);
    expect(placed).toEqual({ top: expect.any(Number), next: label(firstUnread), prev: label(firstUnread - 1) });
    expect(placed.top).toBeGreaterThanOrEqual(0);
    expect(placed.top).toBeLessThan(40);
    expect(await distanceFromBottom(p)).toBeGreaterThan(100);
    // A pill jumps to the newest; the line is then above the screen, and a bar brings it back.
    await p.getByRole("button", { name: "Jump to latest ↓" }).click();
    await expect.poll(() => distanceFromBottom(p), { timeout: WAIT }).toBeLessThan(5);
    await p.getByRole("button", { name: "Jump to latest ↓" }).waitFor({ state: "detached", timeout: WAIT });
    const bar = p.getByRole("button", { name: "Jump to first unread ↑" });
    await bar.waitFor({ timeout: WAIT });
    await bar.click();
    await expect.poll(() => log(p).evaluate((el) => Math.round(el.querySelector(".unread-line")!.getBoundingClientRect().top - el.getBoundingClientRect().top)), { timeout: WAIT }).toBeLessThan(40);
    for (const g of s.guests) expect(g.problems).toEqual([]);
  });
});
