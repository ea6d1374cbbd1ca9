import type { ApprovedAiAllowance, GrantStatus } from '@allowance/protocol';
import { type ExpressionBuilder, sql } from 'kysely';
import type { Store } from './database.js';
import { resyncGrantCounters } from './limit-counters.js';
import type { Database, LedgerTable } from './schema.js';

// Reads and writes of the user's dashboard. Every function takes the account id and filters by
// it, so one user's page can never read or change another's rows by guessing ids.

/** One usage counter: spent and reserved against a limit in one period. */
export interface UsageCounter {
  subject: string;
  kind: 'money' | 'tokens';
  periodKey: string;
  cap: number;
  spent: number;
  reserved: number;
}

/** The counters of these subjects (grant ids) in these periods: one indexed read, never the ledger. */
export async function usageCounters(
  store: Store,
  subjects: readonly string[],
  periodKeys: readonly string[],
): Promise<UsageCounter[]> {
  if (subjects.length === 0 || periodKeys.length === 0) return [];
  const rows = await store.database
    .selectFrom('usage_counters')
    .selectAll()
    .where('subject', 'in', [...subjects])
    .where('period_key', 'in', [...periodKeys])
    .execute();
  return rows.map((row) => ({
    subject: row.subject,
    kind: row.kind,
    periodKey: row.period_key,
    cap: Number(row.cap),
    spent: Number(row.spent),
    reserved: Number(row.reserved),
  }));
}

/** A ledger row as the dashboard shows it. */
export type LedgerEntry = LedgerTable;

/** Calls of one day (by index into the boundaries), one app and one model, summed. */
export interface DailyTotal {
  day: number;
  clientId: string;
  model: string;
  calls: number;
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  costMicros: number;
}

/**
 * The account's calls summed per day, app and model. `boundaries` are the instants where days
 * start (n + 1 instants for n days, computed in the wallet's time zone by the caller), so the
 * read is bounded by the window and served by the (account_id, started_at) index.
 */
export async function dailyLedgerTotals(
  store: Store,
  accountId: string,
  boundaries: readonly number[],
): Promise<DailyTotal[]> {
  const first = boundaries[0];
  const last = boundaries.at(-1);
  if (first === undefined || last === undefined || boundaries.length < 2) return [];
  const calls = store.database
    .selectFrom('ledger')
    .select((builder) => {
      let day = builder
        .case()
        .when('started_at', '<', boundaries[1] as number)
        .then(0);
      for (let index = 2; index < boundaries.length; index += 1) {
        day = day.when('started_at', '<', boundaries[index] as number).then(index - 1);
      }
      return [
        day.end().as('day'),
        'client_id',
        'model',
        'input_tokens',
        'cached_input_tokens',
        'cache_write_tokens',
        'output_tokens',
        'cost_micros',
      ];
    })
    .where('account_id', '=', accountId)
    .where('started_at', '>=', first)
    .where('started_at', '<', last)
    .as('calls');
  const rows = await store.database
    .selectFrom(calls)
    .select((builder) => [
      'calls.day',
      'calls.client_id',
      'calls.model',
      builder.fn.countAll<number>().as('calls'),
      builder.fn.sum<number>('calls.input_tokens').as('input_tokens'),
      builder.fn.sum<number>('calls.cached_input_tokens').as('cached_input_tokens'),
      builder.fn.sum<number>('calls.cache_write_tokens').as('cache_write_tokens'),
      builder.fn.sum<number>('calls.output_tokens').as('output_tokens'),
      builder.fn.sum<number>('calls.cost_micros').as('cost_micros'),
    ])
    .groupBy(['calls.day', 'calls.client_id', 'calls.model'])
    .orderBy('calls.day')
    .orderBy('calls.client_id')
    .orderBy('calls.model')
    .execute();
  return rows.map((row) => ({
    day: Number(row.day),
    clientId: row.client_id,
    model: row.model,
    calls: Number(row.calls),
    inputTokens: Number(row.input_tokens),
    cachedInputTokens: Number(row.cached_input_tokens),
    cacheWriteTokens: Number(row.cache_write_tokens),
    outputTokens: Number(row.output_tokens),
    costMicros: Number(row.cost_micros),
  }));
}

