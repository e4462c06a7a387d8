/**
 * Notifications end to end in workerd: subscriptions and settings routes (their rules),
 * and Web Push from a room's flush to the loopback push service (test/support/push-service.mjs),
 * decrypted here with the subscriber's private key.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import * as v from "valibot";
import {
  MAX_PUSH_SUBSCRIPTIONS,
  MENTION_ROOM,
  MUTE_FOREVER,
  PREVIEW_CHARS,
  PushPayload,
  SMALL_GROUP,
  endpointProblem,
  mentionToken,
  notifies,
  preview,
  randomId,
  shouldNotify,
  type NotificationSettingsResponse,
} from "../protocol";
import { api, connect, connectHub, errorOf, guest, heard, joinRoom, newRoom, post, waitFor, type Client, type Person } from "./helpers";
import { dm } from "./fixtures";
import { decryptPush, subscriber, unb64url, verifyVapid, type RecordedPush, type Subscriber } from "../../test/support/push-service.mjs";

interface Device {
  sub: Subscriber;
  /** The push service's id for it (the endpoint's last segment). */
  at: string;
  endpoint: string;
  /** Our subscription id. */
  id: string;
}

const body = (endpoint: string, sub: { p256dh: string; auth: string }) => ({ endpoint, expirationTime: null, keys: { p256dh: sub.p256dh, auth: sub.auth } });

/** Subscribes `p` as a browser would, with an endpoint at the local push service (`prefix` "gone"/"missing" make it answer 410/404). */
async function subscribe(p: Person, prefix = "dev"): Promise<Device> {
  const sub = await subscriber();
  const at = `${prefix}${randomId(9)}`;
  const endpoint = `${env.TEST_PUSH_SERVICE}/push/${at}`;
  const res = await post("/api/push/subscriptions", p.cookie, body(endpoint, sub));
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  return { sub, at, endpoint, id };
}

const pushesTo = async (d: Device): Promise<RecordedPush[]> => (await fetch(`${env.TEST_PUSH_SERVICE}/push/${d.at}`)).json();

async function received(d: Device, n = 1): Promise<RecordedPush[]> {
  await waitFor(async () => (await pushesTo(d)).length >= n, `${n} push(es) to ${d.at}`);
  return pushesTo(d);
}

async function open(d: Device, p: RecordedPush): Promise<PushPayload> {
  const text = new TextDecoder().decode(await decryptPush(unb64url(p.body), d.sub));
  return v.parse(PushPayload, JSON.parse(text));
}

async function say(c: Client, text: string, mentions?: string[]): Promise<void> {
  const cid = randomId(8);
  c.send({ type: "send", cid, text, ...(mentions ? { mentions } : {}) });
  await heard(c, cid);
}

const subscriptionRows = async (userId: string) => (await env.DB.prepare("SELECT id FROM push_subscriptions WHERE user_id = ?").bind(userId).all<{ id: string }>()).results;

