/**
 * Notifications in Chromium: Bob, in another room, gets a system notification for Alice's
 * DM (the page's Notification is wrapped by an init script to record what it shows), with
 * the unread count on the tab; and with his app closed, Alice's DM goes through the whole
 * Web Push path (flush → push service, decrypted there) and, delivered to his service
 * worker over the DevTools protocol, shows a notification whose click opens the DM.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { WAIT, conversation, log, newRoom, person, say, skipBrowser, startDm, twoInARoom, useSession, type Person } from "./browser";
import { startPushService, vapidKeys, type PushService } from "../support/push-service.mjs";

/** What the test reaches in the service worker's scope (test/tsconfig has the DOM lib, not WebWorker). */
interface SwScope {
  registration: ServiceWorkerRegistration;
  dispatchEvent(e: Event): boolean;
}
declare const NotificationEvent: { new (type: string, init: { notification: Notification }): Event };

interface Shown {
  title: string;
  body: string;
  tag: string;
}

/**
 * Records every `new Notification(…)` of the page in window.__shown; window.__click(i) clicks
 * one. A string, not a function: the test runner's transform would add helpers the page lacks.
 */
const RECORD_NOTIFICATIONS = `(() => {
  const Real = window.Notification;
  const shown = [];
  function Recorded(title, o = {}) {
    this.onclick = null;
    shown.push({ title, body: o.body || "", tag: o.tag || "", n: this });
  }
  Recorded.prototype.close = function () {};
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = () => Real.requestPermission();
  window.Notification = Recorded;
  window.__shown = () => shown.map(({ title, body, tag }) => ({ title, body, tag }));
  window.__click = (i) => shown[i] && shown[i].n.onclick && shown[i].n.onclick();
})();`;

const shown = (p: Page) => p.evaluate(() => (window as unknown as { __shown(): Shown[] }).__shown());

/** Bob turns notifications on from the prompt, which shows once he has sent a first message. */
async function enableFromPrompt(bob: Person) {
  await newRoom(bob, "Bob's notes");
  await say(bob, "note to self");
  const prompt = bob.page.getByRole("region", { name: "Notifications" });
  await prompt.getByRole("button", { name: "Enable notifications" }).click({ timeout: WAIT });
  await prompt.waitFor({ state: "detached", timeout: WAIT });
}

