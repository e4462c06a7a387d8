/**
 * Read receipts (issue 10, item 5): how far each member of a room has read and how far
 * messages have reached one of their devices. The room keeps these positions and sends
 * them, coalesced, as `receipts` frames (worker/room/receipts.ts).
 *
 * Privacy (the WhatsApp rule): a person with "Send read receipts" off shares no read
 * position, and sees no one else's either: to them, and about them, entries carry only
 * `delivered`.
 */
import * as v from "valibot";

const Seq = v.pipe(v.number(), v.integer(), v.minValue(0));

/** One member's position: every message up to `delivered` reached them; up to `read`, they have seen it (absent: not shared). */
export const ReceiptSchema = v.object({ id: v.string(), delivered: Seq, read: v.optional(Seq) });
export type Receipt = v.InferOutput<typeof ReceiptSchema>;

/** Body of PUT /api/me/receipts: the viewer's own setting, and nobody else's. */
export const ReceiptsSettingBody = v.object({ on: v.boolean("on must be true or false") });
export type ReceiptsSettingBody = v.InferOutput<typeof ReceiptsSettingBody>;

export const ReceiptsSettingResponse = v.object({ on: v.boolean() });
export type ReceiptsSettingResponse = v.InferOutput<typeof ReceiptsSettingResponse>;
