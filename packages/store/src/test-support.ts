import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from './database.js';

/** A store on a fresh SQLite file in a temporary folder, removed on dispose. */
export async function temporaryStore(): Promise<Store & { path: string }> {
  const folder = mkdtempSync(join(tmpdir(), 'allowance-store-'));
  const path = join(folder, 'wallet.sqlite');
  const store = await openStore({ sqlite: path });
  return {
    ...store,
    path,
    close: async () => {
      await store.close();
      rmSync(folder, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: async () => {
      await store.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Inserts a live grant row for tests. */
export async function insertGrant(
  store: Store,
  id: string,
  overrides: Partial<{ status: 'active' | 'suspended' | 'revoked'; expires_at: number }> = {},
) {
  await store.database
    .insertInto('grants')
    .values({
      id,
      account_id: 'account-1',
      client_id: 'client-1',
      oidc_grant_id: null,
      details: '{}',
      status: overrides.status ?? 'active',
      status_reason: null,
      require_dpop: 0,
      ip_allowlist: '[]',
      remember: 0,
      created_at: 0,
      updated_at: 0,
      expires_at: overrides.expires_at ?? Date.UTC(2100, 0, 1),
    })
    .execute();
}

/** Inserts account-1's wallet row for tests. */
export async function insertWallet(
  store: Store,
  overrides: Partial<{
    currency: string;
    time_zone: string;
    exchange_rates: string;
    monthly_cap_micros: number | null;
  }> = {},
) {
  await store.database
    .insertInto('wallets')
    .values({
      account_id: 'account-1',
      currency: overrides.currency ?? 'EUR',
      time_zone: overrides.time_zone ?? 'Europe/Paris',
      price_overrides: '{}',
      exchange_rates: overrides.exchange_rates ?? '{}',
      monthly_cap_micros: overrides.monthly_cap_micros ?? null,
      updated_at: 1,
    })
    .execute();
}
