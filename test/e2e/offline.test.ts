/**
 * Install and offline: the web app manifest and its icons are served as what they are, and
 * once the app has loaded (its service worker active), it opens without a network: the
 * service worker answers the reload with the cached shell, and the app shows what the device
 * kept (the sidebar, the room, its messages) and says it is offline, not Chromium's error
 * page; back online it reconnects by itself. Signed out, nothing of the person is left to show.
 */
import { describe, expect, it } from "vitest";
import { WAIT, connection, conversation, log, messageTexts, newRoom, person, say, send, shoot, skipBrowser, twoInARoom, useSession } from "./browser";

interface Manifest {
  name: string;
  short_name: string;
  start_url: string;
  display: string;
  theme_color: string;
  background_color: string;
  icons: Array<{ src: string; sizes: string; type: string; purpose: string }>;
}

/** A PNG's width and height, from its IHDR chunk (after the 8-byte signature and the chunk's length and type). */
function pngSize(bytes: Buffer): string {
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

describe.skipIf(skipBrowser)("install and offline", () => {
  const s = useSession();

  it("serves the manifest (linked from the page) and its icons with their content types", async () => {
    const page = await (await fetch(`${s.base}/r/anything`)).text();
    expect(page).toContain('<link rel="manifest" href="/manifest.webmanifest">');

    const res = await fetch(`${s.base}/manifest.webmanifest`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/manifest\+json/);
    const m = (await res.json()) as Manifest;
    expect(m).toMatchObject({ name: "Chat", short_name: "Chat", start_url: "/", display: "standalone", theme_color: "#ffffff", background_color: "#ffffff" });
    expect(m.icons.map((i) => `${i.sizes} ${i.type} ${i.purpose}`).sort()).toEqual([
      "192x192 image/png any",
      "512x512 image/png any",
      "512x512 image/png maskable",
      "any image/svg+xml any",
    ]);
    for (const icon of m.icons) {
      const r = await fetch(s.base + icon.src);
      expect(r.status, icon.src).toBe(200);
      expect(r.headers.get("content-type"), icon.src).toMatch(new RegExp(`^${icon.type.replace("+", "\\+")}`));
      const bytes = Buffer.from(await r.arrayBuffer());
      if (icon.type === "image/png") expect(pngSize(bytes), icon.src).toBe(icon.sizes);
      else expect(bytes.toString("utf8")).toMatch(/^<svg /);
    }
  });

  it("loaded once, the app opens offline as it was (the sidebar, the room and its messages, saying so) and reconnects by itself", async () => {
    const { alice, bob, roomUrl } = await twoInARoom(s, { room: "Offline test" });
    await say(alice, "written online", bob);
    const p = alice.page;
    // Registered for everyone after the first load (notifications not allowed): it takes the page.
    await p.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: WAIT });
    expect(await p.evaluate(() => Notification.permission)).not.toBe("granted");
    // One cache, this build's: the page, everything index.html links, the parts loaded on demand, the manifest and icons; no API.
    const cached = await p.evaluate(async () => {
      const names = (await caches.keys()).filter((n) => n.startsWith("shell-"));
      const keys = await (await caches.open(names[0]!)).keys();
      return { names, paths: keys.map((r) => new URL(r.url).pathname) };
    });
    expect(cached.names).toHaveLength(1);
    const linked = [...(await (await fetch(`${s.base}/`)).text()).matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(linked.some((u) => u?.endsWith(".css")) && linked.some((u) => u?.endsWith(".js"))).toBe(true);
    expect(cached.paths).toEqual(expect.arrayContaining(["/", "/manifest.webmanifest", "/icons/icon-192.png", "/icons/icon-maskable-512.png", ...linked]));
    expect(cached.paths.filter((u) => /^\/assets\/Sidebar-.*\.js$/.test(u))).toHaveLength(1);
    expect(cached.paths.filter((u) => u.startsWith("/api"))).toEqual([]);

    await alice.context.setOffline(true);
    const res = await p.reload({ timeout: WAIT });
    expect(res?.fromServiceWorker()).toBe(true);
    expect(p.url()).toBe(roomUrl);
    // The app, not a card: the sidebar lists the room, the room shows what she saw, and both say offline.
    await p.getByRole("status").filter({ hasText: "You're offline — showing what this device saved" }).waitFor({ timeout: WAIT });
    await conversation(p, "Offline test").waitFor({ timeout: WAIT });
    await p.getByRole("heading", { name: "Offline test" }).waitFor({ timeout: WAIT });
    await log(p).getByText("written online", { exact: true }).waitFor({ timeout: WAIT });
    await connection(p, "Offline").waitFor({ timeout: WAIT });
    // The app's stylesheet came from the cache too: the page is styled, not bare HTML.
    expect(await p.locator(".shell").evaluate((e) => getComputedStyle(e).display)).toBe("flex");
    // What she writes now waits in the outbox; Bob writes meanwhile.
    await send(p, "written offline");
    await log(p).getByText("written offline", { exact: true }).waitFor({ timeout: WAIT });
    await shoot(p, "offline-room");
    await say(bob, "while Alice was away");

    await alice.context.setOffline(false);
    await connection(p, "Connected").waitFor({ timeout: WAIT });
    await p.getByRole("status").filter({ hasText: "You're offline" }).waitFor({ state: "detached", timeout: WAIT });
    await log(p).getByText("while Alice was away", { exact: true }).waitFor({ timeout: WAIT });
    await expect.poll(() => messageTexts(bob.page), { timeout: WAIT }).toContain("written offline");
    // Connected again: a new message from Bob arrives live, and hers went exactly once.
    await say(bob, "and now live", alice);
    expect((await messageTexts(p)).filter((t) => t === "written offline")).toHaveLength(1);
  });

  it("after signing out, an offline reload shows no previous rooms: the 'You're offline' card, then the sign-in screen", async () => {
    const carol = await person(s, "Carol", { account: true });
    await newRoom(carol, "Carol's secrets");
    await say(carol, "secret words");
    const p = carol.page;
    await p.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: WAIT });
    // Kept while signed in (a reload flushes what is kept)…
    await p.reload({ timeout: WAIT });
    await log(p).getByText("secret words", { exact: true }).waitFor({ timeout: WAIT });
    const kept = () => p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("chat:offline:")).length);
    expect(await kept()).toBeGreaterThan(0);

    await p.getByRole("button", { name: "Account menu" }).click();
    await p.getByRole("menuitem", { name: "Log out" }).click();
    await p.getByRole("tab", { name: "Log in" }).waitFor({ timeout: WAIT });
    // …and gone with the session.
    expect(await kept()).toBe(0);

    await carol.context.setOffline(true);
    expect((await p.reload({ timeout: WAIT }))?.fromServiceWorker()).toBe(true);
    await p.getByRole("heading", { name: "You're offline" }).waitFor({ timeout: WAIT });
    await p.getByRole("alert").filter({ hasText: "back online" }).waitFor({ timeout: WAIT });
    expect(await p.getByText("Carol's secrets").count()).toBe(0);
    expect(await p.getByText("secret words").count()).toBe(0);
    // The app's stylesheet came from the cache too: the card is styled, not bare HTML.
    expect(await p.locator("main.center-page").evaluate((e) => getComputedStyle(e).display)).not.toBe("inline");

    await carol.context.setOffline(false);
    await p.getByRole("tab", { name: "Log in" }).waitFor({ timeout: WAIT });
  });
});
