import { type ApprovedAiAllowance, type Period, parseMoney, periodWindow } from '@allowance/protocol';
import { type Kysely, sql } from 'kysely';
import type { Hold } from './reservations.js';
import type { Database } from './schema.js';

// A usage counter is created by the first call that holds against it, so a counter whose limit
// came into being after spend was made in its period (a wallet cap set mid-month, a week limit
// added on Thursday, a limit removed and set again) would count from zero while the ledger holds
// the period's spend. Every change of a limit therefore rebuilds the counters of the limits as
// they now stand, in their current periods, from the ledger and the reservations still open, in
// the same write transaction as the change itself (spec MTR-35).

/** One limit as a counter in its current period, and which calls count towards it. */
export interface LimitCounter {
  subject: string;
  kind: 'money' | 'tokens';
  periodKey: string;
  cap: number;
  /** The period's first instant and the next period's, in epoch ms; null for `total`. */
  start: number | null;
  end: number | null;
  /** A grant's own limit counts that grant's calls; the wallet cap counts every call of the account. */
  scope: { grantId: string } | { accountId: string };
}

/** The counters of a grant's money and token limits, in the periods that contain `now`. */
export function grantLimitCounters(
  grant: { id: string; details: Pick<ApprovedAiAllowance, 'budget' | 'tokens'> },
  timeZone: string,
  now: number,
): LimitCounter[] {
  const counters: LimitCounter[] = [];
  const window = (period: Period) => periodWindow(period, new Date(now), timeZone);
  const scope = { grantId: grant.id };
  for (const limit of grant.details.budget?.limits ?? []) {
    const { key, start, end } = window(limit.period);
    counters.push({
      subject: grant.id,
      kind: 'money',
      periodKey: key,
      cap: parseMoney(limit.amount),
      start: start?.getTime() ?? null,
      end: end?.getTime() ?? null,
      scope,
    });
  }
  for (const limit of grant.details.tokens?.limits ?? []) {
    const { key, start, end } = window(limit.period);
    counters.push({
      subject: grant.id,
      kind: 'tokens',
      periodKey: key,
      cap: limit.tokens,
      start: start?.getTime() ?? null,
      end: end?.getTime() ?? null,
      scope,
    });
  }
  return counters;
}

/** The counter of the wallet-wide monthly cap in the month that contains `now`, if a cap is set. */
export function walletCapCounter(
  accountId: string,
  capMicros: number | null,
  timeZone: string,
  now: number,
): LimitCounter | undefined {
  if (capMicros === null) return undefined;
  const { key, start, end } = periodWindow('month', new Date(now), timeZone);
  return {
    subject: `wallet:${accountId}`,
    kind: 'money',
    periodKey: key,
    cap: capMicros,
    start: start?.getTime() ?? null,
    end: end?.getTime() ?? null,
    scope: { accountId },
  };
}

/**
 * Rebuilds one counter: `spent` becomes what the ledger billed in the period (MTR-27), and
 * `reserved` what the calls still open in the period hold. An open call that was reserved before
 * this limit existed gets a hold on it too, for its worst case, so that its settlement moves this
 * counter like every other (MTR-20). Run it inside the write transaction that changes the limit.
 */
export async function resyncCounter(executor: Kysely<Database>, counter: LimitCounter): Promise<void> {
  const scoped = (column: 'started_at' | 'created_at') => {
    const conditions = [
      'grantId' in counter.scope
        ? sql<boolean>`grant_id = ${counter.scope.grantId}`
        : sql<boolean>`account_id = ${counter.scope.accountId}`,
    ];
    if (counter.start !== null) conditions.push(sql<boolean>`${sql.ref(column)} >= ${counter.start}`);
    if (counter.end !== null) conditions.push(sql<boolean>`${sql.ref(column)} < ${counter.end}`);
    return sql.join(conditions, sql` and `);
  };
  // What settlement added to the counters for each row: the cost as billed, and the tokens as
  // billed, that is the usage capped at the reservation (rows older than the reserved_tokens
  // column have 0 there, and were never capped).
  const billed =
    counter.kind === 'money'
      ? sql<number>`cost_micros`
      : sql<number>`case when reserved_tokens > 0 and input_tokens + cached_input_tokens + cache_write_tokens + output_tokens > reserved_tokens then reserved_tokens else input_tokens + cached_input_tokens + cache_write_tokens + output_tokens end`;
  const spentRow = await sql<{
    spent: number | string | null;
  }>`select sum(${billed}) as spent from ledger where ${scoped('started_at')}`.execute(executor);
  const spent = Number(spentRow.rows[0]?.spent ?? 0);

  const open = await sql<{
    id: string;
    holds: string;
    money_micros: number;
    tokens: number;
  }>`select id, holds, money_micros, tokens from reservations where ${scoped('created_at')}`.execute(
    executor,
  );
  let reserved = 0;
  for (const reservation of open.rows) {
    const holds = JSON.parse(reservation.holds) as Hold[];
    const existing = holds.find(
      (hold) =>
        hold.subject === counter.subject &&
        hold.kind === counter.kind &&
        hold.periodKey === counter.periodKey,
    );
    if (existing) {
      reserved += existing.amount;
      continue;
    }
    const amount = Number(counter.kind === 'money' ? reservation.money_micros : reservation.tokens);
    // An unpriced call holds no money and never adds to a money counter.
    if (amount === 0) continue;
    holds.push({
      subject: counter.subject,
      kind: counter.kind,
      periodKey: counter.periodKey,
      cap: counter.cap,
      amount,
    });
    await executor
      .updateTable('reservations')
      .set({ holds: JSON.stringify(holds) })
      .where('id', '=', reservation.id)
      .execute();
    reserved += amount;
  }

  await executor
    .insertInto('usage_counters')
    .values({
      subject: counter.subject,
      kind: counter.kind,
      period_key: counter.periodKey,
      cap: counter.cap,
      spent,
      reserved,
    })
    .onConflict((conflict) =>
      conflict.columns(['subject', 'kind', 'period_key']).doUpdateSet({ cap: counter.cap, spent, reserved }),
    )
    .execute();
}

