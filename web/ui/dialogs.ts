/**
 * Dialog.tsx, for the first chunk: the dialogs open on a click, so their code loads with the
 * first one opened (the other dialogs are in chunks that import Dialog.tsx themselves).
 */
import { lazy } from "../state/lazy";
import { lazyComponent } from "./Lazy";

const dialogCode = lazy(() => import("./Dialog"));
export const ConfirmDialog = lazyComponent(dialogCode, (m) => m.ConfirmDialog);
