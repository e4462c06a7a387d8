/**
 * /api/dms: the one direct-message room of two people, found or made by the
 * other person's username. Guests have no username, so nobody can DM them by
 * name; they can start a DM only with someone they share a room with.
 *
 * Every answer tells whether a username exists, so starts are limited per person and per
 * address, and a new DM reaches the other person's list only with its first message
 * (roomSummaries; the room tells their hub when that message reaches D1).
 */
import { Hono } from "hono";
import { StartDmBody, randomId } from "../protocol";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { ensureDm, findUserByUsername, shareARoom } from "../db/queries";
import { badRequest, forbidden, jsonBody, notFound, parseOr400 } from "../http/errors";
import { clientIp, limitOrThrow } from "../http/rate-limit";
import { announceRoomsChanged } from "../room/user-hub";
import { later, roomResponse } from "./rooms";

/** One key per pair, whoever starts it: the two user ids, sorted. Ids are base64url, so ":" never occurs in one. */
export const dmKey = (a: string, b: string) => [a, b].sort().join(":");

export const dmRoutes = new Hono<{ Bindings: Env }>().post("/", async (c) => {
  const user = await requireUser(c);
  await limitOrThrow([
    [c.env.DM_USER_LIMITER, `dm:${user.id}`],
    [c.env.DM_IP_LIMITER, `dm:${clientIp(c)}`],
  ]);
  const { username } = parseOr400(StartDmBody, await jsonBody(c));
  const d = db(c.env.DB);
  const other = await findUserByUsername(d, username);
  // A guest (free to make) learns nothing about a name outside their rooms: unknown or a stranger, the same answer.
  if (user.kind === "guest" && (!other || !(await shareARoom(d, user.id, other.id)))) {
    throw forbidden("as a guest you can start a direct message only with someone you share a room with");
  }
  if (!other) throw notFound(`nobody has the username ${username}`);
  if (other.id === user.id) throw badRequest("you cannot start a direct message with yourself");
  const { room, created } = await ensureDm(
    d,
    {
      id: randomId(),
      kind: "dm",
      // Shown only if the other person is gone; everyone else sees the other member's name.
      name: "Direct message",
      topic: "",
      createdBy: user.id,
      createdAt: Date.now(),
      inviteCode: null,
      dmKey: dmKey(user.id, other.id),
    },
    other.id,
  );
  // Only the starter's list changes now; the other person's when the first message reaches D1.
  if (created) later(c, announceRoomsChanged(c.env, [user.id]));
  return c.json(await roomResponse(c.env, room, user.id, "member"), created ? 201 : 200);
});
