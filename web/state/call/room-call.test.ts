/**
 * A room's call before and after the call code loads: the ring shows at once, the code is
 * fetched when there is a call, a pressed button waits for it and goes on, Decline needs no
 * code, a load that fails says so and can be tried again.
 */
import { computed, signal } from "@preact/signals";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallState, Peer } from "../../../worker/protocol";
import { lazy } from "../lazy";
import { createCalls, type Calls } from "./calls";
import type { CallModel } from "./model";
import type { CallRoom } from "./ports";
import { CALL_CODE_FAILED, createRoomCall, type CallCode } from "./room-call";
import type { Phase } from "./session";

const me: Peer = { id: "u-alice", name: "Alice" };
const bob: Peer = { id: "u-bob", name: "Bob" };
const ringing = (over: Partial<CallState> = {}): CallState => ({
  id: "k1",
  media: "video",
  caller: bob,
  startedAt: 1,
  answeredAt: null,
  participants: [],
  ringing: [me.id],
  ...over,
});

function fakeRoom(roomId = "r1") {
  const call = signal<CallState | null>(null);
  const send = vi.fn(() => true);
  const room: CallRoom = {
    roomId,
    me: signal(me),
    call,
    online: signal(true),
    gone: signal(false),
    send,
    on: () => () => {},
  };
  return { room, call, send };
}

/** A stand-in for the call model: what room-call reads and calls. */
function fakeModel() {
  const phase = signal<Phase>("idle");
  return {
    phase,
    incoming: signal<CallState | null>(null),
    joinable: signal<CallState | null>(null),
    elsewhere: signal(false),
    busy: computed(() => false),
    notice: signal<string | null>(null),
    start: vi.fn(async () => void (phase.value = "preparing")),
    accept: vi.fn(async () => {}),
    join: vi.fn(async () => {}),
    decline: vi.fn(),
    dispose: vi.fn(),
  };
}

/** Call code whose load the test settles. */
function controlledCode() {
  const models: ReturnType<typeof fakeModel>[] = [];
  const code: CallCode = {
    createCallModel: () => {
      const m = fakeModel();
      models.push(m);
      return m as unknown as CallModel;
    },
  };
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const importer = vi.fn(
    () =>
      new Promise<CallCode>((resolve, reject) => {
        settle = { resolve: () => resolve(code), reject };
      }),
  );
  return { part: lazy(importer), importer, models, settle: () => settle };
}

let calls: Calls;
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

