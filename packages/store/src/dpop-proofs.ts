import { createHash } from 'node:crypto';
import type { Store } from './database.js';

/**
 * Records that a gateway accepted a DPoP proof (its `<jkt>:<jti>`) until `expiresAt`; returns
 * `true` the first time, `false` when a replica already holds it unexpired (a replay, spec
 * DPOP-13). One statement, so two replicas racing with the same proof cannot both win: the
 * insert either creates the row, takes over an expired one, or changes nothing.
 */
export async function rememberDpopProof(
  store: Store,
  key: string,
  expiresAt: number,
  now: number,
): Promise<boolean> {
  const keyHash = createHash('sha256').update(key).digest('base64url');
  const result = await store.database
    .insertInto('dpop_proofs')
    .values({ key_hash: keyHash, expires_at: expiresAt })
    .onConflict((conflict) =>
      conflict
        .column('key_hash')
        .doUpdateSet({ expires_at: expiresAt })
        .where('dpop_proofs.expires_at', '<=', now),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** Drops proofs whose window has ended; returns how many. */
export async function sweepDpopProofs(store: Store, now: number): Promise<number> {
  const result = await store.database
    .deleteFrom('dpop_proofs')
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
