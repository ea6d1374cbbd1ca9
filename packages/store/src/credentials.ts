import type { Store } from './database.js';
import { preparedQuery } from './prepared-query.js';
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
  const { rows } = await providersOf(store.database, { accountId });
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
  const row = (await credentialOf(store.database, { accountId, providerId })).rows[0];
  return row && openSealedCredential(sealer, accountId, { ...row, providerId });
}

/** A provider's key as stored: sealed, with where it is used. */
export interface SealedCredential {
  providerId: string;
  sealed_key: string;
  base_url: string;
  api: 'openai' | 'anthropic';
}

/** Opens a key already read from the database (see {@link openCredential}). */
export function openSealedCredential(
  sealer: Sealer,
  accountId: string,
  credential: SealedCredential,
): { apiKey: string; baseUrl: string; api: 'openai' | 'anthropic' } {
  return {
    apiKey: unsealed(sealer, credential.sealed_key, credentialSealContext(accountId, credential.providerId)),
    baseUrl: credential.base_url,
    api: credential.api,
  };
}

// Opening a key is an AES-GCM decryption on every call. The sealed text is the row's version: a
// replaced key is new sealed text (a fresh nonce each time it is sealed), so a key opened once is
// kept, per sealer, by its sealed text and context, and a change reaches the very next call.
// It stays in this process's memory only, as the sealer's master key does.
const openedKeys = new WeakMap<Sealer, Map<string, string>>();
const OPENED_LIMIT = 1_000;

function unsealed(sealer: Sealer, sealedKey: string, context: string): string {
  let opened = openedKeys.get(sealer);
  if (!opened) {
    opened = new Map();
    openedKeys.set(sealer, opened);
  }
  const cacheKey = `${context}\u0000${sealedKey}`;
  const cached = opened.get(cacheKey);
  if (cached !== undefined) return cached;
  const apiKey = sealer.unseal(sealedKey, context);
  if (opened.size >= OPENED_LIMIT) opened.clear();
  opened.set(cacheKey, apiKey);
  return apiKey;
}

const providersOf = preparedQuery<
  { accountId: string },
  { provider_id: string; api: 'openai' | 'anthropic'; base_url: string }
>((database, slot) =>
  database
    .selectFrom('provider_credentials')
    .select(['provider_id', 'api', 'base_url'])
    .where('account_id', '=', slot('accountId')),
);

const credentialOf = preparedQuery<
  { accountId: string; providerId: string },
  { sealed_key: string; base_url: string; api: 'openai' | 'anthropic' }
>((database, slot) =>
  database
    .selectFrom('provider_credentials')
    .select(['sealed_key', 'base_url', 'api'])
    .where('account_id', '=', slot('accountId'))
    .where('provider_id', '=', slot('providerId')),
);