beforeEach(() => {
  calls = createCalls();
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => {
  calls.dispose();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("before the call code is here", () => {
  it("shows the room's ring at once and fetches the code; a room without a call fetches nothing", async () => {
    const code = controlledCode();
    const { room, call } = fakeRoom();
    const rc = createRoomCall(room, calls, code.part);
    expect(code.importer).not.toHaveBeenCalled();
    expect(rc.phase.value).toBe("idle");
    expect(rc.incoming.value).toBeNull();

    call.value = ringing();
    expect(rc.incoming.value?.id).toBe("k1");
    expect(rc.model.value).toBeNull();
    expect(code.importer).toHaveBeenCalledOnce();

    code.settle().resolve();
    await flush();
    expect(rc.model.value).not.toBeNull();
    rc.dispose();
    expect(code.models[0]!.dispose).toHaveBeenCalledOnce();
  });

  it("derives Join call and Join here from the room's call", () => {
    const code = controlledCode();
    const { room, call } = fakeRoom();
    const rc = createRoomCall(room, calls, code.part);
    call.value = ringing({ ringing: [], answeredAt: 5, participants: [] });
    expect(rc.joinable.value?.id).toBe("k1");
    expect(rc.elsewhere.value).toBe(false);
    call.value = ringing({ ringing: [], answeredAt: 5, participants: [{ ...me, audio: true, video: true, screen: false, joinedAt: 1, goneSince: null }] });
    expect(rc.elsewhere.value).toBe(true);
    rc.dispose();
  });

  it("fetches the code for the call accepted on the shell's banner", () => {
    const code = controlledCode();
    const rc = createRoomCall(fakeRoom("r1").room, calls, code.part);
    calls.rings.accept({ roomId: "r2", callId: "k9", media: "audio", caller: bob });
    expect(code.importer).not.toHaveBeenCalled();
    calls.rings.accept({ roomId: "r1", callId: "k1", media: "audio", caller: bob });
    expect(code.importer).toHaveBeenCalledOnce();
    rc.dispose();
  });

  it("a pressed button waits for the code (buttons off meanwhile), then goes on", async () => {
    const code = controlledCode();
    const rc = createRoomCall(fakeRoom().room, calls, code.part);
    const started = rc.start("audio");
    expect(rc.phase.value).toBe("preparing");
    code.settle().resolve();
    await started;
    const m = code.models[0]!;
    expect(m.start).toHaveBeenCalledWith("audio");
    // The model's phase from now on.
    expect(rc.phase.value).toBe("preparing");
    m.phase.value = "idle";
    expect(rc.phase.value).toBe("idle");
    rc.dispose();
  });

  it("declines without the code: the frame goes at once and the banner stays away", () => {
    const code = controlledCode();
    const { room, call, send } = fakeRoom();
    const rc = createRoomCall(room, calls, code.part);
    call.value = ringing();
    rc.decline("k1");
    expect(send).toHaveBeenCalledWith(expect.objectContaining({ type: "call.decline", callId: "k1", req: expect.any(String) }));
    expect(rc.incoming.value).toBeNull();
    rc.dispose();
  });

  it("a room closed before the code came makes no model and runs nothing", async () => {
    const code = controlledCode();
    const rc = createRoomCall(fakeRoom().room, calls, code.part);
    const started = rc.start("video");
    rc.dispose();
    code.settle().resolve();
    await started;
    expect(code.models).toEqual([]);
  });

  it("a load that fails says so for a while; the next press fetches again", async () => {
    vi.useFakeTimers();
    const code = controlledCode();
    const rc = createRoomCall(fakeRoom().room, calls, code.part);
    const started = rc.start("video");
    code.settle().reject(new Error("offline"));
    await started;
    expect(rc.phase.value).toBe("idle");
    expect(rc.notice.value).toBe(CALL_CODE_FAILED);
    await vi.advanceTimersByTimeAsync(6000);
    expect(rc.notice.value).toBeNull();

    const again = rc.start("video");
    expect(code.importer).toHaveBeenCalledTimes(2);
    code.settle().resolve();
    await again;
    expect(code.models[0]!.start).toHaveBeenCalledWith("video");
    rc.dispose();
  });
});

describe("once the call code is here", () => {
  it("every room's call gets its model at once, and reads and acts through it", async () => {
    const code = controlledCode();
    void code.part.load();
    code.settle().resolve();
    await flush();

    const { room, call } = fakeRoom();
    const rc = createRoomCall(room, calls, code.part);
    const m = code.models[0]!;
    expect(rc.model.value).toBe(m);
    call.value = ringing();
    // The model says: (e.g. we are answering it already) not ringing us.
    expect(rc.incoming.value).toBeNull();
    m.incoming.value = ringing();
    expect(rc.incoming.value?.id).toBe("k1");
    m.notice.value = "Call is full";
    expect(rc.notice.value).toBe("Call is full");

    // At once, inside the click.
    void rc.accept("k1");
    expect(m.accept).toHaveBeenCalledWith("k1");
    rc.decline("k1");
    expect(m.decline).toHaveBeenCalledWith("k1");
    rc.dispose();
    expect(m.dispose).toHaveBeenCalledOnce();
  });

  it("rooms opened before the code came get their model when it comes (for another room)", async () => {
    const code = controlledCode();
    const a = createRoomCall(fakeRoom("a").room, calls, code.part);
    const b = createRoomCall(fakeRoom("b").room, calls, code.part);
    void b.start("audio");
    code.settle().resolve();
    await flush();
    expect(a.model.value).not.toBeNull();
    expect(b.model.value).not.toBeNull();
    expect(code.models).toHaveLength(2);
    a.dispose();
    b.dispose();
  });
});
