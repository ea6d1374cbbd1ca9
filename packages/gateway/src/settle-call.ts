import { costOf, formatMoney, type ResolvedPrice, type Usage } from '@allowance/protocol';
import {
  type Hold,
  type LedgerTable,
  preparedQuery,
  type SettledCounter,
  type Store,
  settle,
} from '@allowance/store';

/** What the app is told after a metered call. */
export interface Billing {
  costMicros: number;
  /** Smallest money left across the grant's money limits after this call, if it has any. */
  remainingMicros: number | undefined;
}

/**
 * Settles a call (spec 06-metering §6.5): replaces its reservation with the cost of the usage
 * the provider reported (or, when it reported none, what was counted), bills at most what was
 * reserved, writes the ledger row, and reads what is left.
 */
export async function settleCall(
  store: Store,
  call: {
    id: string;
    holds: Hold[];
    price: ResolvedPrice | undefined;
    usage: Usage;
    status: LedgerTable['status'];
    httpStatus: number;
    errorCode: string | null;
    startedAt: number;
    now: number;
    /** When the provider's answer began, if it did. */
    firstByteAt?: number | undefined;
    upstreamRequestId?: string | undefined;
  },
): Promise<Billing> {
  const costMicros = call.price ? costOf(call.price, call.usage) : 0;
  const tokens =
    call.usage.inputTokens +
    call.usage.cachedInputTokens +
    call.usage.cacheWriteTokens +
    call.usage.outputTokens;
  const settled = await settle(store, {
    reservationId: call.id,
    moneyMicros: costMicros,
    tokens,
    ledger: {
      input_tokens: call.usage.inputTokens,
      cached_input_tokens: call.usage.cachedInputTokens,
      cache_write_tokens: call.usage.cacheWriteTokens,
      output_tokens: call.usage.outputTokens,
      status: call.status,
      http_status: call.httpStatus,
      error_code: call.errorCode,
      latency_ms: call.now - call.startedAt,
      started_at: call.startedAt,
      ended_at: call.now,
      first_byte_ms: call.firstByteAt === undefined ? null : call.firstByteAt - call.startedAt,
      upstream_request_id: call.upstreamRequestId ?? null,
    },
  });
  return {
    costMicros: settled?.billedMicros ?? costMicros,
    remainingMicros: settled
      ? leastLeft(call.holds, settled.counters)
      : await remainingMoney(store, call.holds),
  };
}

/** The least money left across the grant's money holds, from the counters the settlement returned. */
function leastLeft(holds: Hold[], counters: SettledCounter[]): number | undefined {
  let least: number | undefined;
  for (const hold of holds) {
    if (hold.kind !== 'money' || hold.subject.startsWith('wallet:')) continue;
    const counter = counters.find(
      (row) => row.kind === 'money' && row.subject === hold.subject && row.periodKey === hold.periodKey,
    );
    const left = counter ? counter.cap - counter.spent - counter.reserved : hold.cap;
    least = Math.min(least ?? Number.POSITIVE_INFINITY, Math.max(0, left));
  }
  return least;
}

/** The least money left across the grant's money holds (not the wallet cap, which apps do not see). */
export async function remainingMoney(store: Store, holds: Hold[]): Promise<number | undefined> {
  const money = holds.filter((hold) => hold.kind === 'money' && !hold.subject.startsWith('wallet:'));
  if (money.length === 0) return undefined;
  let least = Number.POSITIVE_INFINITY;
  for (const hold of money) {
    const row = (await moneyCounter(store.database, { subject: hold.subject, periodKey: hold.periodKey }))
      .rows[0];
    const left = row ? Number(row.cap) - Number(row.spent) - Number(row.reserved) : hold.cap;
    least = Math.min(least, Math.max(0, left));
  }
  return least;
}

const moneyCounter = preparedQuery<
  { subject: string; periodKey: string },
  { cap: number; spent: number; reserved: number }
>((database, slot) =>
  database
    .selectFrom('usage_counters')
    .select(['cap', 'spent', 'reserved'])
    .where('subject', '=', slot('subject'))
    .where('kind', '=', 'money')
    .where('period_key', '=', slot('periodKey')),
);

/** The metering headers of a call's response (spec GW: Allowance-Cost, Allowance-Remaining, Allowance-Currency). */
export function billingHeaders(billing: Billing, currency: string, priced: boolean): Record<string, string> {
  return {
    'allowance-currency': currency,
    ...(priced && { 'allowance-cost': formatMoney(billing.costMicros) }),
    ...(billing.remainingMicros !== undefined && {
      'allowance-remaining': formatMoney(billing.remainingMicros),
    }),
  };
}
