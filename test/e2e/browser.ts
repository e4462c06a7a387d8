/**
 * Shared setup for the browser tests: one `wrangler dev` (or E2E_BASE_URL) and one
 * Chromium per test file, guests as separate browser contexts, and locators by role.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import {
  CHROMIUM_ARGS,
  PROJECT_ROOT,
  findChromium,
  startDev,
  type DevServer,
  type StartDevOptions,
} from "../support/wrangler-dev.mjs";

/** Bound on every wait for something to show up. */
export const WAIT = 15_000;
export const SHOTS = path.join(PROJECT_ROOT, "test-results", "e2e");

export const executablePath = findChromium();
/** No browser and not in CI: skip (with a notice). In CI a missing browser fails in setup(). */
export const skipBrowser = executablePath === null && !process.env.CI;
if (skipBrowser) console.warn("browser tests skipped: chromium not found at /usr/bin/chromium (apt-get install -y chromium)");

const consoles = new WeakMap<Page, string[]>();
/** The page's last console lines (for failure messages). */
export const consoleOf = (p: Page): readonly string[] => consoles.get(p) ?? [];

export interface Guest {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors, CSP violations and dialogs (an alert would mean script injection). */
  problems: string[];
}

export interface Session {
  base: string;
  guest(): Promise<Guest>;
  guests: Guest[];
  close(): Promise<void>;
}

export interface SetupOptions extends StartDevOptions {
  /** Extra Chromium switches, e.g. FAKE_MEDIA for calls. */
  chromiumArgs?: readonly string[];
}

/**
 * Chromium's fake camera (a moving test pattern), microphone (a beep) and screen, with
 * every permission prompt answered "allow": calls work headless and unattended.
 */
export const FAKE_MEDIA = Object.freeze([
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--auto-select-desktop-capture-source=Entire screen",
  // A background context still renders and decodes video on time.
  "--disable-renderer-backgrounding",
  "--disable-background-timer-throttling",
  "--disable-backgrounding-occluded-windows",
]);

