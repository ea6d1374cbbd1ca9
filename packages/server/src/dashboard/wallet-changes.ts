import type { ApprovedAiAllowance } from '@allowance/protocol';
import { type Store, updateWalletSettings, type WalletChanges } from '@allowance/store';

export type { WalletChanges };

// Writes of the settings page to the account's wallet row. The gateway reads the row on every
// call (walletSettings), so each change applies from the next call. Validate before writing:
// walletSettings silently ignores a price table that does not parse.

/** The account's own price overrides and exchange rates, as stored (not merged with defaults). */
export async function walletOverrides(
  store: Store,
  accountId: string,
): Promise<{ priceOverrides: unknown; exchangeRates: unknown } | undefined> {
  const row = await store.database
    .selectFrom('wallets')
    .select(['price_overrides', 'exchange_rates'])
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return (
    row && { priceOverrides: JSON.parse(row.price_overrides), exchangeRates: JSON.parse(row.exchange_rates) }
  );
}

/** Applies validated changes to the account's wallet; returns whether the wallet exists. */
export async function updateWallet(
  store: Store,
  accountId: string,
  changes: WalletChanges,
  now: number,
): Promise<boolean> {
  return updateWalletSettings(store, accountId, changes, now);
}

/**
 * Changes the wallet currency, unless a grant that is not revoked has a budget: its amounts are
 * in the old currency, and a new currency would silently change what the user approved (an
 * expired grant counts too, since the user can extend it). The check and the
 * write are one transaction, so a grant approved meanwhile cannot slip between them.
 */
export async function changeWalletCurrency(
  store: Store,
  accountId: string,
  currency: string,
  now: number,
): Promise<{ ok: true } | { ok: false; budgetedGrantIds: string[] }> {
  return store.writeTransaction(async (transaction) => {
    const grants = await transaction
      .selectFrom('grants')
      .select(['id', 'details'])
      .where('account_id', '=', accountId)
      .where('status', '!=', 'revoked')
      .where('first_token_at', 'is not', null)
      .execute();
    const budgeted = grants
      .filter((grant) => (JSON.parse(grant.details) as Partial<ApprovedAiAllowance>).budget !== undefined)
      .map((grant) => grant.id);
    if (budgeted.length > 0) return { ok: false as const, budgetedGrantIds: budgeted };
    await transaction
      .updateTable('wallets')
      .set({ currency, updated_at: now })
      .where('account_id', '=', accountId)
      .execute();
    return { ok: true as const };
  });
}
