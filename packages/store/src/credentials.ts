import type { Store } from './database.js';
import type { Sealer } from './sealing.js';

/**
 * The associated data a provider key is sealed with: a sealed key copied to another account's
 * row, or to another provider, does not open there.
 */
export function credentialSealContext(accountId: string, providerId: string): string {
  return `provider-key:${accountId}:${providerId}`;
}

/** A provider the account has a key for, without the key. */
export interface ConfiguredProvider {
  providerId: string;
  api: 'openai' | 'anthropic';
  baseUrl: string;
}

/** The providers an account has keys for. */
export async function configuredProviders(store: Store, accountId: string): Promise<ConfiguredProvider[]> {
  const rows = await store.database
    .selectFrom('provider_credentials')
    .select(['provider_id', 'api', 'base_url'])
    .where('account_id', '=', accountId)
    .execute();
  return rows.map((row) => ({ providerId: row.provider_id, api: row.api, baseUrl: row.base_url }));
}

/**
 * The decrypted key for one provider, for the gateway's forward step only: it must never reach
 * a response or a log line.
 */
export async function openCredential(
  store: Store,
  sealer: Sealer,
  accountId: string,
  providerId: string,
): Promise<{ apiKey: string; baseUrl: string; api: 'openai' | 'anthropic' } | undefined> {
  const row = await store.database
    .selectFrom('provider_credentials')
    .select(['sealed_key', 'base_url', 'api'])
    .where('account_id', '=', accountId)
    .where('provider_id', '=', providerId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    apiKey: sealer.unseal(row.sealed_key, credentialSealContext(accountId, providerId)),
    baseUrl: row.base_url,
    api: row.api,
  };
}
