/**
 * Upload quotas, checked when an upload starts (before any byte is sent): how many uploads
 * one person has in progress, how many bytes they started in the last day, and how many
 * bytes a room's files take. A file is charged its declared size: the routes refuse any
 * byte beyond it. What counts is what is stored or being stored, so a cancelled upload, or
 * a file deleted with its message, gives its share back (it no longer takes any room in R2).
 */
import { ApiErrorCode } from "../protocol";
import { HttpError } from "../http/errors";

export interface UploadLimits {
  /** Uploads one person may have in progress at once (UPLOADS_IN_FLIGHT). */
  inFlight: number;
  /** Bytes one person may start uploading in DAY_MS (UPLOAD_BYTES_PER_DAY). */
  perDay: number;
  /** Bytes of all of a room's files (ROOM_STORAGE_BYTES). */
  room: number;
}

/** The window of the daily byte quota. */
export const DAY_MS = 24 * 3600_000;
/**
 * A pending upload started longer ago than this no longer counts as in progress: its tab was
 * most likely closed, and it should not block its uploader until the sweep discards it (after
 * 24 h). 100 MiB take under 15 minutes at 1 Mbit/s. Its bytes still count towards the day.
 */
export const IN_FLIGHT_MS = 3600_000;

export function uploadLimits(env: Env): UploadLimits {
  return {
    inFlight: Number(env.UPLOADS_IN_FLIGHT) || 10,
    perDay: Number(env.UPLOAD_BYTES_PER_DAY) || 1024 ** 3,
    room: Number(env.ROOM_STORAGE_BYTES) || 10 * 1024 ** 3,
  };
}

/** What one person and one room have in uploads right now (read after a refusal, to explain it). */
export interface UploadUsage {
  /** The person's pending uploads started within IN_FLIGHT_MS. */
  inFlight: number;
  /** Bytes of the person's uploads started within DAY_MS. */
  today: number;
  /** When the oldest of those started (null: none). */
  oldestToday: number | null;
  /** Bytes of the room's files. */
  room: number;
}

/** "1.5 MiB", "10 GiB": sizes in messages people read. */
export function bytesText(n: number): string {
  const [unit, scale] = n >= 1024 ** 3 ? ["GiB", 1024 ** 3] : n >= 1024 ** 2 ? ["MiB", 1024 ** 2] : ["KiB", 1024];
  return `${Number((n / scale).toFixed(1))} ${unit}`;
}

/**
 * Why an upload of `size` bytes was refused, given the usage read after the refusal. The room
 * first (413: no waiting helps, only deleting files), then the day's bytes (429, Retry-After: when
 * the oldest of today's uploads stops counting), else too many in progress (429; also what a
 * refusal reads as when concurrent uploads finished between the refusal and this read).
 */
export function refusal(u: UploadUsage, size: number, limits: UploadLimits, now: number): HttpError {
  if (u.room + size > limits.room) {
    return new HttpError(
      413,
      ApiErrorCode.ROOM_STORAGE_FULL,
      `this room's files take ${bytesText(u.room)} of the ${bytesText(limits.room)} it may hold; delete some files to make room`,
    );
  }
  if (u.today + size > limits.perDay) {
    const retry = Math.max(1, Math.ceil(((u.oldestToday ?? now) + DAY_MS - now) / 1000));
    return new HttpError(
      429,
      ApiErrorCode.UPLOAD_QUOTA,
      `you have uploaded ${bytesText(u.today)} in the last 24 hours, and ${bytesText(limits.perDay)} is the most per day; try again later`,
      { "retry-after": String(retry) },
    );
  }
  return new HttpError(429, ApiErrorCode.TOO_MANY_UPLOADS, `at most ${limits.inFlight} uploads can be in progress at once; wait for one to finish`);
}
