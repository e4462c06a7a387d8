/**
 * localStorage that never throws (private mode, quota, disabled storage): what the
 * person typed and has not had acked survives reloads when storage works, and the app
 * still works when it does not.
 */
import * as v from "valibot";
import { MAX_BODY, MAX_CID } from "../../worker/protocol";
import type { Pending } from "./messages";

function get(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function set(key: string, value: string | null): void {
  try {
    if (value === null || value === "") localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Quota or disabled storage: keep going with in-memory state only.
  }
}

const draftKey = (roomId: string) => `chat:draft:${roomId}`;
const outboxKey = (roomId: string) => `chat:outbox:${roomId}`;

export const loadDraft = (roomId: string) => get(draftKey(roomId)) ?? "";
export const saveDraft = (roomId: string, text: string) => set(draftKey(roomId), text);

/** Bump the key suffix if Pending's stored shape changes incompatibly. */
const StoredOutbox = v.array(
  v.object({
    cid: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CID)),
    text: v.pipe(v.string(), v.maxLength(MAX_BODY)),
    createdAt: v.number(),
    status: v.picklist(["sending", "failed"]),
    error: v.optional(v.string()),
  }),
);

export function loadOutbox(roomId: string): Pending[] {
  const raw = get(outboxKey(roomId));
  if (!raw) return [];
  try {
    const r = v.safeParse(StoredOutbox, JSON.parse(raw));
    return r.success ? r.output : [];
  } catch {
    return [];
  }
}

export function saveOutbox(roomId: string, pending: readonly Pending[]): void {
  set(outboxKey(roomId), pending.length ? JSON.stringify(pending) : null);
}

const nameKey = "chat:name";
export const loadLastName = () => get(nameKey) ?? "";
export const saveLastName = (name: string) => set(nameKey, name);
