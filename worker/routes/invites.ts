/**
 * /api/invites/:code: invite links (/join/<code>). Anyone may look at where a
 * link leads; joining needs a session (guest or account). A code stops working
 * the moment the owner resets it, no code lets in someone the owner banned, and
 * DMs have none.
 */
import { Hono } from "hono";
import { ApiErrorCode, type InvitePreviewResponse } from "../protocol";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { findRoom, findRoomByInvite, isBanned, joinByInvite, memberCount, roleIn, type RoomRow } from "../db/queries";
import { HttpError, notFound } from "../http/errors";
import { announceRoomsChanged } from "../room/user-hub";
import { later, roomResponse } from "./rooms";

/**
 * Codes made by randomId() (128 bits, base64url), or by migration 0001 for rooms
 * older than invite links (128 bits, lowercase hex). Checked before any query.
 */
const INVITE_CODE_RE = /^(?:[A-Za-z0-9_-]{22}|[0-9a-f]{32})$/;

const invalid = () => notFound("This invite link is invalid or has been reset.");

async function roomForCode(d1: D1Database, code: string): Promise<RoomRow> {
  const room = INVITE_CODE_RE.test(code) ? await findRoomByInvite(db(d1), code) : null;
  if (!room || room.kind !== "group") throw invalid();
  return room;
}

export const inviteRoutes = new Hono<{ Bindings: Env }>()
  .get("/:code", async (c) => {
    const room = await roomForCode(c.env.DB, c.req.param("code"));
    const preview: InvitePreviewResponse = {
      room: { id: room.id, name: room.name, topic: room.topic, memberCount: await memberCount(db(c.env.DB), room.id) },
    };
    return c.json(preview);
  })
  .post("/:code/join", async (c) => {
    const user = await requireUser(c);
    const code = c.req.param("code");
    if (!INVITE_CODE_RE.test(code)) throw invalid();
    const d = db(c.env.DB);
    const joined = await joinByInvite(d, code, user.id);
    if (joined) {
      later(c, announceRoomsChanged(c.env, [user.id]));
      later(c, c.env.ROOMS.getByName(joined).membersChanged());
    }
    // Idempotent: joining again (or as the owner) changes nothing and answers the same.
    const room = joined ? await findRoom(d, joined) : await findRoomByInvite(d, code);
    const role = room && (await roleIn(d, room.id, user.id));
    if (room && !role && (await isBanned(d, room.id, user.id))) {
      throw new HttpError(403, ApiErrorCode.BANNED, "You can't join this room: its owner has banned you.");
    }
    if (!room || !role) throw invalid();
    return c.json(await roomResponse(c.env, room, user.id, role));
  });
