/**
 * A part of the app that loads on demand: a dynamic `import()`, which the build turns into
 * a chunk of its own (scripts/build-web.mjs, code splitting). `module` is null until the
 * chunk has loaded, then the module, so what reads it follows; `load()` starts the fetch
 * (once) and resolves with the module. A load that fails (offline, or a deploy removed the
 * chunk this page knew) is forgotten, so the next `load()` fetches again.
 */
import { signal, type ReadonlySignal } from "@preact/signals";

export type Lazy<M> = {
  readonly module: ReadonlySignal<M | null>;
  load(): Promise<M>;
};

export function lazy<M>(importer: () => Promise<M>): Lazy<M> {
  const module = signal<M | null>(null);
  let pending: Promise<M> | null = null;
  return {
    module,
    load() {
      pending ??= importer().then(
        (m) => (module.value = m),
        (e: unknown) => {
          pending = null;
          throw e;
        },
      );
      return pending;
    },
  };
}

/** For loads nobody waits on (a prefetch, a part drawn once it is there): say why it failed. */
export function loadFailed(e: unknown): void {
  console.error("Couldn't load a part of the app:", e);
}

/** Starts loading `part` ahead of need (a pointer on its button, a ring that may be accepted). */
export function prefetch(part: Lazy<unknown>): void {
  part.load().catch(loadFailed);
}
