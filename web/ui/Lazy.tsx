import type { ComponentType, FunctionComponent, VNode } from "preact";
import { useEffect } from "preact/hooks";
import { prefetch, type Lazy } from "../state/lazy";

/**
 * A component that lives in a part loaded on demand (state/lazy.ts): it draws nothing until
 * that chunk is there, asking for it on first render, then draws the real one, which keeps its
 * own state from then on (or `fallback` meanwhile). A few lines instead of preact/compat's `lazy` + `Suspense` (which
 * would bring compat into the first chunk); what is drawn this way is mostly what a click opens
 * (a picker, a dialog, the voice recorder), with no space to reserve meanwhile; what is on
 * screen at once holds its place with a `fallback` (the sidebar, the invite link's button).
 */
export function lazyComponent<M, P extends object>(
  part: Lazy<M>,
  pick: (m: M) => ComponentType<P>,
  /** What shows meanwhile (a whole page: "Loading…", a placeholder of the same size); nothing by default. */
  fallback: (props: P) => VNode | null = () => null,
): FunctionComponent<P> {
  return function Lazy(props: P) {
    const m = part.module.value;
    useEffect(() => {
      if (!m) prefetch(part);
    }, [m]);
    if (!m) return fallback(props);
    const C = pick(m);
    return <C {...props} />;
  };
}
