/**
 * What a page's call models share: the one-call lock, the record the browser tests read
 * (`window.__call`), and the holder that keeps a room's stores alive while its call runs
 * off screen.
 */
import { computed, signal } from "@preact/signals";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RoomStore } from "../room";
import { CallLock, CallRecord, createCalls } from "./calls";
import { CallHolder } from "./holder";
import type { RoomCall } from "./room-call";
import type { Phase } from "./session";

describe("the one-call lock", () => {
  it("tells each holder whether someone else is in a call, reactively", () => {
    const lock = new CallLock();
    const a = {};
    const b = {};
    const busyA = computed(() => lock.busyBesides(a));
    lock.enter(a);
    expect(busyA.value).toBe(false);
    expect(lock.peekBusyBesides(b)).toBe(true);
    lock.enter(b);
    expect(busyA.value).toBe(true);
    lock.leave(b);
    lock.leave(b);
    expect(busyA.value).toBe(false);
    expect(lock.holders.value.size).toBe(1);
  });
});

describe("the page's record", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists the open connections and every track, as window.__call", () => {
    vi.stubGlobal("window", {});
    const calls = createCalls();
    const hook = (window as unknown as { __call: { connections(): unknown[]; tracks(): unknown[] } }).__call;
    const pc = {} as RTCPeerConnection;
    const t = {} as MediaStreamTrack;
    calls.record.connection(pc, true);
    calls.record.track(t);
    calls.record.track(t);
    expect(hook.connections()).toEqual([pc]);
    expect(hook.tracks()).toEqual([t]);
    calls.record.connection(pc, false);
    expect(hook.connections()).toEqual([]);
    expect(new CallRecord().tracks()).toEqual([]);
  });
});

describe("the held call", () => {
  const stores = (id: string, phase: Phase) => {
    const p = signal<Phase>(phase);
    const call = { phase: p, dispose: vi.fn() };
    const room = { id, dispose: vi.fn() };
    return { p, call, room, held: [room as unknown as RoomStore, call as unknown as RoomCall] as const };
  };

  it("keeps a room's stores while its call runs, gives them back, and lets go (disposing) once the call is over", async () => {
    const holder = new CallHolder();
    const idle = stores("a", "idle");
    expect(holder.keep(...idle.held)).toBe(false);
    expect(holder.keep(...stores("a", "preparing").held)).toBe(false);

    const active = stores("b", "active");
    expect(holder.keep(...active.held)).toBe(true);
    expect(holder.held.value?.room.id).toBe("b");
    expect(holder.take("a")).toBeNull();
    expect(holder.take("b")?.call).toBe(active.call);
    expect(holder.held.value).toBeNull();
    expect(active.call.dispose).not.toHaveBeenCalled();

    expect(holder.keep(...active.held)).toBe(true);
    active.p.value = "idle";
    await Promise.resolve();
    expect(holder.held.value).toBeNull();
    expect(active.call.dispose).toHaveBeenCalledOnce();
    expect(active.room.dispose).toHaveBeenCalledOnce();
  });

  it("holds one call at a time; dispose lets go of it", () => {
    const holder = new CallHolder();
    const first = stores("a", "ringing");
    const second = stores("b", "active");
    holder.keep(...first.held);
    holder.keep(...second.held);
    expect(first.call.dispose).toHaveBeenCalledOnce();
    holder.dispose();
    expect(second.room.dispose).toHaveBeenCalledOnce();
    expect(holder.held.value).toBeNull();
  });
});
