/**
 * Shared setup for the browser tests: one `wrangler dev` (or E2E_BASE_URL) and one
 * Chromium per test file, guests as separate browser contexts, and locators by role.
 *
 * Tests share the server and the browser, nothing else: each `it` makes its own people,
 * rooms and messages with the fixtures at the end of this file (`person`, `twoInARoom`,
 * `say`), so any one of them runs alone (`-t "…"`) and in any order.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
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
        // Each person comes from an address of their own, as in life: the Worker's per-address
        // limits (guest sessions, sign-ups, logins) read it from CF-Connecting-IP, which
        // wrangler dev passes through.
        const context = await b.newContext({ viewport: { width: 1280, height: 800 }, extraHTTPHeaders: { "cf-connecting-ip": nextAddress() } });
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

let addresses = 0;
/** A loopback-test client address no other person in this run uses (198.18.0.0/15, for benchmarks and tests). */
const nextAddress = () => `198.18.${Math.floor(addresses / 250) % 250}.${(addresses++ % 250) + 1}`;

/**
 * One server and one browser for the enclosing `describe` (they take seconds to start),
 * with hooks registered for it. After each test, the guests it made are checked for script
 * errors, CSP violations and dialogs, then their browser contexts are closed.
 */
export function useSession(options: SetupOptions | (() => SetupOptions) = {}): Session {
  let session: Session | null = null;
  let checked = 0;
  beforeAll(async () => {
    // A function is read when the session starts: after the file's earlier beforeAll hooks
    // (e.g. a TURN server whose port goes into `vars`).
    session = await setup(typeof options === "function" ? options() : options);
  });
  afterEach(async () => {
    if (!session) return;
    const made = session.guests.slice(checked);
    checked = session.guests.length;
    for (const g of made) await g.context.close().catch(() => {});
    for (const g of made) expect(g.problems, "script errors, CSP violations or dialogs").toEqual([]);
  });
  afterAll(async () => {
    await session?.close();
  });
  const live = () => {
    if (!session) throw new Error("no session: setup() failed in beforeAll");
    return session;
  };
  return {
    get base() {
      return live().base;
    },
    get guests() {
      return live().guests;
    },
    guest: () => live().guest(),
    close: () => live().close(),
  };
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
  const before = p.url();
  await p.getByRole("button", { name: "New room", exact: true }).click();
  const dialog = p.getByRole("dialog", { name: "New room" });
  await dialog.getByRole("textbox", { name: "Room name" }).fill(name);
  if (topic) await dialog.getByRole("textbox", { name: /Topic/ }).fill(topic);
  await dialog.getByRole("button", { name: "Create room" }).click();
  // The new room's URL, not the one of a room already open.
  await p.waitForURL((u) => u.href !== before && /^\/r\/[A-Za-z0-9_-]{22}$/.test(u.pathname), { timeout: WAIT });
  await connection(p, "Connected").waitFor({ timeout: WAIT });
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
  // The click waits for the idle label: a copy made just before (still "Copied", for 2 s)
  // is told apart from this one without every copy waiting those 2 s out.
  await g.page.getByRole("button", { name: "Copy invite link" }).click();
  await g.page.getByRole("button", { name: "Copied" }).waitFor({ timeout: WAIT });
  return g.page.evaluate(() => navigator.clipboard.readText());
}

/** A person without a session opens an invite link and joins as a guest named `name`. */
export async function joinByLink(g: Guest, inviteUrl: string, name: string): Promise<void> {
  await g.page.goto(inviteUrl, { timeout: WAIT });
  await g.page.getByRole("heading", { level: 1 }).waitFor({ timeout: WAIT });
  await authTab(g.page, "Guest");
  await g.page.getByRole("textbox", { name: "Display name" }).fill(name);
  await g.page.getByRole("button", { name: "Continue as guest" }).click();
  await g.page.waitForURL(/\/r\/[A-Za-z0-9_-]{22}$/, { timeout: WAIT });
  await connection(g.page, "Connected").waitFor({ timeout: WAIT });
}

/**
 * Screenshots into test-results/e2e at desktop and phone sizes; nothing may scroll sideways.
 * `settle` runs after each resize, before the shot (e.g. `videosRepainted` for a call).
 */
export async function shoot(
  p: Page,
  name: string,
  sizes: [number, number][] = [[1280, 800], [360, 740]],
  opts: { settle?: (p: Page) => Promise<void> } = {},
) {
  const was = p.viewportSize();
  for (const [w, h] of sizes) {
    await p.setViewportSize({ width: w, height: h });
    await opts.settle?.(p);
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(w);
    await p.screenshot({ path: path.join(SHOTS, `${name}-${w}x${h}.png`) });
  }
  if (was) await p.setViewportSize(was);
}

// ── Fixtures: people, rooms and messages of one test ────────────────────────────────────

/** A guest, or an account with `username` and `password`, named `name`. */
export interface Person extends Guest {
  name: string;
  username: string | null;
  password: string | null;
}

let made = 0;
/**
 * A username no other test on this server has taken (`bob_1k3x`): usernames are unique
 * per server, and the tests of a file share one.
 */