describe("push subscriptions", () => {
  it("take an https endpoint and keys of the right length; refuse anything else with 400", async () => {
    const me = await guest("Ann");
    const sub = await subscriber();
    const ok = await post("/api/push/subscriptions", me.cookie, body(`https://push.example.net/send/${randomId()}`, sub));
    expect(ok.status).toBe(201);
    const bad: Array<[unknown, RegExp]> = [
      [body(`http://push.example.net/send/x`, sub), /https/],
      [body(`ftp://push.example.net/x`, sub), /https/],
      [body(`not a url`, sub), /endpoint/],
      [body(`https://push.example.net/x`, { ...sub, p256dh: sub.p256dh.slice(0, -2) }), /p256dh/],
      [body(`https://push.example.net/x`, { ...sub, auth: "AAAA" }), /auth/],
      [body(`https://push.example.net/x`, { ...sub, auth: "!!not base64!!" }), /auth/],
      [{ endpoint: "https://push.example.net/x" }, /keys/],
    ];
    for (const [b, why] of bad) {
      const res = await post("/api/push/subscriptions", me.cookie, b);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).message).toMatch(why);
    }
    expect(await subscriptionRows(me.id)).toHaveLength(1);
    expect((await post("/api/push/subscriptions", undefined, body("https://push.example.net/y", sub))).status).toBe(401);
  });

  it("plain-http loopback endpoints only where allowed (local development)", () => {
    expect(endpointProblem("http://127.0.0.1:9999/push/x", true)).toBeNull();
    expect(endpointProblem("http://127.0.0.1:9999/push/x", false)).toMatch(/https/);
    expect(endpointProblem("http://10.0.0.1/push/x", true)).toMatch(/https/);
    expect(endpointProblem("https://user:pw@push.example.net/x", false)).toMatch(/https/);
  });

  it(`at most ${MAX_PUSH_SUBSCRIPTIONS} per person; the same endpoint again keeps its one row`, async () => {
    const me = await guest("Many");
    const sub = await subscriber();
    const ids: string[] = [];
    for (let i = 0; i < MAX_PUSH_SUBSCRIPTIONS; i++) {
      const res = await post("/api/push/subscriptions", me.cookie, body(`https://push.example.net/d/${i}-${randomId()}`, sub));
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const over = await post("/api/push/subscriptions", me.cookie, body(`https://push.example.net/d/over-${randomId()}`, sub));
    expect(over.status).toBe(409);
    expect(await subscriptionRows(me.id)).toHaveLength(MAX_PUSH_SUBSCRIPTIONS);
    // Re-subscribing an existing device is not a new one.
    const [first] = (await env.DB.prepare("SELECT endpoint FROM push_subscriptions WHERE id = ?").bind(ids[0]).all<{ endpoint: string }>()).results;
    const again = await post("/api/push/subscriptions", me.cookie, body(first!.endpoint, sub));
    expect(again.status).toBe(201);
    expect(((await again.json()) as { id: string }).id).toBe(ids[0]);
  });

  it("deleting another person's or a forged subscription id is 403 and deletes nothing; one's own is 204", async () => {
    const [ann, bob] = [await guest("Ann"), await guest("Bob")];
    const dev = await subscribe(ann);
    for (const [who, id] of [
      [bob, dev.id],
      [ann, randomId()],
      [ann, "../../etc"],
    ] as const) {
      const res = await api(`/api/push/subscriptions/${encodeURIComponent(id)}`, { method: "DELETE", cookie: who.cookie });
      expect(res.status).toBe(403);
    }
    expect(await subscriptionRows(ann.id)).toEqual([{ id: dev.id }]);
    expect((await api(`/api/push/subscriptions/${dev.id}`, { method: "DELETE", cookie: ann.cookie })).status).toBe(204);
    expect(await subscriptionRows(ann.id)).toEqual([]);
  });

  it("GET /api/push/key gives the VAPID public key to subscribe with", async () => {
    const me = await guest("Ann");
    expect(await (await api("/api/push/key", { cookie: me.cookie })).json()).toEqual({ publicKey: env.VAPID_PUBLIC_KEY });
    expect((await api("/api/push/key")).status).toBe(401);
  });
});

