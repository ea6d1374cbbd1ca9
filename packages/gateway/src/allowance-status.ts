import { type AllowanceStatus, formatMoney, parseMoney, periodWindow } from '@allowance/protocol';
import type { Store } from '@allowance/store';
import type { GrantContext } from './load-grant.js';

/**
 * `GET /v1/allowance` (spec 05-gateway): what the app was granted and, per limit, what is spent,
 * held by calls in flight, and left in the current period. Reads per-period totals, never sums
 * over the ledger, so it costs the same with a million ledger rows.
 */
export async function allowanceStatus(
  store: Store,
  context: GrantContext,
  now: Date,
): Promise<AllowanceStatus> {
  const { grant, wallet } = context;
  const details = grant.details;
  const counter = async (kind: 'money' | 'tokens', periodKey: string) =>
    store.database
      .selectFrom('usage_counters')
      .select(['spent', 'reserved'])
      .where('subject', '=', grant.id)
      .where('kind', '=', kind)
      .where('period_key', '=', periodKey)
      .executeTakeFirst();
  const windowOf = (period: Parameters<typeof periodWindow>[0]) => {
    const window = periodWindow(period, now, wallet.timeZone);
    return {
      period,
      period_key: window.key,
      period_start: window.start?.toISOString() ?? null,
      period_end: window.end?.toISOString() ?? null,
    };
  };
  const budget = await Promise.all(
    (details.budget?.limits ?? []).map(async (limit) => {
      const window = windowOf(limit.period);
      const row = await counter('money', window.period_key);
      const spent = Number(row?.spent ?? 0);
      const reserved = Number(row?.reserved ?? 0);
      const cap = parseMoney(limit.amount);
      return {
        ...window,
        limit: formatMoney(cap),
        spent: formatMoney(spent),
        reserved: formatMoney(reserved),
        remaining: formatMoney(Math.max(0, cap - spent - reserved)),
      };
    }),
  );
  const tokens = await Promise.all(
    (details.tokens?.limits ?? []).map(async (limit) => {
      const window = windowOf(limit.period);
      const row = await counter('tokens', window.period_key);
      const used = Number(row?.spent ?? 0);
      const reserved = Number(row?.reserved ?? 0);
      return {
        ...window,
        limit: limit.tokens,
        used,
        reserved,
        remaining: Math.max(0, limit.tokens - used - reserved),
      };
    }),
  );
  return {
    object: 'allowance',
    grant_id: grant.id,
    client_id: grant.clientId,
    status: grant.status === 'suspended' ? 'suspended' : 'active',
    expires_at: details.expires_at,
    currency: wallet.currency,
    providers: details.providers,
    models: details.models,
    scopes: details.scopes ?? [],
    retention: details.retention,
    budget,
    tokens,
    max_input_per_request: details.tokens?.max_input_per_request ?? null,
    max_output_per_request: details.tokens?.max_output_per_request ?? null,
    requests_per_minute: details.rate?.requests_per_minute ?? null,
    confirm_above: details.confirm_above ? formatMoney(parseMoney(details.confirm_above.amount)) : null,
  };
}
