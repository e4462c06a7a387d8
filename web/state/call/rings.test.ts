/**
 * Calls ringing us: the hub's rings and the shell's banner, the room's own ring (pure),
 * and the hand-over from the banner's Accept to the room that answers it.
 */
import { effect, signal } from "@preact/signals";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallState } from "../../../worker/protocol";
import { ringingUs } from "./derive";
import { createRings, declineInBackground, type Rings } from "./rings";
import { IDLE } from "./session";

const caller = { id: "u-bob", name: "Bob" };
const me = "u-alice";
const call = (over: Partial<CallState> = {}): CallState => ({
  id: "k1",
  media: "video",
  caller,
  startedAt: 1,
  answeredAt: null,
  participants: [],
  ringing: [me],
  ...over,
});
let rings: Rings;

beforeEach(() => {
  rings = createRings();
});

describe("rings from the hub", () => {
  it("one per room, newest last; the banner shows the newest one not in the open room", () => {
    rings.receive({ type: "call.ring", roomId: "a", callId: "k1", media: "video", caller });
    rings.receive({ type: "call.ring", roomId: "b", callId: "k2", media: "audio", caller });
    rings.receive({ type: "call.ring", roomId: "a", callId: "k3", media: "audio", caller });
    expect(rings.hub.value.map((r) => r.callId)).toEqual(["k2", "k3"]);
    expect(rings.elsewhere(null)?.callId).toBe("k3");
    expect(rings.elsewhere("a")?.callId).toBe("k2");
    rings.receive({ type: "call.ring_ended", roomId: "b", callId: "k2" });
    expect(rings.elsewhere("a")).toBeNull();
    rings.reset();
    expect(rings.hub.value).toEqual([]);
  });

  it("a ring that ends before its room could answer leaves nothing to answer", () => {
    rings.receive({ type: "call.ring", roomId: "a", callId: "k1", media: "video", caller });
    rings.accept(rings.hub.value[0]!);
    expect(rings.answering.value).toEqual({ roomId: "a", callId: "k1" });
    rings.receive({ type: "call.ring_ended", roomId: "a", callId: "k9" });
    expect(rings.answering.value).not.toBeNull();
    rings.receive({ type: "call.ring_ended", roomId: "a", callId: "k1" });
    expect(rings.answering.value).toBeNull();
  });

  it("the room answers the call accepted from the banner once it shows it ringing us, once", () => {
    const incoming = signal<CallState | null>(null);
    const accept = vi.fn();
    const stop = rings.answerWhenRinging("a", incoming, accept);
    const other = rings.answerWhenRinging("b", signal(call()), accept);
    rings.receive({ type: "call.ring", roomId: "a", callId: "k1", media: "video", caller });
    rings.accept(rings.hub.value[0]!);
    expect(accept).not.toHaveBeenCalled(); // room b rings with k1 too, but it is not the room accepted
    incoming.value = call({ id: "k0" });
    expect(accept).not.toHaveBeenCalled();
    incoming.value = call();
    expect(accept).toHaveBeenCalledExactlyOnceWith("k1");
    expect(rings.answering.value).toBeNull();
    incoming.value = { ...call() };
    expect(accept).toHaveBeenCalledOnce();
    stop();
    other();
  });
});

describe("declining", () => {
  afterEach(() => vi.useRealTimers());

  it("from the banner: its banner goes and the room is told", () => {
    rings.receive({ type: "call.ring", roomId: "a", callId: "k1", media: "video", caller });
    const sent: string[] = [];
    rings.decline(rings.hub.value[0]!, (room, id) => sent.push(`${room}/${id}`));
    expect(sent).toEqual(["a/k1"]);
    expect(rings.hub.value).toEqual([]);
  });

  it("in the background: a short-lived socket sends call.decline after the welcome, then closes", () => {
    vi.useFakeTimers();
    vi.stubGlobal("location", { protocol: "https:", host: "chat.test" });
    const ws = Object.assign(new EventTarget(), { url: "", sent: [] as string[], closed: false, send(d: string) { this.sent.push(d); }, close() { this.closed = true; } });
    declineInBackground("a", "k1", (url) => ((ws.url = url), ws as unknown as WebSocket));
    expect(ws.url).toMatch(/^wss:\/\/chat\.test\/api\/rooms\/a\/ws\?v=\d+$/);
    ws.dispatchEvent(Object.assign(new Event("message"), { data: '{"type":"call"}' }));
    expect(ws.sent).toEqual([]);
    ws.dispatchEvent(Object.assign(new Event("message"), { data: '{"type":"welcome","v":1}' }));
    expect(ws.sent.map((s) => JSON.parse(s))).toEqual([{ type: "call.decline", callId: "k1", req: expect.stringMatching(/^.{1,32}$/) }]);
    expect(ws.closed).toBe(false);
    vi.advanceTimersByTime(500);
    expect(ws.closed).toBe(true);
    vi.unstubAllGlobals();
  });

  it("dismissed calls stay away (declined, or answered busy)", () => {
    const seen: boolean[] = [];
    const stop = effect(() => void seen.push(rings.dismissed.value.has("k1")));
    rings.dismiss("k1");
    rings.dismiss("k1");
    expect(seen).toEqual([false, true]);
    stop();
  });
});

describe("the room's own ring", () => {
  it("rings us unless we are in that call, are answering it, or dismissed it", () => {
    expect(ringingUs(call(), me, IDLE, new Set())?.id).toBe("k1");
    expect(ringingUs(null, me, IDLE, new Set())).toBeNull();
    expect(ringingUs(call({ ringing: ["u-carol"] }), me, IDLE, new Set())).toBeNull();
    expect(ringingUs(call(), me, IDLE, new Set(["k1"]))).toBeNull();
    expect(ringingUs(call(), me, { phase: "preparing", action: { kind: "accept", callId: "k1", media: "video" } }, new Set())).toBeNull();
    expect(ringingUs(call(), me, { phase: "preparing", action: { kind: "start", media: "video" } }, new Set())?.id).toBe("k1");
    expect(ringingUs(call(), me, { phase: "joined", callId: "k1", req: null, rejoin: false, roster: [] }, new Set())).toBeNull();
  });
});