describe.skipIf(skipBrowser)("notifications", () => {
  let push: PushService | null = null;
  const vars: Record<string, string> = { PUSH_LOCAL_ENDPOINTS: "1" };
  // Before useSession's: the server starts with these keys, and its pushes go to this service.
  beforeAll(async () => {
    const keys = await vapidKeys();
    Object.assign(vars, { VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey, VAPID_SUBJECT: "mailto:e2e@chat.test" });
    push = await startPushService();
  });
  afterAll(() => push?.close());
  const s = useSession(() => ({ vars }));

  it("Bob, in another room, gets a notification for Alice's DM; the tab shows the count; a click opens the DM", async () => {
    const [alice, bob] = [await person(s, "Alice", { account: true }), await person(s, "Bob", { account: true })];
    await bob.context.grantPermissions(["notifications"], { origin: s.base });
    await bob.context.addInitScript({ content: RECORD_NOTIFICATIONS });
    await bob.page.reload();
    // Not on first load: no prompt until he has done something.
    await bob.page.getByRole("button", { name: "New room", exact: true }).waitFor({ timeout: WAIT });
    expect(await bob.page.getByRole("region", { name: "Notifications" }).count()).toBe(0);
    await enableFromPrompt(bob);

    const dmUrl = await startDm(alice, bob.username!);
    await say(alice, "lunch at noon?");
    await expect.poll(() => shown(bob.page), { timeout: WAIT }).toEqual([{ title: "Alice", body: "lunch at noon?", tag: new URL(dmUrl).pathname.slice(3) }]);
    await expect.poll(() => bob.page.title(), { timeout: WAIT }).toMatch(/^\(1\) /);
    await expect.poll(() => bob.page.locator('link[rel="icon"]').getAttribute("data-unread"), { timeout: WAIT }).toBe("1");

    await bob.page.evaluate(() => (window as unknown as { __click(i: number): void }).__click(0));
    await bob.page.waitForURL(dmUrl, { timeout: WAIT });
    await log(bob.page).getByText("lunch at noon?", { exact: true }).waitFor({ timeout: WAIT });
  });

  it("with Bob's app closed, Alice's DM is pushed; delivered to his service worker it shows a notification whose click opens the DM", async () => {
    const [alice, bob] = [await person(s, "Alice", { account: true }), await person(s, "Bob", { account: true })];
    await bob.context.grantPermissions(["notifications"], { origin: s.base });
    await enableFromPrompt(bob);
    const worker = bob.context.serviceWorkers()[0] ?? (await bob.context.waitForEvent("serviceworker", { timeout: WAIT }));
    // Chromium here cannot reach a real push service: Bob's device subscribes at the local one
    // (which decrypts what it gets), as his browser would at its vendor's.
    const device = (await (await fetch(`${push!.url}/subscribe`, { method: "POST" })).json()) as { endpoint: string };
    const status = await bob.page.evaluate(
      async (sub) => (await fetch("/api/push/subscriptions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(sub) })).status,
      device,
    );
    expect(status).toBe(201);
    // Bob closes the app: a page of the site that is not the app (no socket) keeps the DevTools session.
    await bob.page.goto(`${s.base}/sw.js`);

    const dmUrl = await startDm(alice, bob.username!);
    const roomId = new URL(dmUrl).pathname.slice(3);
    await say(alice, "are you around?");
    const records = `${push!.url}/push/${new URL(device.endpoint).pathname.split("/").pop()}`;
    await expect.poll(async () => ((await (await fetch(records)).json()) as unknown[]).length, { timeout: WAIT }).toBe(1);
    const [pushed] = (await (await fetch(records)).json()) as Array<{ text: string; headers: Record<string, string> }>;
    expect(JSON.parse(pushed!.text)).toMatchObject({ roomId, kind: "dm", sender: "Alice", text: "are you around?" });
    expect(pushed!.headers).toMatchObject({ topic: roomId, urgency: "high" });

    // The push service would now deliver it to Bob's browser: DevTools does that here.
    const cdp = await bob.context.newCDPSession(bob.page);
    const registered = new Promise<string>((resolve) =>
      cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => {
        const r = e.registrations.find((x) => x.scopeURL === `${s.base}/`);
        if (r) resolve(r.registrationId);
      }),
    );
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.deliverPushMessage", { origin: s.base, registrationId: await registered, data: pushed!.text });
    const notes = () =>
      worker.evaluate(async () =>
        (await (self as unknown as SwScope).registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag })),
      );
    await expect.poll(notes, { timeout: WAIT }).toEqual([{ title: "Alice", body: "are you around?", tag: roomId }]);

    // Bob has the app open again, elsewhere; he clicks the notification: that tab opens the DM.
    const tab = await bob.context.newPage();
    await tab.goto(`${s.base}/`);
    await tab.getByRole("button", { name: "New room", exact: true }).waitFor({ timeout: WAIT });
    await worker.evaluate(async () => {
      const sw = self as unknown as SwScope;
      const [n] = await sw.registration.getNotifications();
      // A synthetic click (DevTools cannot click a system notification): its waitUntil throws, the handler's work goes on.
      sw.dispatchEvent(new NotificationEvent("notificationclick", { notification: n! }));
    });
    await tab.waitForURL(dmUrl, { timeout: WAIT });
    await log(tab).getByText("are you around?", { exact: true }).waitFor({ timeout: WAIT });
  });

  it("Bob mutes a room for an hour: its unread count shows grey and stays out of the tab's title", async () => {
    const { alice, bob } = await twoInARoom(s, { room: "Chatter" });
    await bob.page.getByRole("button", { name: "Room options" }).click();
    await bob.page.getByRole("menuitem", { name: "Notifications…" }).click();
    const dialog = bob.page.getByRole("dialog", { name: "Notifications" });
    await dialog.getByRole("button", { name: "For 1 hour" }).click();
    await dialog.getByText(/^Muted until/).waitFor({ timeout: WAIT });
    await dialog.getByRole("button", { name: "Done" }).click();
    await newRoom(bob, "Bob's notes");

    await say(alice, "anyone?");
    const badge = conversation(bob.page, "Chatter").locator(".badge");
    await badge.filter({ hasText: "1" }).waitFor({ timeout: WAIT });
    expect(await badge.getAttribute("class")).toContain("muted-badge");
    expect(await bob.page.title()).not.toMatch(/^\(/);
  });
});
