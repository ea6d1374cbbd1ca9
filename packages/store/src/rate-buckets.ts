import { sql } from 'kysely';
import type { Store } from './database.js';

/**
 * One request, in the bucket's units: a bucket of `perMinute` refills by `perMinute` units a
 * millisecond, so every step is an integer multiplication, with no division to round.
 */
const ONE = 60_000;

/**
 * Takes one request from a grant's token bucket (spec MTR-28): capacity `perMinute`, refilled
 * continuously at `perMinute` a minute, full when first used. Returns 0 when a request was
 * taken, else the milliseconds until one is free. The bucket lives in the wallet's database so
 * every gateway replica draws from the same one; the take is one conditional UPDATE, so
 * concurrent takes from any number of replicas never overdraw it. Plain SQL (CASE, integer
 * arithmetic) that SQLite and PostgreSQL both run.
 */
export async function takeFromRateBucket(
  store: Store,
  grantId: string,
  perMinute: number,
  now: number,
): Promise<number> {
  const capacity = perMinute * ONE;
  await store.database
    .insertInto('rate_buckets')
    .values({ grant_id: grantId, units: capacity, updated_at: now })
    .onConflict((conflict) => conflict.column('grant_id').doNothing())
    .execute();
  const unbounded = sql<number>`units + (${now} - updated_at) * ${perMinute}`;
  const refilled = sql<number>`(case when ${unbounded} > ${capacity} then ${capacity} else ${unbounded} end)`;
  const taken = await store.database
    .updateTable('rate_buckets')
    .set({ units: sql`${refilled} - ${ONE}`, updated_at: now })
    .where('grant_id', '=', grantId)
    .where(refilled, '>=', ONE)
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 1) return 0;
  const bucket = await store.database
    .selectFrom('rate_buckets')
    .select(refilled.as('available'))
    .where('grant_id', '=', grantId)
    .executeTakeFirst();
  const missing = ONE - Math.max(0, Number(bucket?.available ?? 0));
  return Math.max(1, Math.ceil(missing / perMinute));
}
