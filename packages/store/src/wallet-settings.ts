import { DEFAULT_PRICES, type PriceTable, priceTableSchema } from '@allowance/protocol';
import type { Store } from './database.js';

/** One account's wallet settings, with the price table already merged over the defaults. */
export interface WalletSettings {
  currency: string;
  timeZone: string;
  prices: PriceTable;
  exchangeRates: Record<string, string>;
  monthlyCapMicros: number | null;
}

/** The account's settings; the shipped prices overlaid with the user's own, model by model. */
export async function walletSettings(store: Store, accountId: string): Promise<WalletSettings | undefined> {
  const row = await store.database
    .selectFrom('wallets')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!row) return undefined;
  const overrides = priceTableSchema.safeParse(JSON.parse(row.price_overrides));
  const prices: PriceTable = structuredClone(DEFAULT_PRICES);
  for (const [provider, models] of Object.entries(overrides.success ? overrides.data : {})) {
    prices[provider] = { ...prices[provider], ...models };
  }
  return {
    currency: row.currency,
    timeZone: row.time_zone,
    prices,
    exchangeRates: JSON.parse(row.exchange_rates) as Record<string, string>,
    monthlyCapMicros: row.monthly_cap_micros === null ? null : Number(row.monthly_cap_micros),
  };
}
