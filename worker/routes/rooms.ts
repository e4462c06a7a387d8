/**
 * /api/rooms: the sidebar, group rooms and their administration, history and the
 * room socket. Every route authenticates (401), validates (400), then authorizes:
 * an unknown or malformed room id is 404, a non-member gets 403, and only the
 * owner administers a group room. DMs have no owner and cannot be administered,
 * left or joined.
 */
import { Hono, type Context } from "hono";
import {
  ApiErrorCode,
  Close,
  CreateRoomBody,
  HistoryQuery,
  ReadBody,
  RemoveMemberQuery,
  UpdateRoomBody,
  isRoomId,
  randomId,
  type HistoryResponse,
  type InviteResponse,
  type Message,
  type Role,
  type RoomResponse,
  type RoomsResponse,
} from "../protocol";
import { requireUser, withViewer, type Viewer } from "../auth/session";
import { db } from "../db/client";
import {
  banMember,
  createGroupRoom,
  deleteRoom,
  listBans,
  listMembers,
  markRead,
  messagesAfter,
  messagesAround,
  messagesBefore,
  pendingMultipart,
  removeMember,
  roomAccessOf,
  roomSummaries,
  roomWithMembershipOfSession,
  setInviteCode,
  unban,
  updateRoom,
  type RoomRow,
} from "../db/queries";
import { HttpError, badRequest, forbidden, jsonBody, notFound, parseOr400, unauthorized } from "../http/errors";
import { upgradeRequest } from "../room/identity";
import { announceRoomsChanged } from "../room/user-hub";
import { deleteRoomMedia } from "../media/sweep";

type Ctx = Context<{ Bindings: Env }>;

/** What a route knows once it has checked who is asking about which room. */
export interface Access {
  user: Viewer;
  room: RoomRow;
  role: Role;
  /** When this membership began (a room refuses sockets of memberships it has seen end). */
  joinedAt: number;
}

/** Authenticates, finds the room in the path (404 for malformed or unknown ids), and requires membership (403). */
export async function memberAccess(c: Ctx): Promise<Access> {
  const id = c.req.param("id") ?? "";
  // The session and the membership in one D1 round trip.
  const { viewer: user, extra } = await withViewer<Parameters<typeof roomAccessOf>[0]>(c, isRoomId(id) ? (sid, d) => roomWithMembershipOfSession(d, id, sid) : null);
  if (!user) throw unauthorized();
  const found = extra ? roomAccessOf(extra) : null;
  if (!found) throw notFound("room not found");
  if (!found.membership) throw forbidden();
  return { user, room: found.room, ...found.membership };
}

/**
 * As memberAccess, for administering a group room: a DM is 400 (`dm` says what
 * cannot be done to one), anyone but the owner 403 (`owner` says what only the owner may do).
 */
async function ownerAccess(c: Ctx, dm: string, owner: string): Promise<Access> {
  const a = await memberAccess(c);
  if (a.room.kind === "dm") throw badRequest(dm);
  if (a.role !== "owner") throw forbidden(owner);
  return a;
}

/** The room as the viewer sees it, with every member (and for its owner, the bans): the body of RoomResponse. */
export async function roomResponse(env: Env, room: RoomRow, viewerId: string, role: Role): Promise<RoomResponse> {
  const d = db(env.DB);
  const owner = room.kind === "group" && role === "owner";
  const [members, bans] = await Promise.all([listMembers(d, room.id), owner ? listBans(d, room.id) : null]);
  const other = room.kind === "dm" ? members.find((m) => m.id !== viewerId) : undefined;
  return {
    ...(bans ? { bans } : {}),
    room: {
      id: room.id,
      kind: room.kind,
      name: other?.name ?? room.name,
      topic: room.topic,
      createdBy: room.createdBy,
      createdAt: room.createdAt,
      role,
      invite: room.kind === "group" ? room.inviteCode : null,
    },
    members,
  };
}

/** Runs `work` after the response is sent (hub notifications are best effort). */
export function later(c: Ctx, work: Promise<unknown>): void {
  c.executionCtx.waitUntil(work.catch((err) => console.error("background work failed", err)));
}

/** Newest first, deduplicated by seq, at most `limit`. */
function mergePages(a: readonly Message[], b: readonly Message[], limit: number): Message[] {
  const bySeq = new Map<number, Message>();
  for (const m of [...a, ...b]) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((x, y) => y.seq - x.seq).slice(0, limit);
}

