/**
 * Stand-ins for the few browser globals the stores touch, for unit tests in node:
 * a scripted WebSocket, window/document event targets, navigator.onLine, location and
 * localStorage. Call stubBrowser() in beforeEach (with fake timers) and
 * vi.unstubAllGlobals() after.
 */
import { vi } from "vitest";
import type { HubFrame, RoomSummary, ServerFrame } from "../../worker/protocol";

export class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: FakeSocket[] = [];
  readyState = FakeSocket.CONNECTING;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = FakeSocket.CLOSED;
  }
  // ── driven by the test ──
  open() {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  receive(f: ServerFrame | HubFrame) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
  drop(code = 1006) {
    this.readyState = FakeSocket.CLOSED;
    this.onclose?.({ code, reason: "" });
  }
  frames() {
    return this.sent.filter((s) => s !== "ping").map((s) => JSON.parse(s) as { type: string; cid?: string; text?: string });
  }
  get since() {
    return new URL(this.url).searchParams.get("since");
  }
}

export function stubBrowser(): Map<string, string> {
  vi.useFakeTimers();
  FakeSocket.all = [];
  const storage = new Map<string, string>();
  vi.stubGlobal("WebSocket", FakeSocket);
  vi.stubGlobal("window", new EventTarget());
  vi.stubGlobal("document", Object.assign(new EventTarget(), { visibilityState: "visible" }));
  vi.stubGlobal("navigator", { onLine: true });
  vi.stubGlobal("location", { protocol: "http:", host: "chat.test", pathname: "/" });
  vi.stubGlobal("localStorage", {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => void storage.set(k, v),
    removeItem: (k: string) => void storage.delete(k),
    key: (i: number) => [...storage.keys()][i] ?? null,
    get length() {
      return storage.size;
    },
  });
  return storage;
}

export const json = (body: unknown, status = 200, headers?: Record<string, string>) =>
  new Response(JSON.stringify(body), { status, headers });

/** The newest socket the code under test opened. */
export const lastSocket = () => FakeSocket.all[FakeSocket.all.length - 1]!;

/** A sidebar row: a group read up to date, with no message, active at `activityAt`. */
export const roomSummary = (id: string, activityAt: number, over: Partial<RoomSummary> = {}): RoomSummary => ({
  id,
  kind: "group",
  name: `Room ${id}`,
  topic: "",
  lastMessage: null,
  lastSeq: 0,
  lastRead: 0,
  unread: 0,
  mentions: 0,
  activityAt,
  ...over,
});
