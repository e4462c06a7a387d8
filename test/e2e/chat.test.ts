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
import { mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM_ARGS, PROJECT_ROOT, findChromium, startDev, type DevServer } from "../support/wrangler-dev.mjs";

/** Bound on every wait for something to show up. */
const WAIT = 15_000;
const SHOTS = path.join(PROJECT_ROOT, "test-results", "e2e");

const executablePath = findChromium();
const skip = executablePath === null && !process.env.CI;
if (skip) console.warn("browser tests skipped: chromium not found at /usr/bin/chromium (apt-get install -y chromium)");

interface Guest {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors, CSP violations and dialogs (an alert would mean script injection). */
  problems: string[];
}

const log = (p: Page) => p.getByRole("log", { name: "Messages" });
const messageTexts = (p: Page) => log(p).locator(".msg .text").allTextContents();
const messageSeqs = (p: Page) =>
  log(p)
    .locator(".msg")
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
/** The connection indicator, when it reads `label`. */
const connection = (p: Page, label: string) => p.getByRole("status").filter({ hasText: new RegExp(`^${label}`) });
const composer = (p: Page) => p.getByRole("textbox", { name: "Message" });
const member = (p: Page, name: string) =>
  p.getByRole("list", { name: "Members" }).getByRole("listitem").filter({ hasText: name });

async function send(p: Page, text: string) {
  await composer(p).fill(text);
  await composer(p).press("Enter");
}

describe.skipIf(skip)("chat in the browser", () => {
  let server: DevServer | null = null;
  let base = "";
  let browser: Browser | null = null;
  const guests: Guest[] = [];

  async function guest(): Promise<Guest> {
    if (!browser) throw new Error("no browser");
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const g: Guest = { context, page, problems: [] };
    page.on("pageerror", (e) => g.problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (/Content.Security.Policy/i.test(m.text())) g.problems.push(`csp: ${m.text()}`);
    });
    page.on("dialog", (d) => {
      g.problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    guests.push(g);
    return g;
  }

  beforeAll(async () => {
    if (!executablePath) {
      throw new Error(
        "chromium not found at /usr/bin/chromium (or $CHROMIUM_PATH), and CI is set: browser tests must run in CI. Install it: apt-get install -y chromium",
      );
    }
    mkdirSync(SHOTS, { recursive: true });
    if (process.env.E2E_BASE_URL) base = process.env.E2E_BASE_URL.replace(/\/$/, "");
    else {
      server = await startDev();
      base = server.url;
    }
    browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], timeout: 60_000 });
  });

  afterAll(async () => {
    for (const g of guests) await g.context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  let alice: Guest;
  let bob: Guest;
  let roomUrl = "";

  it("Alice creates a room and Bob joins by its link; both see each other online", async () => {
    alice = await guest();
    await alice.page.goto(base + "/", { timeout: WAIT });
    await alice.page.getByRole("textbox", { name: "Display name" }).fill("Alice");
    await alice.page.getByRole("button", { name: "New room" }).click();
    await alice.page.waitForURL(/\/r\/[A-Za-z0-9_-]{22}$/, { timeout: WAIT });
    await connection(alice.page, "Online").waitFor({ timeout: WAIT });
    roomUrl = alice.page.url();
    await alice.page.getByText("No messages yet").waitFor({ timeout: WAIT });

    await alice.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    await alice.page.getByRole("button", { name: "Copy link" }).click();
    await alice.page.getByRole("button", { name: "Copied" }).waitFor({ timeout: WAIT });
    expect(await alice.page.evaluate(() => navigator.clipboard.readText())).toBe(roomUrl);

    bob = await guest();
    await bob.page.goto(roomUrl, { timeout: WAIT });
    await bob.page.getByRole("textbox", { name: "Display name" }).fill("Bob");
    await bob.page.getByRole("button", { name: "Join room" }).click();
    await connection(bob.page, "Online").waitFor({ timeout: WAIT });

    for (const [p, other] of [
      [alice.page, "Bob"],
      [bob.page, "Alice"],
    ] as const) {
      await member(p, other).filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
      await member(p, "(you)").filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
    }
  });

  it("Bob sees Alice typing, then her message with sender and time", async () => {
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
    await send(bob.page, "Hi Alice");
    await log(alice.page).getByText("Hi Alice", { exact: true }).waitFor({ timeout: WAIT });

    const evil = "<img src=x onerror=alert(1)>";
    await send(alice.page, evil);
    await log(bob.page).getByText(evil, { exact: true }).waitFor({ timeout: WAIT });
    expect(await log(bob.page).locator("img").count()).toBe(0);
    expect(await messageTexts(bob.page)).toEqual(["Hello Bob", "Hi Alice", evil]);
  });

  it("Bob reloads and sees the history", async () => {
    await bob.page.reload({ timeout: WAIT });
    await connection(bob.page, "Online").waitFor({ timeout: WAIT });
    await expect
      .poll(() => messageTexts(bob.page), { timeout: WAIT })
      .toEqual(["Hello Bob", "Hi Alice", "<img src=x onerror=alert(1)>"]);
  });

  it("messages Bob sends while offline are delivered once, in order, when he is back", async () => {
    await bob.context.setOffline(true);
    await connection(bob.page, "(Offline|Reconnecting)").waitFor({ timeout: WAIT });

    await send(bob.page, "sent offline 1");
    await send(bob.page, "sent offline 2");
    await expect.poll(() => log(bob.page).locator(".msg.sending").count(), { timeout: WAIT }).toBe(2);
    await bob.page.getByText("You're offline.").waitFor({ timeout: WAIT });
    expect(await messageTexts(alice.page)).not.toContain("sent offline 1");

    await bob.context.setOffline(false);
    await connection(bob.page, "Online").waitFor({ timeout: WAIT });

    const expected = ["Hello Bob", "Hi Alice", "<img src=x onerror=alert(1)>", "sent offline 1", "sent offline 2"];
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
    await bob.page.goto(`${base}/r/AAAAAAAAAAAAAAAAAAAAAA`, { timeout: WAIT });
    await bob.page.getByRole("heading", { name: "Room not found" }).waitFor({ timeout: WAIT });
    await bob.page.getByRole("link", { name: "Go home" }).click();
    await bob.page.getByRole("button", { name: "New room" }).waitFor({ timeout: WAIT });
  });

  it("had no script errors, CSP violations or dialogs", () => {
    for (const g of guests) expect(g.problems).toEqual([]);
  });
});
