import type { AnomalyPolicy } from '@allowance/protocol';
import { sql } from 'kysely';
import type { Store } from './database.js';
import { moveCountersToTimeZone, resyncCounter, walletCapCounter } from './limit-counters.js';

/** Changes to a wallet's settings; what is left out stays as it is. Validate before calling. */
export interface WalletChanges {
  timeZone?: string;
  /** The account's own price table, merged over the defaults when read. */
  priceOverrides?: unknown;
  exchangeRates?: Record<string, string>;
  /** The wallet-wide monthly cap in micros; null removes it. */
  monthlyCapMicros?: number | null;
  /** The owner's thresholds for suspending a grant (spec SEC-4); null goes back to the defaults. */
  anomaly?: AnomalyPolicy | null;
}

/**
 * Applies validated changes to the account's wallet; returns whether the wallet exists. A new
 * cap or time zone moves the wallet's limits version on, so a call planned against the old one
 * is planned again (spec MTR-34), and rebuilds the counters it affects from the ledger in the
 * same transaction, so the cap counts everything already spent this month (spec MTR-35): the
 * cap's own counter for a cap, every limit's counter for a time zone, which moves every period
 * boundary (spec MTR-4).
 */
export async function updateWalletSettings(
  store: Store,
  accountId: string,
  changes: WalletChanges,
  now: number,
): Promise<boolean> {
  const limitsChange = changes.monthlyCapMicros !== undefined || changes.timeZone !== undefined;
  return store.writeTransaction(async (transaction) => {
    const result = await transaction
      .updateTable('wallets')
      .set({
        updated_at: now,
        ...(changes.timeZone !== undefined && { time_zone: changes.timeZone }),
        ...(changes.priceOverrides !== undefined && {
          price_overrides: JSON.stringify(changes.priceOverrides),
        }),
        ...(changes.exchangeRates !== undefined && { exchange_rates: JSON.stringify(changes.exchangeRates) }),
        ...(changes.monthlyCapMicros !== undefined && { monthly_cap_micros: changes.monthlyCapMicros }),
        ...(limitsChange && { limits_version: sql<number>`limits_version + 1` }),
        ...(changes.anomaly !== undefined && {
          anomaly_burst_calls: changes.anomaly?.burstCalls ?? null,
          anomaly_burst_seconds: changes.anomaly?.burstWindowSeconds ?? null,
          anomaly_spend_micros: changes.anomaly?.spendMicros ?? null,
          anomaly_spend_seconds: changes.anomaly?.spendWindowSeconds ?? null,
        }),
      })
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    if (changes.timeZone !== undefined) {
      await moveCountersToTimeZone(transaction, accountId, changes.timeZone, now);
    } else if (changes.monthlyCapMicros !== undefined) {
      const wallet = await transaction
        .selectFrom('wallets')
        .select('time_zone')
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      const counter = walletCapCounter(accountId, changes.monthlyCapMicros, wallet.time_zone, now);
      if (counter) await resyncCounter(transaction, counter);
    }
    return true;
  });
}
