/**
 * Pushes a room's news to members with no app open, with the room's announcements (after a
 * flush, at most once per ANNOUNCE_GAP_MS: flush.ts pushRound; never on the message path): one
 * D1 query for the targets, at most one push per subscription per round (the newest message
 * that notifies its person), `Topic` = the room so that a burst
 * collapses at the push service, bounded concurrency, and a 404/410 deletes the subscription.
 */
import { db } from "../db/client";
import { deletePushSubscriptions, pushTargets, type PushTarget } from "../db/notify-queries";
import { fromBase64Url, notifies, preview, shouldNotify, type Message, type PushPayload } from "../protocol";
import { importVapid, pushRequest, type Vapid } from "./webpush";

/** Pushes in flight at once from one room. */
const CONCURRENCY = 6;
/** How long a push service keeps a push for a device that is offline, seconds. */
export const PUSH_TTL_S = 24 * 3600;
const PUSH_TIMEOUT_MS = 10_000;

export interface PushReport {
  /** Subscriptions pushed to (2xx). */
  sent: number;
  /** Subscriptions deleted after a 404/410. */
  gone: number;
  failed: number;
}

export const vapidOf = (env: Env): Promise<Vapid | null> => importVapid(env.VAPID_PUBLIC_KEY, env.VAPID_PRIVATE_KEY, env.VAPID_SUBJECT);

/** The newest of `fresh` (oldest first) that notifies the target's person, if any. */
export function messageFor(t: PushTarget, fresh: readonly Message[]): Message | null {
  // No mutedUntil here: pushTargets has left out muted rooms.
  const level = notifies({ level: t.level, mutedUntil: 0 }, t.kind, t.members, 0);
  for (let i = fresh.length - 1; i >= 0; i--) {
    const m = fresh[i]!;
    if (m.deleted || m.call) continue;
    if (shouldNotify(m, t.userId, t.kind, level)) return m;
  }
  return null;
}

export function payloadOf(roomId: string, t: PushTarget, m: Message): PushPayload {
  return {
    roomId,
    title: t.kind === "dm" ? m.name : t.roomName,
    kind: t.kind,
    seq: m.seq,
    sender: m.name,
    text: preview(m.text, m.attachments?.length ?? 0),
    ts: m.ts,
  };
}

/**
 * Pushes the messages of a round (`fresh`, oldest first) to the members who
 * should hear of them. `skip`: users with a socket open in the room (they see it already).
 */
export async function pushNews(env: Env, roomId: string, fresh: readonly Message[], skip: readonly string[], now: number): Promise<PushReport> {
  const report: PushReport = { sent: 0, gone: 0, failed: 0 };
  if (fresh.length === 0) return report;
  const vapid = await vapidOf(env);
  if (!vapid) return report;
  const d = db(env.DB);
  const jobs: Array<() => Promise<void>> = [];
  const gone: string[] = [];
  for (const t of await pushTargets(d, roomId, skip, now)) {
    const m = messageFor(t, fresh);
    const p256dh = fromBase64Url(t.p256dh);
    const auth = fromBase64Url(t.auth);
    if (!m || !p256dh || !auth) continue;
    const payload = new TextEncoder().encode(JSON.stringify(payloadOf(roomId, t, m)));
    jobs.push(async () => {
      const req = await pushRequest(vapid, { endpoint: t.endpoint, p256dh, auth, payload, ttl: PUSH_TTL_S, urgency: t.kind === "dm" ? "high" : "normal", topic: roomId }, now);
      try {
        const res = await fetch(req, { signal: AbortSignal.timeout(PUSH_TIMEOUT_MS) });
        await res.body?.cancel();
        if (res.ok) report.sent++;
        else if (res.status === 404 || res.status === 410) gone.push(t.id);
        else {
          report.failed++;
          console.warn(`push: ${res.status} from ${new URL(t.endpoint).origin}`);
        }
      } catch (err) {
        report.failed++;
        console.warn(`push: ${new URL(t.endpoint).origin} failed`, err);
      }
    });
  }
  await pool(jobs, CONCURRENCY);
  await deletePushSubscriptions(d, gone);
  report.gone = gone.length;
  return report;
}

/** Runs `jobs` with at most `n` at a time. */
async function pool(jobs: ReadonlyArray<() => Promise<void>>, n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
}
