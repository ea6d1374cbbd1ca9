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
  /** The owner chose that this provider is on their private network (spec SEC-8 rule 2). */
  privateNetwork: boolean;
}

/** A provider's key as stored: sealed, with where it is used. */
export interface SealedCredential {
  providerId: string;
  sealed_key: string;
  base_url: string;
  api: 'openai' | 'anthropic';
  /** The owner's private-network choice for this key (spec SEC-8 rule 2). */
  private_network: boolean;
}

/**
 * The decrypted key of a provider key read with its grant (`findGrantWithWallet`), for the
 * gateway's forward step only: it must never reach a response or a log line.
 */
export function openSealedCredential(
  sealer: Sealer,
  accountId: string,
  credential: SealedCredential,
): { apiKey: string; baseUrl: string; api: 'openai' | 'anthropic'; privateNetwork: boolean } {
  return {
    apiKey: unsealed(sealer, credential.sealed_key, credentialSealContext(accountId, credential.providerId)),
    baseUrl: credential.base_url,
    api: credential.api,
    privateNetwork: credential.private_network,
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
