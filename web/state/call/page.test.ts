/**
 * The page's calls before their chunk is here (page.ts): rings from the hub wait for it and
 * are handed over in order, a room opened before gets its call when it comes, a call button
 * pressed before fetches it and goes on, a failed fetch is tried again.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Peer } from "../../../worker/protocol";
import { lazy } from "../lazy";
import type { RoomStore } from "../room";
import { createCalls } from "./calls";
import { CALLS_FAILED, pageCalls, type CallBasics } from "./page";
import type { RingFrame } from "./rings";
import type { RoomCall } from "./room-call";

const bob: Peer = { id: "u-bob", name: "Bob" };
const ring = (roomId: string, callId: string): RingFrame => ({ type: "call.ring", roomId, callId, media: "audio", caller: bob });
const store = (id: string) => ({ id }) as unknown as RoomStore;

/** The stand-ins' chunk, whose load the test settles; its room calls are fakes that record `start`. */
function controlledBasics() {
  const made: { store: RoomStore; start: ReturnType<typeof vi.fn>; dispose: ReturnType<typeof vi.fn> }[] = [];
  const basics: CallBasics = {
    createCalls,
    createRoomCall: (s) => {
      const rc = { store: s, start: vi.fn(async () => {}), dispose: vi.fn() };
      made.push(rc);
      return rc as unknown as RoomCall;
    },
  };
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const importer = vi.fn(
    () =>
      new Promise<CallBasics>((resolve, reject) => {
        settle = { resolve: () => resolve(basics), reject };
      }),
  );
  return { part: lazy(importer), importer, made, settle: () => settle };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe("pageCalls", () => {
  it("fetches the chunk at once; rings that came before it are handed over in order", async () => {
    const b = controlledBasics();
    const page = pageCalls(b.part);
    expect(b.importer).toHaveBeenCalledOnce();
    page.receive(ring("r1", "k1"));
    page.receive(ring("r2", "k2"));
    page.receive({ type: "call.ring_ended", roomId: "r1", callId: "k1" });
    expect(page.calls.value).toBeNull();
    b.settle().resolve();
    await flush();
    expect(page.calls.value!.rings.hub.value.map((r) => r.callId)).toEqual(["k2"]);
    // From now on straight to the rings.
    page.receive(ring("r3", "k3"));
    expect(page.calls.value!.rings.hub.value.map((r) => r.callId)).toEqual(["k2", "k3"]);
    page.dispose();
  });

  it("a reconnect of the hub forgets the rings that were waiting", async () => {
    const b = controlledBasics();
    const page = pageCalls(b.part);
    page.receive(ring("r1", "k1"));
    page.reset();
    b.settle().resolve();
    await flush();
    expect(page.calls.value!.rings.hub.value).toEqual([]);
    page.dispose();
  });

  it("a room opened before the chunk gets its call when it comes; nothing is held without one", async () => {
    const b = controlledBasics();
    const page = pageCalls(b.part);
    expect(page.take("r1")).toBeNull();
    const slot = page.forRoom(store("r1"));
    expect(slot.call.value).toBeNull();
    expect(page.keep(store("r1"), null)).toBe(false);
    b.settle().resolve();
    await flush();
    expect(b.made.map((m) => m.store.id)).toEqual(["r1"]);
    expect(slot.call.value).toBe(b.made[0]);
    // Made at once when the chunk is here already.
    expect(page.forRoom(store("r2")).call.value).toBe(b.made[1]);
    page.dispose();
  });

  it("a call button pressed before the chunk waits for it (starting), then starts", async () => {
    const b = controlledBasics();
    const page = pageCalls(b.part);
    const slot = page.forRoom(store("r1"));
    const started = slot.start("video");
    expect(slot.starting.value).toBe(true);
    b.settle().resolve();
    await started;
    expect(slot.starting.value).toBe(false);
    expect(b.made[0]!.start).toHaveBeenCalledWith("video");
    page.dispose();
  });

  it("a failed fetch is tried again by the next press (or ring)", async () => {
    const b = controlledBasics();
    const page = pageCalls(b.part);
    const slot = page.forRoom(store("r1"));
    b.settle().reject(new Error("offline"));
    await flush();
    expect(page.calls.value).toBeNull();
    // A press meets a failure too: it says so, and the next press fetches again.
    const first = slot.start("audio");
    b.settle().reject(new Error("offline"));
    await first;
    expect(slot.failed.value).toBe(CALLS_FAILED);
    expect(slot.starting.value).toBe(false);
    const started = slot.start("audio");
    expect(b.importer).toHaveBeenCalledTimes(3);
    b.settle().resolve();
    await started;
    expect(b.made[0]!.start).toHaveBeenCalledWith("audio");
    page.dispose();
  });

  it("a room closed before the chunk came gets no call", async () => {
    const b = controlledBasics();
    const page = pageCalls(b.part);
    const slot = page.forRoom(store("r1"));
    slot.dispose();
    b.settle().resolve();
    await flush();
    expect(page.calls.value).not.toBeNull();
    expect(b.made).toEqual([]);
    page.dispose();
  });
});