export function uniqueUsername(name: string): string {
  made++;
  return `${name.toLowerCase().replace(/[^a-z0-9_]/g, "").slice(0, 12)}_${made.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Signs up on the current page (the signed-out card or a join page) as a fresh account. */
async function signUpHere(g: Guest, name: string): Promise<Person> {
  const username = uniqueUsername(name);
  const password = `${username}-password`;
  await fillSignup(g.page, username, password, name);
  return Object.assign(g, { name, username, password });
}

/**
 * Someone new, signed in on the home screen: a guest named `name`, or with `account` an
 * account (unique username, see `uniqueUsername`). Signups are limited per address (20 a
 * minute here), so a test asks for accounts only where it is about them.
 */
export async function person(s: Session, name: string, opts: { account?: boolean } = {}): Promise<Person> {
  const g = await s.guest();
  let who: Person;
  if (opts.account) {
    await g.page.goto(s.base + "/", { timeout: WAIT });
    who = await signUpHere(g, name);
  } else {
    await continueAsGuest(g, s.base, name);
    who = Object.assign(g, { name, username: null, password: null });
  }
  await g.page.getByRole("button", { name: "New room", exact: true }).waitFor({ timeout: WAIT });
  return who;
}

/** Someone new opens `invite` and joins (as a guest, or signing up with `account`); returns once online in the room. */
export async function joiner(s: Session, invite: string, name: string, opts: { account?: boolean } = {}): Promise<Person> {
  const g = await s.guest();
  if (!opts.account) {
    await joinByLink(g, invite, name);
    return Object.assign(g, { name, username: null, password: null });
  }
  await g.page.goto(invite, { timeout: WAIT });
  await g.page.getByRole("heading", { level: 1 }).waitFor({ timeout: WAIT });
  const who = await signUpHere(g, name);
  await g.page.waitForURL(/\/r\/[A-Za-z0-9_-]{22}$/, { timeout: WAIT });
  await connection(g.page, "Connected").waitFor({ timeout: WAIT });
  return who;
}

export interface TwoInARoom {
  /** Made the room (its owner); the room is open on her page. */
  alice: Person;
  /** Joined by the invite link; the room is open on his page. */
  bob: Person;
  roomUrl: string;
  invite: string;
}

/**
 * Two people in a fresh group room, each seeing the other online: the first (default
 * "Alice") creates it, the second (default "Bob") joins by its invite link. `accounts`
 * makes both sign up instead of continuing as guests.
 */
export async function twoInARoom(
  s: Session,
  opts: { names?: readonly [string, string]; accounts?: boolean; room?: string; topic?: string } = {},
): Promise<TwoInARoom> {
  const [first, second] = opts.names ?? ["Alice", "Bob"];
  const alice = await person(s, first, { account: opts.accounts });
  const roomUrl = await newRoom(alice, opts.room ?? `${first}'s room`, opts.topic);
  const invite = await copyInvite(alice, s.base);
  const bob = await joiner(s, invite, second, { account: opts.accounts });
  await member(alice.page, second).filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
  await member(bob.page, first).filter({ hasText: ", online" }).waitFor({ timeout: WAIT });
  return { alice, bob, roomUrl, invite };
}

/**
 * `from` sends `text` in the room open on their page; returns once every one of `readers`
 * shows it. Saying lines one after another this way gives them that order in the room.
 */
export async function say(from: Guest, text: string, ...readers: Guest[]): Promise<void> {
  await send(from.page, text);
  for (const r of [from, ...readers]) await expect.poll(() => messageTexts(r.page), { timeout: WAIT }).toContain(text);
}

/** `from` opens the DM with `username` from "New message"; returns its URL once online. */
export async function startDm(from: Guest, username: string): Promise<string> {
  const p = from.page;
  const before = p.url();
  await p.getByRole("button", { name: "New message" }).click();
  const dialog = p.getByRole("dialog", { name: "New message" });
  await dialog.getByRole("textbox", { name: "Username" }).fill(username);
  await dialog.getByRole("button", { name: "Start conversation" }).click();
  await p.waitForURL((u) => u.href !== before && /^\/r\/[A-Za-z0-9_-]{22}$/.test(u.pathname), { timeout: WAIT });
  await connection(p, "Connected").waitFor({ timeout: WAIT });
  return p.url();
}

/**
 * Sends messages `from`…`to` (texts by `text`) through a raw socket on the page's session, in
 * bursts under the room's frame limit; returns how many were acked.
 */
export function seed(p: Page, roomId: string, from: number, to: number, text: (i: number) => string) {
  const texts = Array.from({ length: to - from + 1 }, (_, k) => text(from + k));
  return p.evaluate(
    async ({ roomId, texts, from }) => {
      const ws = new WebSocket(`ws://${location.host}/api/rooms/${roomId}/ws?v=1`);
      await new Promise((r, j) => ((ws.onopen = r), (ws.onerror = j)));
      let acks = 0;
      let wake = () => {};
      ws.onmessage = (e) => {
        if (JSON.parse(String(e.data)).type === "ack") acks++;
        wake();
      };
      for (let k = 0; k < texts.length; k++) {
        ws.send(JSON.stringify({ type: "send", cid: `seed-${from + k}`, text: texts[k] }));
        if ((k + 1) % 30 === 0 || k === texts.length - 1) {
          const deadline = Date.now() + 10_000;
          while (acks < k + 1 && Date.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
          await new Promise((r) => setTimeout(r, 700));
        }
      }
      ws.close();
      return acks;
    },
    { roomId, texts, from },
  );
}
