import type { RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";

/**
 * Files dropped anywhere on the conversation (the `.chat` section around `inside`) go to
 * `onFiles`; while files are dragged over it, it has the class `dropping`. Other drags
 * (text, links) are left to the browser.
 */
export function useFileDrop(inside: RefObject<HTMLElement | null>, onFiles: (files: File[]) => void): void {
  // The latest callback, without re-binding the listeners on every render.
  const latest = useRef(onFiles);
  latest.current = onFiles;
  useEffect(() => {
    const zone = inside.current?.closest(".chat") as HTMLElement | null;
    if (!zone) return;
    // dragenter/dragleave fire for every child crossed: count them to know when we really left.
    let depth = 0;
    const hasFiles = (e: DragEvent) => !!e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files");
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      zone.classList.add("dropping");
    };
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer!.dropEffect = "copy";
    };
    const leave = () => {
      if (--depth <= 0) {
        depth = 0;
        zone.classList.remove("dropping");
      }
    };
    const drop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      zone.classList.remove("dropping");
      latest.current(Array.from(e.dataTransfer!.files));
    };
    zone.addEventListener("dragenter", enter);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", leave);
    zone.addEventListener("drop", drop);
    return () => {
      zone.removeEventListener("dragenter", enter);
      zone.removeEventListener("dragover", over);
      zone.removeEventListener("dragleave", leave);
      zone.removeEventListener("drop", drop);
    };
  }, []);
}
