import { type AnomalyPolicy, DEFAULT_PRICES, type PriceTable, priceTableSchema } from '@allowance/protocol';
import type { Selectable } from 'kysely';
import type { Store } from './database.js';
import { preparedQuery } from './prepared-query.js';
import type { WalletsTable } from './schema.js';

/** One account's wallet settings, with the price table already merged over the defaults. */
export interface WalletSettings {
  currency: string;
  timeZone: string;
  prices: PriceTable;
  exchangeRates: Record<string, string>;
  monthlyCapMicros: number | null;
  /** Moves on every change of the cap or the time zone; a reservation planned at another version is refused (spec MTR-34). */
  limitsVersion: number;
  /** The owner's own thresholds for suspending a grant (spec SEC-4); the rest are the wallet's defaults. */
  anomaly: Partial<AnomalyPolicy>;
}

/** The wallet columns of the owner's anomaly thresholds. */
export type AnomalyColumns = {
  anomaly_burst_calls: number | null;
  anomaly_burst_seconds: number | null;
  anomaly_spend_micros: number | null;
  anomaly_spend_seconds: number | null;
};

/** The owner's thresholds from their columns: only those set. */
function anomalyFromRow(row: AnomalyColumns): Partial<AnomalyPolicy> {
  const policy: Partial<AnomalyPolicy> = {};
  if (row.anomaly_burst_calls !== null) policy.burstCalls = Number(row.anomaly_burst_calls);
  if (row.anomaly_burst_seconds !== null) policy.burstWindowSeconds = Number(row.anomaly_burst_seconds);
  if (row.anomaly_spend_micros !== null) policy.spendMicros = Number(row.anomaly_spend_micros);
  if (row.anomaly_spend_seconds !== null) policy.spendWindowSeconds = Number(row.anomaly_spend_seconds);
  return policy;
}

/** The account's settings; the shipped prices overlaid with the user's own, model by model. */
export async function walletSettings(store: Store, accountId: string): Promise<WalletSettings | undefined> {
  const row = (await walletRow(store.database, { accountId })).rows[0];
  return row && walletFromRow(row);
}

/** A wallet's settings from its stored row. */
export function walletFromRow(
  row: Pick<
    WalletsTable,
    'currency' | 'time_zone' | 'price_overrides' | 'exchange_rates' | 'monthly_cap_micros'
  > & { limits_version: number } & AnomalyColumns,
): WalletSettings {
  return {
    currency: row.currency,
    timeZone: row.time_zone,
    prices: mergedPrices(row.price_overrides),
    exchangeRates: parsedRates(row.exchange_rates),
    monthlyCapMicros: row.monthly_cap_micros === null ? null : Number(row.monthly_cap_micros),
    limitsVersion: Number(row.limits_version),
    anomaly: anomalyFromRow(row),
  };
}

const walletRow = preparedQuery<{ accountId: string }, Selectable<WalletsTable>>((database, slot) =>
  database.selectFrom('wallets').selectAll().where('account_id', '=', slot('accountId')),
);

// The gateway reads the wallet on every call; merging and validating the price table each time
// was a measurable share of it (BENCHMARKS.md, "Profiling and fixes"). The result depends on the stored text only, so it is
// kept by that text (a user's change is new text), frozen because every caller shares it.
const pricesByOverrides = new Map<string, PriceTable>();
const ratesByText = new Map<string, Record<string, string>>();
const CACHE_LIMIT = 1_000;

function mergedPrices(overridesText: string): PriceTable {
  const cached = pricesByOverrides.get(overridesText);
  if (cached) return cached;
  const overrides = priceTableSchema.safeParse(JSON.parse(overridesText));
  const prices: PriceTable = structuredClone(DEFAULT_PRICES);
  for (const [provider, models] of Object.entries(overrides.success ? overrides.data : {})) {
    prices[provider] = { ...prices[provider], ...models };
  }
  for (const models of Object.values(prices)) {
    for (const price of Object.values(models)) Object.freeze(price);
    Object.freeze(models);
  }
  Object.freeze(prices);
  if (pricesByOverrides.size >= CACHE_LIMIT) pricesByOverrides.clear();
  pricesByOverrides.set(overridesText, prices);
  return prices;
}

function parsedRates(text: string): Record<string, string> {
  const cached = ratesByText.get(text);
  if (cached) return cached;
  const rates = Object.freeze(JSON.parse(text) as Record<string, string>);
  if (ratesByText.size >= CACHE_LIMIT) ratesByText.clear();
  ratesByText.set(text, rates);
  return rates;
}
