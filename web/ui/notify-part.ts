import { lazy } from "../state/lazy";

/** The notifications part (Notifications.tsx): loaded once the shell shows, never before a room can. */
export const notifyPart = lazy(() => import("./Notifications"));
