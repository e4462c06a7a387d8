/**
 * GET /api/search?q=…&before=…: messages of every room the person is a member of today,
 * newest first, a page at a time (worker/db/search.ts). 401 without a session, 400 for a
 * query too long or a bad cursor; whatever the words, never a syntax error: they are turned
 * into quoted FTS5 strings, and a query with nothing searchable left finds nothing.
 */
import { Hono } from "hono";
import { SearchQuery, type SearchResponse } from "../protocol";
import { requireUser } from "../auth/session";
import { db } from "../db/client";
import { ftsQuery, searchMessages } from "../db/search";
import { parseOr400 } from "../http/errors";

export const searchRoutes = new Hono<{ Bindings: Env }>().get("/", async (c) => {
  const user = await requireUser(c);
  const { q, before } = parseOr400(SearchQuery, c.req.query());
  const fts = ftsQuery(q);
  if (fts === null) return c.json({ results: [], next: null } satisfies SearchResponse);
  return c.json((await searchMessages(db(c.env.DB), user.id, fts, before ?? null)) satisfies SearchResponse);
});
