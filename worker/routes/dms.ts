/**
 * /api/dms: the one direct-message room of two people, found or made by the
 * other person's username. Guests have no username, so nobody can DM them by
 * name; they can still start a DM with an account.
 */
import { Hono } from "hono";
import { StartDmBody, randomId } from "../protocol";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { ensureDm, findUserByUsername } from "../db/queries";
import { badRequest, jsonBody, notFound, parseOr400 } from "../http/errors";
import { announceRoomsChanged } from "../room/user-hub";
import { later, roomResponse } from "./rooms";

/** One key per pair, whoever starts it: the two user ids, sorted. Ids are base64url, so ":" never occurs in one. */
export const dmKey = (a: string, b: string) => [a, b].sort().join(":");

export const dmRoutes = new Hono<{ Bindings: Env }>().post("/", async (c) => {
  const user = await requireUser(c);
  const { username } = parseOr400(StartDmBody, await jsonBody(c));
  const d = db(c.env.DB);
  const other = await findUserByUsername(d, username);
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
  if (created) later(c, announceRoomsChanged(c.env, [user.id, other.id]));
  return c.json(await roomResponse(c.env, room, user.id, "member"), created ? 201 : 200);
});