describe("notification settings", () => {
  const settings = async (roomId: string, p: Person) => (await api(`/api/rooms/${roomId}/notifications`, { cookie: p.cookie })).json() as Promise<NotificationSettingsResponse>;
  const put = (roomId: string, p: Person, b: unknown) => api(`/api/rooms/${roomId}/notifications`, { method: "PUT", cookie: p.cookie, body: JSON.stringify(b) });

  it("default: DMs and small groups notify on everything, busy groups only on mentions", async () => {
    const d = await dm();
    expect(await settings(d.roomId, d.bob)).toEqual({ level: null, effective: "all", mutedUntil: 0 });
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie, "busy");
    expect((await settings(room.id, alice)).effective).toBe("all");
    for (let i = 0; i < 5; i++) await joinRoom(room.id, (await guest(`P${i}`)).cookie);
    expect((await settings(room.id, alice)).effective).toBe("mentions");
  });

  it("level and mute (1 hour, 8 hours, until turned back on, off) are the viewer's own", async () => {
    const alice = await guest("Alice");
    const bob = await guest("Bob");
    const { room } = await newRoom(alice.cookie, "quiet");
    await joinRoom(room.id, bob.cookie);
    const before = Date.now();
    const r1 = (await (await put(room.id, bob, { mute: "1h", level: "mentions" })).json()) as NotificationSettingsResponse;
    expect(r1.level).toBe("mentions");
    expect(r1.mutedUntil).toBeGreaterThanOrEqual(before + 3600_000);
    expect(r1.mutedUntil).toBeLessThanOrEqual(Date.now() + 3600_000);
    const r8 = (await (await put(room.id, bob, { mute: "8h" })).json()) as NotificationSettingsResponse;
    expect(r8.mutedUntil).toBeGreaterThanOrEqual(before + 8 * 3600_000);
    expect(r8.level).toBe("mentions");
    expect(((await (await put(room.id, bob, { mute: "forever" })).json()) as NotificationSettingsResponse).mutedUntil).toBe(MUTE_FOREVER);
    // Alice's settings did not change with Bob's.
    expect(await settings(room.id, alice)).toEqual({ level: null, effective: "all", mutedUntil: 0 });
    expect(await (await put(room.id, bob, { mute: "off", level: "default" })).json()).toEqual({ level: null, effective: "all", mutedUntil: 0 });
  });

  it("cannot be set for someone else, by a non-member, or with bad values", async () => {
    const alice = await guest("Alice");
    const bob = await guest("Bob");
    const { room } = await newRoom(alice.cookie, "mine");
    const naming = await put(room.id, bob, { mute: "forever" });
    expect(naming.status).toBe(403);
    const forOther = await put(room.id, alice, { mute: "forever", userId: bob.id });
    expect(forOther.status).toBe(400);
    expect((await put(room.id, alice, { level: "loud" })).status).toBe(400);
    expect((await put(room.id, alice, { mute: "2h" })).status).toBe(400);
    expect((await api(`/api/rooms/${room.id}/notifications`, { cookie: bob.cookie })).status).toBe(403);
    expect((await api(`/api/rooms/${randomId()}/notifications`, { cookie: alice.cookie })).status).toBe(404);
    expect(await settings(room.id, alice)).toEqual({ level: null, effective: "all", mutedUntil: 0 });
  });

  it("what notifies: never one's own message; mentions for the person or the room; DMs always", () => {
    const m = (text: string, mentions?: string[]) => ({ uid: "a", text, mentions });
    expect(shouldNotify(m("hi"), "a", "dm", "all")).toBe(false);
    expect(shouldNotify(m("hi"), "b", "dm", "mentions")).toBe(true);
    expect(shouldNotify(m("hi"), "b", "dm", "none")).toBe(false);
    expect(shouldNotify(m("hi"), "b", "group", "all")).toBe(true);
    expect(shouldNotify(m("hi"), "b", "group", "mentions")).toBe(false);
    expect(shouldNotify(m("hi", ["b"]), "b", "group", "mentions")).toBe(true);
    expect(shouldNotify(m("hi", ["c"]), "b", "group", "mentions")).toBe(false);
    expect(shouldNotify(m("hi", [MENTION_ROOM]), "b", "group", "mentions")).toBe(true);
    // Only the room's checked list counts: "@room" typed as text is no mention.
    expect(shouldNotify(m("lunch? @room"), "b", "group", "mentions")).toBe(false);
    expect(shouldNotify(m("mail me@roommate.com"), "b", "group", "mentions")).toBe(false);
    expect(shouldNotify(m("hi", ["b"]), "b", "group", "none")).toBe(false);
  });

  it("levels: the person's own, else the default by kind and size; muted is none until it ends", () => {
    const none = { level: null, mutedUntil: 0 };
    expect(notifies(none, "dm", 2, 0)).toBe("all");
    expect(notifies(none, "group", SMALL_GROUP, 0)).toBe("all");
    expect(notifies(none, "group", SMALL_GROUP + 1, 0)).toBe("mentions");
    expect(notifies({ level: "all", mutedUntil: 0 }, "group", 50, 0)).toBe("all");
    expect(notifies({ level: "all", mutedUntil: 1000 }, "group", 50, 999)).toBe("none");
    expect(notifies({ level: "all", mutedUntil: 1000 }, "group", 50, 1000)).toBe("all");
    expect(notifies({ level: null, mutedUntil: MUTE_FOREVER }, "dm", 2, Date.now())).toBe("none");
  });

  it("a preview is one line, cut at a bounded length; a message of files only says so", () => {
    expect(preview("  two\n\nlines  ")).toBe("two lines");
    expect(preview("x".repeat(500))).toHaveLength(PREVIEW_CHARS);
    expect(preview("", 1)).toBe("sent a file");
    expect(preview("", 3)).toBe("sent 3 files");
  });
});

