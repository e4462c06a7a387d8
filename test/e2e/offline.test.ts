/**
 * Install and offline: the web app manifest and its icons are served as what they are, and
 * once the app has loaded (its service worker active), it opens without a network: the
 * service worker answers the reload with the cached shell, which says it is offline, not
 * Chromium's error page, and opens the room once the network is back.
 */
import { describe, expect, it } from "vitest";
import { WAIT, connection, log, newRoom, person, say, skipBrowser, useSession } from "./browser";

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

  it("loaded once, the app opens offline: the shell from the service worker says so, and opens the room when back online", async () => {
    const alice = await person(s, "Alice");
    const roomUrl = await newRoom(alice, "Offline test");
    await say(alice, "written online");
    const p = alice.page;
    // Registered for everyone after the first load (no notifications asked): it takes the page.
    await p.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: WAIT });
    expect(await p.evaluate(() => Notification.permission)).toBe("default");
    // One cache, this build's: the page, everything index.html links, the manifest and icons; no API.
    const cached = await p.evaluate(async () => {
      const names = (await caches.keys()).filter((n) => n.startsWith("shell-"));
      const keys = await (await caches.open(names[0]!)).keys();
      return { names, paths: keys.map((r) => new URL(r.url).pathname) };
    });
    expect(cached.names).toHaveLength(1);
    const linked = [...(await (await fetch(`${s.base}/`)).text()).matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(linked.some((u) => u?.endsWith(".css")) && linked.some((u) => u?.endsWith(".js"))).toBe(true);
    expect(cached.paths).toEqual(expect.arrayContaining(["/", "/manifest.webmanifest", "/icons/icon-192.png", "/icons/icon-maskable-512.png", ...linked]));
    expect(cached.paths.filter((u) => u.startsWith("/api"))).toEqual([]);

    await alice.context.setOffline(true);
    const res = await p.reload({ timeout: WAIT });
    expect(res?.fromServiceWorker()).toBe(true);
    expect(p.url()).toBe(roomUrl);
    await p.getByRole("heading", { name: "You're offline" }).waitFor({ timeout: WAIT });
    await p.getByRole("alert").filter({ hasText: "back online" }).waitFor({ timeout: WAIT });
    // The app's stylesheet came from the cache too: the page is styled, not bare HTML.
    expect(await p.locator("main.center-page").evaluate((e) => getComputedStyle(e).display)).not.toBe("inline");

    await alice.context.setOffline(false);
    await connection(p, "Connected").waitFor({ timeout: WAIT });
    await log(p).getByText("written online", { exact: true }).waitFor({ timeout: WAIT });
  });
});
