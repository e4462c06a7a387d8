import { describe, expect, it } from "vitest";
import { cacheName, staleCaches, strategyFor, type RequestInfo } from "./routes";

const ORIGIN = "https://chat.example";
const PRECACHED = new Set(["/", "/assets/main-ABC.js", "/assets/styles-DEF.css", "/manifest.webmanifest", "/icons/icon-192.png"]);
const get = (path: string, mode = "cors"): RequestInfo => ({ method: "GET", url: ORIGIN + path, mode });
const route = (r: RequestInfo) => strategyFor(r, ORIGIN, PRECACHED);

describe("the service worker's routing", () => {
  it("serves page loads from the network first (the cached shell when it fails), any path of the app", () => {
    expect(route(get("/", "navigate"))).toBe("network-first");
    expect(route(get("/r/abc123", "navigate"))).toBe("network-first");
    expect(route(get("/join/XYZ?x=1", "navigate"))).toBe("network-first");
  });

  it("serves the precached shell and the content-hashed assets from the cache first", () => {
    expect(route(get("/assets/main-ABC.js"))).toBe("cache-first");
    expect(route(get("/assets/styles-DEF.css"))).toBe("cache-first");
    expect(route(get("/manifest.webmanifest"))).toBe("cache-first");
    expect(route(get("/icons/icon-192.png", "no-cors"))).toBe("cache-first");
    // A part loaded on demand: not precached, cached when first fetched.
    expect(route(get("/assets/Lightbox-XYZ.js"))).toBe("cache-first");
  });

  it("never touches the API, sockets included, not even as a page load", () => {
    expect(route(get("/api/session"))).toBe("pass");
    expect(route(get("/api/rooms/abc/ws", "websocket"))).toBe("pass");
    expect(route(get("/api/media/abc/photo.png", "navigate"))).toBe("pass");
    expect(route(get("/api"))).toBe("pass");
    expect(route({ method: "POST", url: `${ORIGIN}/api/rooms`, mode: "cors" })).toBe("pass");
  });

  it("passes what is not a GET of this app's own files: other methods, other origins, the worker script, source maps, unknown files", () => {
    expect(route({ method: "HEAD", url: `${ORIGIN}/assets/main-ABC.js`, mode: "cors" })).toBe("pass");
    expect(route({ method: "GET", url: "https://cdn.example/assets/main-ABC.js", mode: "cors" })).toBe("pass");
    expect(route(get("/sw.js"))).toBe("pass");
    expect(route(get("/sw.js", "navigate"))).toBe("pass");
    expect(route(get("/assets/main-ABC.js.map"))).toBe("pass");
    expect(route(get("/robots.txt"))).toBe("pass");
    // Only the exact precached path: "/" as a fetch (not a page load) is the shell, "/apis" is not the API.
    expect(route(get("/"))).toBe("cache-first");
    expect(route(get("/apis"))).toBe("pass");
  });
});

describe("the service worker's caches", () => {
  it("a new build's worker deletes the earlier builds' shells and leaves every other cache alone", () => {
    const current = cacheName("b2");
    expect(current).toBe("shell-b2");
    expect(staleCaches(["shell-a1", current, "avatars", "shell-0f"], current)).toEqual(["shell-a1", "shell-0f"]);
    expect(staleCaches([current], current)).toEqual([]);
  });
});
