import { Hono, type Context } from "hono";
import {
  CreateRoomBody,
  HistoryQuery,
  isRoomId,
  randomId,
  ApiErrorCode,
  type HistoryResponse,
  type Message,
  type Peer,
  type Room,
  type RoomResponse,
} from "../protocol";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { addMember, createRoom, findRoom, isMember, listMembers, messagesBefore } from "../db/queries";
import { HttpError, forbidden, jsonBody, notFound, parseOr400 } from "../http/errors";
import { upgradeRequest } from "../room/identity";

type Ctx = Context<{ Bindings: Env }>;

/** Authenticates, then finds the room named in the path (404 for malformed or unknown ids). */
async function roomFor(c: Ctx): Promise<{ user: Peer; room: Room }> {
  const user = await requireUser(c);
  const id = c.req.param("id") ?? "";
  const room = isRoomId(id) ? await findRoom(db(c.env.DB), id) : null;
  if (!room) throw notFound("room not found");
  return { user, room };
}

/** As roomFor, and the user must be a member (403 otherwise). */
async function memberRoomFor(c: Ctx): Promise<{ user: Peer; room: Room }> {
  const r = await roomFor(c);
  if (!(await isMember(db(c.env.DB), r.room.id, r.user.id))) throw forbidden();
  return r;
}

/** Newest first, deduplicated by seq, at most `limit`. */
function mergePages(a: readonly Message[], b: readonly Message[], limit: number): Message[] {
  const bySeq = new Map<number, Message>();
  for (const m of [...a, ...b]) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((x, y) => y.seq - x.seq).slice(0, limit);
}

export const roomRoutes = new Hono<{ Bindings: Env }>()
  .post("/", async (c) => {
    const user = await requireUser(c);
    const body = parseOr400(CreateRoomBody, await jsonBody(c));
    const room: Room = { id: randomId(), name: body.name ?? `${user.name}'s room`, createdBy: user.id, createdAt: Date.now() };
    await createRoom(db(c.env.DB), room);
    return c.json({ room, members: [user] } satisfies RoomResponse, 201);
  })
  .get("/:id", async (c) => {
    const { room } = await memberRoomFor(c);
    return c.json({ room, members: await listMembers(db(c.env.DB), room.id) } satisfies RoomResponse);
  })
  // Joining by link: in this version a room's link is its invitation.
  .post("/:id/join", async (c) => {
    const { user, room } = await roomFor(c);
    const d = db(c.env.DB);
    await addMember(d, room.id, user.id);
    return c.json({ room, members: await listMembers(d, room.id) } satisfies RoomResponse);
  })
  .get("/:id/messages", async (c) => {
    const { room } = await memberRoomFor(c);
    const q = parseOr400(HistoryQuery, c.req.query());
    const before = q.before ?? null;
    const fromD1 = await messagesBefore(db(c.env.DB), room.id, before, q.limit);
    // D1 is the record for everything the room has flushed. The newest rows may
    // still be only in the room's log (the flush runs a moment after the ack),
    // so ask the room when D1's page does not start right below `before`.
    const top = fromD1[0]?.seq;
    const complete = before !== null && top === before - 1;
    const page = complete ? fromD1 : mergePages(fromD1, await c.env.ROOMS.getByName(room.id).page(before, q.limit), q.limit);
    const oldest = page.at(-1)?.seq ?? 1;
    return c.json({ messages: page.reverse(), hasMore: oldest > 1 } satisfies HistoryResponse);
  })
  .get("/:id/ws", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new HttpError(426, ApiErrorCode.UPGRADE_REQUIRED, "expected a WebSocket upgrade");
    }
    const { user, room } = await memberRoomFor(c);
    return c.env.ROOMS.getByName(room.id).fetch(upgradeRequest(c.req.url, { ...user, room: room.id }));
  });
