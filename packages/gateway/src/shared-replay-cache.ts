import { rememberDpopProof, type Store } from '@allowance/store';
import { type DpopReplayCache, memoryReplayCache } from './dpop/index.js';

/**
 * The DPoP replay record every replica shares (spec DPOP-13): the wallet's database decides
 * whether a proof was seen before, by any replica. This replica's memory answers its own
 * replays first, without a database write.
 */
export function sharedReplayCache(store: Store, now: () => number): DpopReplayCache {
  const local = memoryReplayCache({ now });
  return {
    async remember(key, expiresAt) {
      if (!(await local.remember(key, expiresAt))) return false;
      return rememberDpopProof(store, key, expiresAt, now());
    },
  };
}