describe("Web Push from the room's flush", () => {
  it("a DM to someone with no app open is pushed: encrypted for their device, signed with VAPID, Topic per room", async () => {
    const d = await dm();
    d.b.close();
    const dev = await subscribe(d.bob);
    await say(d.a, "lunch at noon?");
    await runDurableObjectAlarm(d.stub);
    const [p] = await received(dev);
    expect(await open(dev, p!)).toMatchObject({ roomId: d.roomId, kind: "dm", title: "Alice", sender: "Alice", text: "lunch at noon?" });
    expect(p!.headers).toMatchObject({ "content-encoding": "aes128gcm", ttl: "86400", urgency: "high", topic: d.roomId });
    await verifyVapid(p!.headers.authorization, env.VAPID_PUBLIC_KEY!, new URL(env.TEST_PUSH_SERVICE).origin);
  });

  it("a burst flushed together is one push per device, with the newest message", async () => {
    const d = await dm();
    d.b.close();
    const [phone, laptop] = [await subscribe(d.bob), await subscribe(d.bob)];
    for (const t of ["one", "two", "three"]) await say(d.a, t);
    await runDurableObjectAlarm(d.stub);
    for (const dev of [phone, laptop]) {
      const list = await received(dev);
      expect(list).toHaveLength(1);
      expect((await open(dev, list[0]!)).text).toBe("three");
    }
  });

  it("no push for a muted room, a person with a socket in the room, or a person with the app open", async () => {
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie, "team");
    const [muted, here, appOpen, away] = [await guest("Muted"), await guest("Here"), await guest("AppOpen"), await guest("Away")];
    for (const p of [muted, here, appOpen, away]) await joinRoom(room.id, p.cookie);
    const devs = { muted: await subscribe(muted), here: await subscribe(here), appOpen: await subscribe(appOpen), away: await subscribe(away) };
    expect((await api(`/api/rooms/${room.id}/notifications`, { method: "PUT", cookie: muted.cookie, body: JSON.stringify({ mute: "8h", level: "all" }) })).status).toBe(200);
    await connect(room.id, here.cookie);
    await connectHub(appOpen.cookie);
    const a = await connect(room.id, alice.cookie);
    await say(a, "standup in 5");
    await runDurableObjectAlarm(env.ROOMS.getByName(room.id));
    // The targets are chosen in one query before any push is sent: once Away's arrives, the others were never chosen.
    expect((await open(devs.away, (await received(devs.away))[0]!)).text).toBe("standup in 5");
    expect(await pushesTo(devs.muted)).toEqual([]);
    expect(await pushesTo(devs.here)).toEqual([]);
    expect(await pushesTo(devs.appOpen)).toEqual([]);
    // Alice never hears of her own message.
    expect(await subscriptionRows(alice.id)).toEqual([]);
  });

  it("a group on Mentions pushes only a message that mentions the person or the whole room", async () => {
    const alice = await guest("Alice");
    const { room } = await newRoom(alice.cookie, "mentions");
    const [bob, carol] = [await guest("Bob"), await guest("Carol")];
    for (const p of [bob, carol]) await joinRoom(room.id, p.cookie);
    await api(`/api/rooms/${room.id}/notifications`, { method: "PUT", cookie: bob.cookie, body: JSON.stringify({ level: "mentions" }) });
    const [bobDev, carolDev] = [await subscribe(bob), await subscribe(carol)];
    const a = await connect(room.id, alice.cookie);
    const stub = env.ROOMS.getByName(room.id);
    await say(a, "chatter");
    await runDurableObjectAlarm(stub);
    expect((await open(carolDev, (await received(carolDev))[0]!)).text).toBe("chatter");
    expect(await pushesTo(bobDev)).toEqual([]);
    await say(a, `${mentionToken(MENTION_ROOM, "room")} release is out`, [MENTION_ROOM]);
    await say(a, "more chatter");
    // Within ANNOUNCE_GAP_MS of the first round this one waits for the gap: the alarm comes back for it.
    await waitFor(async () => (await runDurableObjectAlarm(stub), (await pushesTo(bobDev)).length > 0), "the second round", 10_000);
    // The token reads as its label.
    expect((await open(bobDev, (await received(bobDev))[0]!)).text).toBe("@room release is out");
    const carols = await received(carolDev, 2);
    expect(carols).toHaveLength(2);
    expect((await open(carolDev, carols[1]!)).text).toBe("more chatter");
  });

  it("closing the last tab of the app makes its person reachable by push at once", async () => {
    const d = await dm();
    d.b.close();
    const dev = await subscribe(d.bob);
    const hub = await connectHub(d.bob.cookie);
    const liveUntil = async () => (await env.DB.prepare("SELECT hub_live_until AS t FROM users WHERE id = ?").bind(d.bob.id).first<{ t: number }>())!.t;
    expect(await liveUntil()).toBeGreaterThan(Date.now());
    hub.close();
    await waitFor(async () => (await liveUntil()) === 0, "the hub to be marked idle");
    await say(d.a, "you left");
    await runDurableObjectAlarm(d.stub);
    expect((await open(dev, (await received(dev))[0]!)).text).toBe("you left");
  });

  it("a reload (the last socket closes, a new one opens) leaves the hub live: no push, and it still hears of its rooms", async () => {
    const d = await dm();
    d.b.close();
    const dev = await subscribe(d.bob);
    const liveUntil = async () => (await env.DB.prepare("SELECT hub_live_until AS t FROM users WHERE id = ?").bind(d.bob.id).first<{ t: number }>())!.t;
    const first = await connectHub(d.bob.cookie);
    first.close();
    await waitFor(async () => (await liveUntil()) === 0, "the hub to be marked idle");
    const again = await connectHub(d.bob.cookie);
    expect(await liveUntil()).toBeGreaterThan(Date.now());
    await say(d.a, "still there?");
    await runDurableObjectAlarm(d.stub);
    await again.next("activity", (f) => f.roomId === d.roomId);
    expect(await pushesTo(dev)).toEqual([]);
  });

  it("a 410 or 404 from the push service deletes the subscription", async () => {
    const d = await dm();
    d.b.close();
    const [gone, missing, fine] = [await subscribe(d.bob, "gone"), await subscribe(d.bob, "missing"), await subscribe(d.bob)];
    await say(d.a, "are you there?");
    await runDurableObjectAlarm(d.stub);
    await received(fine);
    await waitFor(async () => (await subscriptionRows(d.bob.id)).length === 1, "the dead subscriptions to be deleted");
    expect(await subscriptionRows(d.bob.id)).toEqual([{ id: fine.id }]);
    expect(await received(gone)).toHaveLength(1);
    expect(await received(missing)).toHaveLength(1);
  });
});
