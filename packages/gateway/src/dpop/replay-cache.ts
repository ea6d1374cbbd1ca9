/**
 * Remembers the DPoP proofs a gateway has accepted, so that a proof presented again within its
 * acceptance window is refused as a replay (RFC 9449 §11.1, spec [DPOP-13]). Replicas that share
 * one cache (the wallet's storage) see each other's proofs.
 *
 * Implementations must insert atomically: when two calls race with the same key, exactly one
 * resolves to `true`.
 */
export interface DpopReplayCache {
  /**
   * Records a proof identifier until `expiresAt` (epoch milliseconds). Returns `true` if it was
   * not already held unexpired (first seen), `false` if it was (a replay). The DPoP verifier
   * passes the proof's `jti` qualified by its key's thumbprint, `<jkt>:<jti>`, at most 300
   * characters.
   */
  remember(jti: string, expiresAt: number): boolean | Promise<boolean>;
}

/** An in-memory {@link DpopReplayCache}, which can report how many entries it holds. */
export interface MemoryReplayCache extends DpopReplayCache {
  /** Entries held, including expired ones not yet dropped. */
  readonly size: number;
}

/** Options of {@link memoryReplayCache}. */
export interface MemoryReplayCacheOptions {
  /** The most entries held at once; default 100,000. */
  maxEntries?: number;
  /** The clock, in epoch milliseconds; default `Date.now`. */
  now?: () => number;
}

const DEFAULT_MAX_ENTRIES = 100_000;

/** How often, at most, a full cache scans for expired entries (clock milliseconds). */
const FULL_SWEEP_INTERVAL = 1_000;

/**
 * A bounded replay cache for one gateway process (tests, or a single replica).
 *
 * Entries leave when they expire. Insertion order is nearly expiry order (every entry lives for
 * the same window after its `iat`), so a queue of insertions lets each call drop expired entries
 * from the oldest end at constant amortized cost. When the cache is full it first drops every
 * expired entry (a full scan, at most once a second, so a flood cannot make each call cost one),
 * and only then forgets the oldest live entries: a bound on memory is worth more than
 * remembering the proofs closest to the end of their window.
 *
 * @example
 * const verifyDpop = createDpopVerifier({ replayCache: memoryReplayCache({ maxEntries: 50_000 }) });
 */
export function memoryReplayCache(options: MemoryReplayCacheOptions = {}): MemoryReplayCache {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError('memoryReplayCache: maxEntries must be a positive integer');
  }
  const now = options.now ?? Date.now;
  const expiries = new Map<string, number>();
  // Insertions, oldest first. An entry whose key has since left `expiries`, or was remembered
  // again, is stale and skipped. (A Map alone will not do: V8 leaves a hole for each deleted
  // entry, so repeatedly finding the oldest one would cost a walk over every hole.)
  let insertions: { key: string; expiresAt: number }[] = [];
  let oldest = 0;
  let lastFullSweep = Number.NEGATIVE_INFINITY;

  const forgetOldest = () => {
    const entry = insertions[oldest++];
    if (entry !== undefined && expiries.get(entry.key) === entry.expiresAt) expiries.delete(entry.key);
  };
  const compact = () => {
    if (insertions.length - oldest > 2 * maxEntries + 1024) {
      // Mostly stale entries: rebuild from the map, which iterates in insertion order.
      insertions = Array.from(expiries, ([key, expiresAt]) => ({ key, expiresAt }));
      oldest = 0;
    } else if (oldest > 1024 && oldest * 2 > insertions.length) {
      insertions = insertions.slice(oldest);
      oldest = 0;
    }
  };
  const makeRoom = (time: number) => {
    if (time - lastFullSweep >= FULL_SWEEP_INTERVAL) {
      lastFullSweep = time;
      for (const [key, expiresAt] of expiries) if (expiresAt <= time) expiries.delete(key);
    }
    while (expiries.size >= maxEntries && oldest < insertions.length) forgetOldest();
  };

  return {
    get size() {
      return expiries.size;
    },
    remember(jti, expiresAt) {
      const time = now();
      while (oldest < insertions.length && (insertions[oldest]?.expiresAt ?? time) <= time) forgetOldest();
      const held = expiries.get(jti);
      if (held !== undefined && held > time) return false;
      expiries.delete(jti);
      // Already outside its window: nothing to remember it for.
      if (!(expiresAt > time)) return true;
      if (expiries.size >= maxEntries) makeRoom(time);
      expiries.set(jti, expiresAt);
      insertions.push({ key: jti, expiresAt });
      compact();
      return true;
    },
  };
}
