/**
 * localStorage that never throws (private mode, quota, disabled storage): what the
 * person typed and has not had acked survives reloads when storage works, and the app
 * still works when it does not.
 */
import * as v from "valibot";
import { AttachmentSchema, MAX_ATTACHMENTS, MAX_BODY, MAX_CID, ReplyQuoteSchema } from "../../worker/protocol";
import type { Pending } from "./room/list";

function get(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function set(key: string, value: string | null): void {
  try {
    if (value === null || value === "") localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Quota or disabled storage: keep going with in-memory state only.
  }
}

/**
 * Drafts and outboxes are per user and room: on a shared browser the next person to sign
 * in must neither see nor, worse, send under their own name what the last one left.
 */
const draftKey = (uid: string, roomId: string) => `chat:draft:${uid}:${roomId}`;
const outboxKey = (uid: string, roomId: string) => `chat:outbox:${uid}:${roomId}`;

export const loadDraft = (uid: string, roomId: string) => get(draftKey(uid, roomId)) ?? "";
export const saveDraft = (uid: string, roomId: string, text: string) => set(draftKey(uid, roomId), text);

/** Bump the key suffix if Pending's stored shape changes incompatibly. */
const StoredOutbox = v.array(
  v.object({
    cid: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CID)),
    text: v.pipe(v.string(), v.maxLength(MAX_BODY)),
    createdAt: v.number(),
    status: v.picklist(["sending", "failed"]),
    error: v.optional(v.string()),
    attachments: v.optional(v.pipe(v.array(AttachmentSchema), v.maxLength(MAX_ATTACHMENTS))),
    replyTo: v.optional(ReplyQuoteSchema),
  }),
);

/** The value stored at `key` as `schema` has it, or null (nothing stored, not JSON, another shape). */
export function getParsed<S extends v.GenericSchema>(key: string, schema: S): v.InferOutput<S> | null {
  const raw = get(key);
  if (!raw) return null;
  try {
    const r = v.safeParse(schema, JSON.parse(raw));
    return r.success ? r.output : null;
  } catch {
    return null;
  }
}

export const loadOutbox = (uid: string, roomId: string): Pending[] => getParsed(outboxKey(uid, roomId), StoredOutbox) ?? [];

export function saveOutbox(uid: string, roomId: string, pending: readonly Pending[]): void {
  set(outboxKey(uid, roomId), pending.length ? JSON.stringify(pending) : null);
}

/** Removes every key that starts with one of `prefixes`. */
export function removeAll(prefixes: readonly string[]): void {
  try {
    const keys: string[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (k && prefixes.some((p) => k.startsWith(p))) keys.push(k);
    }
    for (const k of keys) localStorage.removeItem(k);
  } catch {
    // Storage unavailable: nothing was stored either.
  }
}

/** On log out: what this user left in this browser goes (drafts, unsent messages). */
export const forgetUser = (uid: string) => removeAll([`chat:draft:${uid}:`, `chat:outbox:${uid}:`]);

const nameKey = "chat:name";
export const loadLastName = () => get(nameKey) ?? "";
export const saveLastName = (name: string) => set(nameKey, name);