export async function setup(options: SetupOptions = {}): Promise<Session> {
  const { chromiumArgs = [], ...devOptions } = options;
  if (!executablePath) {
    throw new Error(
      "chromium not found at /usr/bin/chromium (or $CHROMIUM_PATH), and CI is set: browser tests must run in CI. Install it: apt-get install -y chromium",
    );
  }
  mkdirSync(SHOTS, { recursive: true });
  let server: DevServer | null = null;
  let browser: Browser | null = null;
  const guests: Guest[] = [];
  const close = async () => {
    for (const g of guests) await g.context.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
  };
  try {
    const external = process.env.E2E_BASE_URL?.replace(/\/$/, "");
    if (!external) server = await startDev(devOptions);
    const base = external ?? server!.url;
    browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...chromiumArgs], timeout: 60_000 });
    const b = browser;
    return {
      base,
      guests,
      close,
      async guest() {
        const context = await b.newContext({ viewport: { width: 1280, height: 800 } });
        // Every action and navigation is bounded too, not only the explicit waits.
        context.setDefaultTimeout(WAIT);
        context.setDefaultNavigationTimeout(WAIT);
        const page = await context.newPage();
        const g: Guest = { context, page, problems: [] };
        page.on("pageerror", (e) => g.problems.push(`pageerror: ${e.message}`));
        const lines: string[] = [];
        consoles.set(page, lines);
        page.on("console", (m) => {
          if (/Content.Security.Policy/i.test(m.text())) g.problems.push(`csp: ${m.text()}`);
          lines.push(`${m.type()}: ${m.text()}`);
          if (lines.length > 300) lines.shift();
        });
        page.on("dialog", (d) => {
          g.problems.push(`dialog: ${d.message()}`);
          void d.dismiss();
        });
        guests.push(g);
        return g;
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}

export const log = (p: Page) => p.getByRole("log", { name: "Messages" });
export const messageTexts = (p: Page) => log(p).locator(".msg .text").allTextContents();
export const messageSeqs = (p: Page) =>
  log(p)
    .locator(".msg")
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
/** The connection indicator, when it reads `label` (a regex source). */
export const connection = (p: Page, label: string) => p.getByRole("status").filter({ hasText: new RegExp(`^${label}`) });
export const composer = (p: Page) => p.getByRole("textbox", { name: "Message" });
export const member = (p: Page, name: string) =>
  p.getByRole("list", { name: "Members" }).getByRole("listitem").filter({ hasText: name });

export async function send(p: Page, text: string) {
  await composer(p).fill(text);
  await composer(p).press("Enter");
}

/** The sidebar's list of conversations. */
export const conversations = (p: Page) => p.getByRole("navigation", { name: "Conversations" });
/** One conversation in the sidebar, by its name (the room's, or the other person's for a DM). */
export const conversation = (p: Page, name: string) =>
  conversations(p).getByRole("link").filter({ has: p.locator(".conv-name", { hasText: new RegExp(`^${name}$`) }) });

/** On the signed-out screen (or the join page): pick a tab of the sign-in card. */
export async function authTab(p: Page, tab: "Log in" | "Sign up" | "Guest") {
  await p.getByRole("tab", { name: tab }).click();
}

/** A person without a session continues as a guest named `name` (home page unless `url`). */
export async function continueAsGuest(g: Guest, base: string, name: string, url = base + "/"): Promise<void> {
  await g.page.goto(url, { timeout: WAIT });
  await authTab(g.page, "Guest");
  await g.page.getByRole("textbox", { name: "Display name" }).fill(name);
  await g.page.getByRole("button", { name: "Continue as guest" }).click();
}

/** Fills and sends the sign-up form on the current page. */
export async function fillSignup(p: Page, username: string, password: string, name?: string) {
  await authTab(p, "Sign up");
  await p.getByRole("textbox", { name: "Username" }).fill(username);
  await p.getByLabel("Password").fill(password);
  if (name) await p.getByRole("textbox", { name: /Display name/ }).fill(name);
  await p.getByRole("button", { name: "Create account" }).click();
}

/** Creates a group room from the sidebar; returns its URL once the room is online. */
export async function newRoom(g: Guest, name: string, topic?: string): Promise<string> {
  const p = g.page;
  await p.getByRole("button", { name: "New room", exact: true }).click();
  const dialog = p.getByRole("dialog", { name: "New room" });
  await dialog.getByRole("textbox", { name: "Room name" }).fill(name);
  if (topic) await dialog.getByRole("textbox", { name: /Topic/ }).fill(topic);
  await dialog.getByRole("button", { name: "Create room" }).click();
  await p.waitForURL(/\/r\/[A-Za-z0-9_-]{22}$/, { timeout: WAIT });
  await connection(p, "Online").waitFor({ timeout: WAIT });
  return p.url();
}

/** A guest named `name` creates a room; returns the room's URL. */
export async function createRoom(g: Guest, base: string, name: string): Promise<string> {
  await continueAsGuest(g, base, name);
  return newRoom(g, `${name}'s room`);
}

/** Clicks "Copy invite link" in the open room and returns what landed on the clipboard. */
export async function copyInvite(g: Guest, base: string): Promise<string> {
  await g.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  await g.page.getByRole("button", { name: "Copy invite link" }).click();
  await g.page.getByRole("button", { name: "Copied" }).waitFor({ timeout: WAIT });
  const url = await g.page.evaluate(() => navigator.clipboard.readText());
  // Back to the idle label, so a later copy can be told apart.
  await g.page.getByRole("button", { name: "Copy invite link" }).waitFor({ timeout: WAIT });
  return url;
}

/** A person without a session opens an invite link and joins as a guest named `name`. */
export async function joinByLink(g: Guest, inviteUrl: string, name: string): Promise<void> {
  await g.page.goto(inviteUrl, { timeout: WAIT });
  await g.page.getByRole("heading", { level: 1 }).waitFor({ timeout: WAIT });
  await authTab(g.page, "Guest");
  await g.page.getByRole("textbox", { name: "Display name" }).fill(name);
  await g.page.getByRole("button", { name: "Continue as guest" }).click();
  await g.page.waitForURL(/\/r\/[A-Za-z0-9_-]{22}$/, { timeout: WAIT });
  await connection(g.page, "Online").waitFor({ timeout: WAIT });
}
