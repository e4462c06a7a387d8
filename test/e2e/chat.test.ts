/**
 * What people do, in a real browser: two guests in two browser contexts (separate
 * cookie jars) chatting through the app served by `wrangler dev`.
 *
 *   npm run test:e2e
 *   E2E_BASE_URL=http://127.0.0.1:8787 npx vitest run --config test/e2e/vitest.config.ts   # against a running server
 *
 * Needs Chromium (Debian `chromium`). Without it the file is skipped with a notice,
 * except under CI, where a missing browser is a failure.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_BODY } from "../../worker/protocol";
import {
  SHOTS,
  WAIT,
  composer,
  connection,
  conversations,
  copyInvite,
  createRoom,
  joinByLink,
  log,
  member,
  messageSeqs,
  messageTexts,
  say,
  send,
  skipBrowser,
  twoInARoom,
  useSession,
} from "./browser";

const EVIL = "<img src=x onerror=alert(1)>";
const HISTORY = ["Hello Bob", "Hi Alice", EVIL, "line one\nline two"];

describe.skipIf(skipBrowser)("chat in the browser", () => {
  const s = useSession();

  /** Alice and Bob in a room that already holds HISTORY (Alice, Bob, Alice, Bob). */
  async function afterAChat() {
    const two = await twoInARoom(s);
    const { alice, bob } = two;
    for (const [from, text] of [[alice, HISTORY[0]!], [bob, HISTORY[1]!], [alice, HISTORY[2]!], [bob, HISTORY[3]!]] as const) {
      await say(from, text, from === alice ? bob : alice);
    }
    return two;
  }

  it("Alice creates a room and Bob joins by its invite link; both see each other online", async () => {
    const alice = await s.guest();
    const roomUrl = await createRoom(alice, s.base, "Alice");
    await log(alice.page).getByText("No messages yet").waitFor({ timeout: WAIT });

    const invite = await copyInvite(alice, s.base);
    expect(invite).toMatch(new RegExp(`^${s.base}/join/[A-Za-z0-9_-]{22}$`));

    const bob = await s.guest();
    await joinByLink(bob, invite, "Bob");
    expect(bob.page.url()).toBe(roomUrl);

    for (const [p, other] of [
      [alice.page, "Bob"],
      [bob.page, "Alice"],
    ] as const) {
      await member(p, other).filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
      await member(p, "(you)").filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
    }
  });

  it("Bob sees Alice typing, then her message with sender and time", async () => {
    const { alice, bob } = await twoInARoom(s);
    await composer(alice.page).pressSequentially("Hello Bob", { delay: 20 });
    await bob.page.getByRole("status").filter({ hasText: "Alice is typing…" }).waitFor({ timeout: WAIT });
    await composer(alice.page).press("Enter");

    const row = log(bob.page).locator(".msg", { hasText: "Hello Bob" });
    await row.waitFor({ timeout: WAIT });
    expect(await row.locator(".sender").textContent()).toBe("Alice");
    expect(await row.locator("time").textContent()).toMatch(/^\d\d:\d\d$/);
    expect(await row.locator("time").getAttribute("title")).toMatch(/\d{4}/);
    await log(bob.page).getByRole("separator", { name: "Today" }).waitFor({ timeout: WAIT });
    // Sending ends the typing signal.
    await expect.poll(() => bob.page.locator(".typing").textContent(), { timeout: WAIT }).toBe("");
    // Alice's own copy is confirmed (acked), not pending.
    await expect.poll(() => log(alice.page).locator(".msg.sending").count(), { timeout: WAIT }).toBe(0);
    expect(await composer(alice.page).inputValue()).toBe("");
  });

  it("Bob replies, and markup in a message shows as text", async () => {
    const { alice, bob } = await twoInARoom(s);
    await say(alice, "Hello Bob", bob);

    await send(bob.page, "Hi Alice");
    await log(alice.page).getByText("Hi Alice", { exact: true }).waitFor({ timeout: WAIT });

    await send(alice.page, EVIL);
    await log(bob.page).getByText(EVIL, { exact: true }).waitFor({ timeout: WAIT });
    expect(await log(bob.page).locator("img").count()).toBe(0);
    expect(await messageTexts(bob.page)).toEqual(["Hello Bob", "Hi Alice", EVIL]);
  });

  it("Shift+Enter breaks the line, and the composer counts down near the limit", async () => {
    const { alice, bob } = await twoInARoom(s);
    const box = composer(bob.page);
    await box.fill("line one");
    await box.press("Shift+Enter");
    await box.pressSequentially("line two");
    expect(await box.inputValue()).toBe("line one\nline two");
    await box.fill("x".repeat(MAX_BODY - 10));
    await bob.page.getByText("10 characters left").waitFor({ timeout: WAIT });
    await box.fill("x".repeat(MAX_BODY + 1));
    await bob.page.getByText(`1 character over the ${MAX_BODY} limit`).waitFor({ timeout: WAIT });
    expect(await bob.page.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await box.fill("line one\nline two");
    await box.press("Enter");
    await log(alice.page).locator(".msg .text").filter({ hasText: "line two" }).waitFor({ timeout: WAIT });
    expect((await messageTexts(alice.page)).at(-1)).toBe("line one\nline two");
  });

  it("Bob reloads and sees the history, and his unsent draft", async () => {
    const { bob } = await afterAChat();
    await composer(bob.page).fill("half-written thought");
    await bob.page.reload({ timeout: WAIT });
    await connection(bob.page, "Connected").waitFor({ timeout: WAIT });
    await expect.poll(() => messageTexts(bob.page), { timeout: WAIT }).toEqual(HISTORY);
    expect(await composer(bob.page).inputValue()).toBe("half-written thought");
    await composer(bob.page).fill("");
  });

  it("messages Bob sends while offline are delivered once, in order, when he is back", async () => {
    const { alice, bob } = await afterAChat();
    await bob.context.setOffline(true);
    await connection(bob.page, "(Offline|Reconnecting)").waitFor({ timeout: WAIT });

    await send(bob.page, "sent offline 1");
    await send(bob.page, "sent offline 2");
    await expect.poll(() => log(bob.page).locator(".msg.sending").count(), { timeout: WAIT }).toBe(2);
    await bob.page.getByText("You're offline.").waitFor({ timeout: WAIT });
    expect(await messageTexts(alice.page)).not.toContain("sent offline 1");

    await bob.context.setOffline(false);
    await connection(bob.page, "Connected").waitFor({ timeout: WAIT });

    const expected = [...HISTORY, "sent offline 1", "sent offline 2"];
    for (const p of [alice.page, bob.page]) {
      await expect.poll(() => messageTexts(p), { timeout: WAIT }).toEqual(expected);
      const seqs = await messageSeqs(p);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    }
    expect(await log(bob.page).locator(".msg.sending").count()).toBe(0);
    // Presence survived the reconnect.
    await member(alice.page, "Bob").filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
  });

  it("renders at phone and desktop sizes (screenshots in test-results/e2e)", async () => {
    const { bob } = await afterAChat();
    const p = bob.page;
    await p.setViewportSize({ width: 1280, height: 800 });
    await p.screenshot({ path: path.join(SHOTS, "room-1280x800.png") });
    await p.setViewportSize({ width: 360, height: 740 });
    // Nothing may overflow sideways on a phone.
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await p.screenshot({ path: path.join(SHOTS, "room-360x740.png") });
    // Members are collapsed behind a toggle on phones.
    await p.getByRole("button", { name: /Show members/ }).click();
    await member(p, "Alice").waitFor({ state: "visible", timeout: WAIT });
    await p.screenshot({ path: path.join(SHOTS, "room-360x740-members.png") });
    await p.keyboard.press("Escape");
    await member(p, "Alice").waitFor({ state: "hidden", timeout: WAIT });
  });

  it("an unknown room shows a clear not-found page", async () => {
    const { bob } = await twoInARoom(s);
    await bob.page.goto(`${s.base}/r/AAAAAAAAAAAAAAAAAAAAAA`, { timeout: WAIT });
    await bob.page.getByRole("heading", { name: "Room not found" }).waitFor({ timeout: WAIT });
    await bob.page.getByRole("link", { name: "Back to conversations" }).click();
    await conversations(bob.page).getByRole("link", { name: /Alice's room/ }).waitFor({ timeout: WAIT });
  });

  it("a room link is for members only: someone else is told to ask for an invite", async () => {
    const alice = await s.guest();
    const roomUrl = await createRoom(alice, s.base, "Alice");
    const carol = await s.guest();
    await carol.page.goto(roomUrl, { timeout: WAIT });
    await carol.page.getByRole("tab", { name: "Guest" }).click();
    await carol.page.getByRole("textbox", { name: "Display name" }).fill("Carol");
    await carol.page.getByRole("button", { name: "Continue as guest" }).click();
    await carol.page.getByText("You are not a member of this room; ask for an invite link.").waitFor({ timeout: WAIT });
    expect(await log(carol.page).count()).toBe(0);
  });

  it("had no script errors, CSP violations or dialogs", () => {
    for (const g of s.guests) expect(g.problems).toEqual([]);
  });
});
