/**
 * Notifications: Web Push subscriptions (/api/push) and the viewer's own settings per room
 * (/api/rooms/:id/notifications). Every route authenticates (401) and validates (400);
 * a subscription can be deleted only by its owner (403 otherwise, also for an id that does
 * not exist, so ids cannot be probed); settings are always the viewer's own.
 */
import { Hono } from "hono";
import {
  MAX_PUSH_SUBSCRIPTIONS,
  MUTE_FOREVER,
  MUTE_FOR_MS,
  NotificationSettingsBody,
  PushSubscriptionBody,
  endpointProblem,
  defaultLevel,
  randomId,
  type NotificationSettingsResponse,
  type NotifyLevel,
  type PushKeyResponse,
  type PushSubscriptionResponse,
} from "../protocol";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { addPushSubscription, deleteOwnPushSubscription, notifySettings, setNotifySettings, type RoomNotifySettings } from "../db/notify-queries";
import { badRequest, conflict, forbidden, jsonBody, notFound, parseOr400 } from "../http/errors";
import { memberAccess } from "./rooms";
import { vapidOf } from "../push/send";

export const pushRoutes = new Hono<{ Bindings: Env }>()
  .get("/key", async (c) => {
    await requireUser(c);
    const vapid = await vapidOf(c.env);
    return c.json({ publicKey: vapid?.publicKey ?? null } satisfies PushKeyResponse);
  })
  .post("/subscriptions", async (c) => {
    const user = await requireUser(c);
    const body = parseOr400(PushSubscriptionBody, await jsonBody(c));
    const problem = endpointProblem(body.endpoint, String(c.env.PUSH_LOCAL_ENDPOINTS) === "1");
    if (problem) throw badRequest(problem);
    const id = await addPushSubscription(
      db(c.env.DB),
      { id: randomId(), userId: user.id, endpoint: body.endpoint, p256dh: body.keys.p256dh, auth: body.keys.auth, createdAt: Date.now() },
      MAX_PUSH_SUBSCRIPTIONS,
    );
    if (id === null) throw conflict(`at most ${MAX_PUSH_SUBSCRIPTIONS} browsers or devices can get notifications; turn them off on one first`);
    return c.json({ id } satisfies PushSubscriptionResponse, 201);
  })
  .delete("/subscriptions/:sub", async (c) => {
    const user = await requireUser(c);
    const id = c.req.param("sub");
    if (!/^[\w-]{1,64}$/.test(id) || !(await deleteOwnPushSubscription(db(c.env.DB), id, user.id))) {
      throw forbidden("that is not a subscription of yours");
    }
    return c.body(null, 204);
  });

function settingsResponse(s: RoomNotifySettings, now: number): NotificationSettingsResponse {
  return { level: s.level, effective: s.level ?? defaultLevel(s.kind, s.members), mutedUntil: s.mutedUntil > now ? s.mutedUntil : 0 };
}

async function viewerSettings(env: Env, roomId: string, userId: string): Promise<RoomNotifySettings> {
  const s = await notifySettings(db(env.DB), roomId, userId);
  if (!s) throw notFound("room not found");
  return s;
}

export const notificationRoutes = new Hono<{ Bindings: Env }>()
  .get("/:id/notifications", async (c) => {
    const a = await memberAccess(c);
    return c.json(settingsResponse(await viewerSettings(c.env, a.room.id, a.user.id), Date.now()));
  })
  .put("/:id/notifications", async (c) => {
    const a = await memberAccess(c);
    const body = parseOr400(NotificationSettingsBody, await jsonBody(c));
    const now = Date.now();
    const set: { level?: NotifyLevel | null; mutedUntil?: number } = {};
    if (body.level !== undefined) set.level = body.level === "default" ? null : body.level;
    if (body.mute !== undefined) set.mutedUntil = body.mute === "off" ? 0 : body.mute === "forever" ? MUTE_FOREVER : now + MUTE_FOR_MS[body.mute];
    if (Object.keys(set).length > 0) await setNotifySettings(db(c.env.DB), a.room.id, a.user.id, set);
    return c.json(settingsResponse(await viewerSettings(c.env, a.room.id, a.user.id), now));
  });
