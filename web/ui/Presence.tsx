import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { Presence, PresenceStatus } from "../../worker/protocol";
import { presenceText } from "../state/presence";

/** A small dot: green online, amber away, hollow offline; its title says "last seen …". */
export function PresenceDot({ status, title }: { status: PresenceStatus; title: string }) {
  return <span class={`presence-dot ${status}`} title={title} data-presence={status} />;
}

/** The dot for a person whose presence the hub told us (nothing while unknown). */
export function PersonDot({ p, now }: { p: Presence | undefined; now: number }) {
  return p ? <PresenceDot status={p.status} title={presenceText(p, now)} /> : null;
}

/** The time, renewed every minute: "last seen 3 min ago" moves on by itself. */
export function useMinute(): number {
  const now = useSignal(Date.now());
  useEffect(() => {
    const t = setInterval(() => (now.value = Date.now()), 60_000);
    return () => clearInterval(t);
  }, []);
  return now.value;
}
