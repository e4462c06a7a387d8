/**
 * What a message shows under its text: attachments, reaction chips, read receipts (a DM's
 * tick on ours, a group's "Seen by" avatars), and the emoji picker. Their code loads on
 * demand: the picker (EmojiPicker.tsx, with its data) when first opened (or when a pointer
 * comes over what opens it), the rest (messages/extras.tsx) when a message with some first
 * shows, and as soon as a room is opened (`prefetchMedia`, beside the room's own HTTP request
 * and before its socket's history, which comes later): not waited for, but here before the
 * first message that needs it, so no message grows after it has shown.
 */
import { lazy, prefetch } from "../state/lazy";
import { lazyComponent } from "./Lazy";

const extrasCode = lazy(() => import("./messages/extras"));
export const Attachments = lazyComponent(extrasCode, (m) => m.Attachments);
export const Reactions = lazyComponent(extrasCode, (m) => m.Reactions);
export const TickMark = lazyComponent(extrasCode, (m) => m.TickMark);
export const SeenAvatars = lazyComponent(extrasCode, (m) => m.SeenAvatars);

/** Starts fetching that code (a room is being opened). */
export const prefetchMedia = () => prefetch(extrasCode);

export const emojiCode = lazy(() => import("./EmojiPicker"));
/** The emoji picker popover (shows once its chunk is here: at once, after the first time). */
export const EmojiPicker = lazyComponent(emojiCode, (m) => m.EmojiPicker);
