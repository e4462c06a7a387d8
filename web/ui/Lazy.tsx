import type { ComponentType, FunctionComponent, VNode } from "preact";
import { useEffect } from "preact/hooks";
import { prefetch, type Lazy } from "../state/lazy";

/**
 * A component that lives in a part loaded on demand (state/lazy.ts): it draws nothing until
 * that chunk is there, asking for it on first render, then draws the real one, which keeps its
 * own state from then on (or `fallback` meanwhile). A few lines instead of preact/compat's `lazy` + `Suspense` (which
 * would bring compat into the first chunk); what is drawn this way is what a click opens (a
 * picker, a dialog, the voice recorder), so there is no space to reserve meanwhile.
 */
export function lazyComponent<M, P extends object>(
  part: Lazy<M>,
  pick: (m: M) => ComponentType<P>,
  /** What shows meanwhile (a whole page: "Loading…"); nothing by default. */
  fallback: () => VNode | null = () => null,
): FunctionComponent<P> {
  return function Lazy(props: P) {
    const m = part.module.value;
    useEffect(() => {
      if (!m) prefetch(part);
    }, [m]);
    if (!m) return fallback();
    const C = pick(m);
    return <C {...props} />;
  };
}