export const roomRoutes = new Hono<{ Bindings: Env }>()
  /** The sidebar: every room and DM of the user, most recent activity first. */
  .get("/", async (c) => {
    const user = await requireUser(c);
    return c.json({ rooms: await roomSummaries(db(c.env.DB), user.id) } satisfies RoomsResponse);
  })
  .post("/", async (c) => {
    const user = await requireUser(c);
    const body = parseOr400(CreateRoomBody, await jsonBody(c));
    const room: RoomRow = {
      id: randomId(),
      kind: "group",
      name: body.name ?? `${user.name}'s room`,
      topic: body.topic ?? "",
      createdBy: user.id,
      createdAt: Date.now(),
      inviteCode: randomId(),
      dmKey: null,
    };
    await createGroupRoom(db(c.env.DB), room);
    later(c, announceRoomsChanged(c.env, [user.id]));
    return c.json(await roomResponse(c.env, room, user.id, "owner"), 201);
  })
  .get("/:id", async (c) => {
    const { user, room, role } = await memberAccess(c);
    return c.json(await roomResponse(c.env, room, user.id, role));
  })
  .patch("/:id", async (c) => {
    const { user, room, role } = await ownerAccess(c, "a direct message cannot be renamed", "only the owner can rename the room or change its topic");
    const body = parseOr400(UpdateRoomBody, await jsonBody(c));
    const d = db(c.env.DB);
    await updateRoom(d, room.id, body);
    // The room tells its open clients and the hubs watching it (not every member's).
    later(c, c.env.ROOMS.getByName(room.id).roomChanged());
    const updated = { ...room, name: body.name ?? room.name, topic: body.topic ?? room.topic };
    return c.json(await roomResponse(c.env, updated, user.id, role));
  })
  .delete("/:id", async (c) => {
    const { room } = await ownerAccess(c, "a direct message cannot be deleted", "only the owner can delete the room");
    const d = db(c.env.DB);
    // The room first: it closes its sockets, refuses new ones, waits for a flush in
    // flight and wipes its storage, so nothing reaches D1 after. Then D1. Should D1
    // fail, the room is still listed (empty) and the owner can delete it again; the
    // other order could leave a live room flushing into a deleted one.
    const watching = await c.env.ROOMS.getByName(room.id).destroy();
    const uploads = await pendingMultipart(d, room.id);
    await deleteRoom(d, room.id);
    later(c, deleteRoomMedia(c.env, room.id, uploads));
    // Sidebars open elsewhere drop it now; the others no longer list it when they load.
    later(c, announceRoomsChanged(c.env, watching));
    return c.body(null, 204);
  })
  .post("/:id/invite", async (c) => {
    const { room } = await ownerAccess(c, "a direct message has no invite link", "only the owner can reset the invite link");
    const invite = randomId();
    await setInviteCode(db(c.env.DB), room.id, invite);
    return c.json({ invite } satisfies InviteResponse);
  })
  /** Removes a member; with `?ban=1` also bans them, so that no invite link lets them back in. */
  .delete("/:id/members/:userId", async (c) => {
    const { user, room } = await ownerAccess(c, "nobody can be removed from a direct message", "only the owner can remove members");
    const { ban } = parseOr400(RemoveMemberQuery, c.req.query());
    const target = c.req.param("userId");
    if (target === user.id) throw badRequest("the owner cannot be removed; delete the room instead");
    const now = Date.now();
    const d = db(c.env.DB);
    if (!(await (ban ? banMember(d, room.id, target, now) : removeMember(d, room.id, target)))) throw notFound("that person is not a member of this room");
    await c.env.ROOMS.getByName(room.id).kick(target, Close.FORBIDDEN, now, ban ? "you were removed from this room and banned from it" : "you were removed from this room");
    later(c, announceRoomsChanged(c.env, [target]));
    return c.body(null, 204);
  })
  /** Lifts a ban: the person may join again by the room's invite link. */
  .delete("/:id/bans/:userId", async (c) => {
    const { room } = await ownerAccess(c, "a direct message has no bans", "only the owner can lift a ban");
    if (!(await unban(db(c.env.DB), room.id, c.req.param("userId")))) throw notFound("that person is not banned from this room");
    return c.body(null, 204);
  })
  .post("/:id/leave", async (c) => {
    const { user, room, role } = await memberAccess(c);
    if (room.kind === "dm") throw badRequest("direct messages cannot be left");
    if (role === "owner") throw badRequest("the owner cannot leave the room; delete it instead");
    await removeMember(db(c.env.DB), room.id, user.id);
    await c.env.ROOMS.getByName(room.id).kick(user.id, Close.FORBIDDEN, Date.now(), "you left this room");
    later(c, announceRoomsChanged(c.env, [user.id]));
    return c.body(null, 204);
  })
  .post("/:id/read", async (c) => {
    const { user, room } = await memberAccess(c);
    const { seq, unread } = parseOr400(ReadBody, await jsonBody(c));
    // Clamped to what the room has actually assigned. The room's own count, not
    // D1's: the newest messages may not be flushed yet, and the reader has seen them.
    // A plain read also moves the reader's receipt in the room (only forward: receipts.ts).
    const stub = c.env.ROOMS.getByName(room.id);
    const read = seq === 0 ? 0 : unread ? Math.min(seq, await stub.lastSeq()) : await stub.read(user.id, seq, user.receipts === false);
    // "Mark as unread" moves the position back to exactly `read`; a plain read only raises it.
    await markRead(db(c.env.DB), room.id, user.id, read, unread === true);
    // The reader's other tabs and devices clear the badge too (the reader's own hub: it
    // has this app open, so it is awake; never anyone else's), or show it again.
    if (read > 0 || unread) later(c, c.env.HUBS.getByName(user.id).read({ roomId: room.id, seq: read, ...(unread ? { unread: true } : {}) }));
    return c.body(null, 204);
  })
  .get("/:id/messages", async (c) => {
    const { room } = await memberAccess(c);
    const q = parseOr400(HistoryQuery, c.req.query());
    const d = db(c.env.DB);
    // A window of history (a search result, the pages after it): D1 alone, see HistoryQuery.
    if (q.around !== undefined || q.after !== undefined) {
      const page = q.around !== undefined ? await messagesAround(d, room.id, q.around, q.limit) : await messagesAfter(d, room.id, q.after!, q.limit);
      const oldest = page[0]?.seq ?? 1;
      return c.json({ messages: page, hasMore: oldest > 1 } satisfies HistoryResponse);
    }
    const before = q.before ?? null;
    const fromD1 = await messagesBefore(d, room.id, before, q.limit);
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
    const { user, room, joinedAt } = await memberAccess(c);
    return c.env.ROOMS.getByName(room.id).fetch(
      upgradeRequest(c.req.url, { id: user.id, name: user.name, sid: user.sid, until: user.until, room: room.id, memberSince: joinedAt, hidesReads: user.receipts === false, dm: room.kind === "dm" }),
    );
  });
