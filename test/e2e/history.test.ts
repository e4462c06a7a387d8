/**
 * A long room in the browser: the latest page arrives over the socket, older pages load
 * over HTTP as the reader scrolls up (without moving what they look at), and new
 * messages never yank a reader who scrolled up: a pill offers them instead.
 */
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { DEFAULT_PAGE } from "../../worker/protocol";
import { WAIT, copyInvite, createRoom, joinByLink, log, messageSeqs, messageTexts, send, skipBrowser, useSession } from "./browser";

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
    // Seed through a raw socket on Alice's session, in bursts under the room's frame limit.
    const acked = await alice.page.evaluate(
      async ({ roomId, total }) => {
        const ws = new WebSocket(`ws://${location.host}/api/rooms/${roomId}/ws?v=1`);
        await new Promise((r, j) => ((ws.onopen = r), (ws.onerror = j)));
        let acks = 0;
        let wake = () => {};
        ws.onmessage = (e) => {
          if (JSON.parse(String(e.data)).type === "ack") acks++;
          wake();
        };
        for (let i = 1; i <= total; i++) {
          ws.send(JSON.stringify({ type: "send", cid: `seed-${i}`, text: `Message ${i}` + (i % 9 === 0 ? "\nwith a second line" : "") }));
          if (i % 30 === 0 || i === total) {
            const deadline = Date.now() + 10_000;
            while (acks < i && Date.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
            await new Promise((r) => setTimeout(r, 700));
          }
        }
        ws.close();
        return acks;
      },
      { roomId, total: TOTAL },
    );
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
});