/** What the account's calls cost between two instants (start inclusive), in micros. */
export async function ledgerSpendBetween(
  store: Store,
  accountId: string,
  start: number,
  end: number,
): Promise<number> {
  const row = await store.database
    .selectFrom('ledger')
    .select((builder) => builder.fn.sum<number>('cost_micros').as('total'))
    .where('account_id', '=', accountId)
    .where('started_at', '>=', start)
    .where('started_at', '<', end)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** Where a page of the activity log starts: after (older than) or before (newer than) a row. */
export interface LedgerCursor {
  startedAt: number;
  id: string;
  direction: 'older' | 'newer';
}

/** One page of the activity log, newest first, and whether there is more on either side. */
export interface LedgerPage {
  rows: LedgerEntry[];
  hasOlder: boolean;
  hasNewer: boolean;
}

type LedgerBuilder = ExpressionBuilder<Database, 'ledger'>;
const olderThan = (row: { startedAt: number; id: string }) => (builder: LedgerBuilder) =>
  builder.or([
    builder('started_at', '<', row.startedAt),
    builder.and([builder('started_at', '=', row.startedAt), builder('id', '<', row.id)]),
  ]);
const newerThan = (row: { startedAt: number; id: string }) => (builder: LedgerBuilder) =>
  builder.or([
    builder('started_at', '>', row.startedAt),
    builder.and([builder('started_at', '=', row.startedAt), builder('id', '>', row.id)]),
  ]);

/** Which of the account's calls a page lists, and where it starts. */
export interface LedgerPageOptions {
  grantId?: string | undefined;
  clientId?: string | undefined;
  model?: string | undefined;
  cursor?: LedgerCursor | undefined;
  size: number;
}

/**
 * A page of the account's metered calls, optionally of one grant, app or model. Keyset paging
 * on (started_at, id): a page costs the same at the millionth row as at the first.
 */
export async function ledgerPage(
  store: Store,
  accountId: string,
  options: LedgerPageOptions,
): Promise<LedgerPage> {
  const base = () => {
    let query = store.database.selectFrom('ledger').selectAll().where('account_id', '=', accountId);
    if (options.grantId) query = query.where('grant_id', '=', options.grantId);
    if (options.clientId) query = query.where('client_id', '=', options.clientId);
    if (options.model) query = query.where('model', '=', options.model);
    return query;
  };
  const exists = async (condition: (builder: LedgerBuilder) => ReturnType<LedgerBuilder['or']>) =>
    (await base().where(condition).select('id').limit(1).executeTakeFirst()) !== undefined;
  const { cursor, size } = options;
  if (cursor?.direction === 'newer') {
    const rows = await base()
      .where(newerThan(cursor))
      .orderBy('started_at', 'asc')
      .orderBy('id', 'asc')
      .limit(size + 1)
      .execute();
    const page = rows.slice(0, size).reverse();
    const oldest = page.at(-1);
    return {
      rows: page,
      hasNewer: rows.length > size,
      hasOlder: oldest
        ? await exists(olderThan({ startedAt: Number(oldest.started_at), id: oldest.id }))
        : false,
    };
  }
  let query = base();
  if (cursor) query = query.where(olderThan(cursor));
  const rows = await query
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(size + 1)
    .execute();
  const page = rows.slice(0, size);
  const newest = page[0];
  return {
    rows: page,
    hasOlder: rows.length > size,
    hasNewer:
      cursor && newest
        ? await exists(newerThan({ startedAt: Number(newest.started_at), id: newest.id }))
        : false,
  };
}

/**
 * Moves one of the account's grants from one status to another (suspend, resume); returns
 * whether it was in `from`. A revoked grant never moves: revocation is final.
 */
export async function changeGrantStatus(
  store: Store,
  change: {
    grantId: string;
    accountId: string;
    from: GrantStatus;
    to: GrantStatus;
    reason: string | null;
    now: number;
  },
): Promise<boolean> {
  if (change.from === 'revoked') return false;
  const result = await store.database
    .updateTable('grants')
    .set({ status: change.to, status_reason: change.reason, updated_at: change.now })
    .where('id', '=', change.grantId)
    .where('account_id', '=', change.accountId)
    .where('status', '=', change.from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Replaces the approved allowance of one of the account's live (not revoked) grants, and its
 * expiry with it. `previous` is the details the caller checked the change against: if the grant
 * changed in between, nothing is written and `false` comes back (compare and set). In the same
 * transaction the grant's limits version moves on, so a call planned against the old limits is
 * planned again (spec MTR-34), and the new limits' counters are rebuilt from the ledger, so they
 * count all spend already made in their periods (spec MTR-35).
 */
export async function replaceGrantDetails(
  store: Store,
  change: {
    grantId: string;
    accountId: string;
    previous: ApprovedAiAllowance;
    details: ApprovedAiAllowance;
    now: number;
  },
): Promise<boolean> {
  return store.writeTransaction(async (transaction) => {
    const row = await transaction
      .selectFrom('grants')
      .leftJoin('wallets', 'wallets.account_id', 'grants.account_id')
      .select(['grants.details', 'grants.status', 'wallets.time_zone'])
      .where('grants.id', '=', change.grantId)
      .where('grants.account_id', '=', change.accountId)
      .executeTakeFirst();
    if (!row || row.status === 'revoked' || row.details !== JSON.stringify(change.previous)) return false;
    await transaction
      .updateTable('grants')
      .set({
        details: JSON.stringify(change.details),
        expires_at: Date.parse(change.details.expires_at),
        updated_at: change.now,
        limits_version: sql<number>`limits_version + 1`,
      })
      .where('id', '=', change.grantId)
      .execute();
    if (row.time_zone !== null) {
      await resyncGrantCounters(
        transaction,
        { id: change.grantId, details: change.details },
        row.time_zone,
        change.now,
      );
    }
    return true;
  });
}