/** Rebuilds every limit counter of one grant in its current periods (see {@link resyncCounter}). */
export async function resyncGrantCounters(
  executor: Kysely<Database>,
  grant: { id: string; details: Pick<ApprovedAiAllowance, 'budget' | 'tokens'> },
  timeZone: string,
  now: number,
): Promise<void> {
  for (const counter of grantLimitCounters(grant, timeZone, now)) await resyncCounter(executor, counter);
}

/**
 * Rebuilds every limit counter of an account in its current periods: the wallet cap and the
 * limits of every grant that is not revoked. For a change of the wallet's time zone, which moves
 * every period boundary (spec MTR-4), and for the upgrade that introduced the rebuild.
 */
export async function resyncAccountCounters(
  executor: Kysely<Database>,
  accountId: string,
  now: number,
): Promise<void> {
  const wallet = await executor
    .selectFrom('wallets')
    .select(['time_zone', 'monthly_cap_micros'])
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!wallet) return;
  const cap = wallet.monthly_cap_micros === null ? null : Number(wallet.monthly_cap_micros);
  const capCounter = walletCapCounter(accountId, cap, wallet.time_zone, now);
  if (capCounter) await resyncCounter(executor, capCounter);
  const grants = await executor
    .selectFrom('grants')
    .select(['id', 'details'])
    .where('account_id', '=', accountId)
    .where('status', '!=', 'revoked')
    .execute();
  for (const grant of grants) {
    const details = JSON.parse(grant.details) as ApprovedAiAllowance;
    await resyncGrantCounters(executor, { id: grant.id, details }, wallet.time_zone, now);
  }
}

/**
 * After the wallet moved to another time zone: every period boundary moved (spec MTR-4), so each
 * open call is counted in the periods of the new zone that contain the instant it was reserved,
 * the account's counters of the old zone's periods are dropped (a period of the old zone that
 * lies ahead in the new one would otherwise carry the old zone's sums into it), and the counters
 * of the current periods are rebuilt from the ledger.
 */
export async function moveCountersToTimeZone(
  executor: Kysely<Database>,
  accountId: string,
  timeZone: string,
  now: number,
): Promise<void> {
  const open = await executor
    .selectFrom('reservations')
    .select(['id', 'holds', 'created_at'])
    .where('account_id', '=', accountId)
    .execute();
  for (const reservation of open) {
    const instant = new Date(Number(reservation.created_at));
    const holds = (JSON.parse(reservation.holds) as Hold[]).map((hold) => {
      const period = hold.periodKey.split(':')[0] as Period;
      return { ...hold, periodKey: periodWindow(period, instant, timeZone).key };
    });
    await executor
      .updateTable('reservations')
      .set({ holds: JSON.stringify(holds) })
      .where('id', '=', reservation.id)
      .execute();
  }
  const grants = await executor
    .selectFrom('grants')
    .select('id')
    .where('account_id', '=', accountId)
    .where('status', '!=', 'revoked')
    .execute();
  const subjects = [`wallet:${accountId}`, ...grants.map((grant) => grant.id)];
  await executor.deleteFrom('usage_counters').where('subject', 'in', subjects).execute();
  await resyncAccountCounters(executor, accountId, now);
}
