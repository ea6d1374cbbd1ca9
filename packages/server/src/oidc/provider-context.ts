import { AsyncLocalStorage } from 'node:async_hooks';

/** Runs one request through oidc-provider. */
export type InsideProvider = <T>(request: () => Promise<T>) => Promise<T>;

/**
 * oidc-provider keeps each request's context in one AsyncLocalStorage (its `lib/helpers/als.js`).
 * Before Node 24 an AsyncLocalStorage that has run once keeps an async hook on for every promise
 * of the process: in `allowance serve`, from the first OAuth request on, every metered call paid
 * for it (about 2 % of the CPU and 35 KB of garbage a call in a profile; BENCHMARKS.md, "Profiling and fixes").
 * So the storage is turned off each time the last request in the provider has finished; the
 * provider's next request turns it on again, as `run` does. Nothing outside the provider reads
 * that storage.
 */
export function insideProvider(
  storage: Pick<AsyncLocalStorage<unknown>, 'disable'> | undefined,
): InsideProvider {
  let inside = 0;
  return async (request) => {
    inside += 1;
    try {
      return await request();
    } finally {
      inside -= 1;
      if (inside === 0) storage?.disable();
    }
  };
}

// A variable, so TypeScript does not look for types of a module the package does not declare.
const PROVIDER_STORAGE_MODULE = 'oidc-provider/lib/helpers/als.js';

/** oidc-provider's request context storage, or undefined if this version keeps it elsewhere. */
export async function providerContextStorage(): Promise<AsyncLocalStorage<unknown> | undefined> {
  try {
    // Not part of oidc-provider's documented interface; the package has no export map, so the
    // path resolves to the very module its provider uses. A later version that moves it only
    // loses the speed-up.
    const module = (await import(PROVIDER_STORAGE_MODULE)) as { default?: unknown };
    return module.default instanceof AsyncLocalStorage ? module.default : undefined;
  } catch {
    return undefined;
  }
}
