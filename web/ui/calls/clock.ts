/** A ticking clock for the call view and the ongoing-call bar (in the call chunk). */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";

/** Date.now() as state, ticking every second while `on`. */
export function useNow(on: boolean): number {
  const now = useSignal(Date.now());
  useEffect(() => {
    if (!on) return;
    now.value = Date.now();
    const t = setInterval(() => (now.value = Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return now.value;
}
