import { randomBytes } from 'node:crypto';
import { checkProviderBaseUrl } from '@allowance/protocol';
import { credentialSealContext, type Sealer, type Store } from '@allowance/store';
import { z } from 'zod';

/** The providers the wallet knows how to reach without being told a base URL. */
export const KNOWN_PROVIDERS: Readonly<
  Record<string, { api: 'openai' | 'anthropic'; baseUrl: string; label: string }>
> = {
  openai: { api: 'openai', baseUrl: 'https://api.openai.com/v1', label: 'OpenAI' },
  anthropic: { api: 'anthropic', baseUrl: 'https://api.anthropic.com', label: 'Anthropic' },
  deepseek: { api: 'openai', baseUrl: 'https://api.deepseek.com/v1', label: 'DeepSeek' },
};

/** What a user submits to store a credential. */
export const credentialInputSchema = z.object({
  providerId: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a lowercase id such as "openai" or "acme-gateway"'),
  apiKey: z.string().trim().min(8, 'looks too short to be an API key').max(4096),
  /** Required for providers the wallet does not know; optional (overrides the default) otherwise. */
  baseUrl: z
    .url()
    .refine((value) => /^https?:\/\//.test(value), 'must be an http or https URL')
    .optional(),
  api: z.enum(['openai', 'anthropic']).optional(),
  label: z.string().trim().max(80).optional(),
  /**
   * The owner's explicit choice that this provider is on their private network, which lets the
   * gateway send this key to a private address (spec SEC-8 rule 2). Off unless given.
   */
  privateNetwork: z.boolean().default(false),
});

/** A stored credential as the user and the consent screen see it: never the key itself. */
export interface CredentialSummary {
  providerId: string;
  api: 'openai' | 'anthropic';
  baseUrl: string;
  label: string;
  keyLastFour: string;
  updatedAt: number;
  /** The owner chose that this provider is on their private network (spec SEC-8 rule 2). */
  privateNetwork: boolean;
  /**
   * Why the gateway refuses to send this key to its base URL, for a key stored before the wallet
   * checked base URLs (spec SEC-7, SEC-8); the owner must fix it. Absent when it is usable.
   */
  needsFix?: string;
}

/**
 * Stores (or replaces) a provider key, sealed with AES-256-GCM under the master key and bound to
 * this account and provider. Only the last four characters are kept in clear, for display.
 * A base URL the gateway must not send the key to is refused with a message saying what to fix:
 * `http` except to a loopback host (spec SEC-7); link-local, metadata, unspecified, broadcast or
 * multicast addresses; private ones unless `privateNetwork` (spec SEC-8).
 */
export async function saveCredential(
  store: Store,
  sealer: Sealer,
  accountId: string,
  input: z.input<typeof credentialInputSchema>,
  now: number,
): Promise<{ ok: true; summary: CredentialSummary } | { ok: false; message: string }> {
  const parsed = credentialInputSchema.safeParse(input);
  if (!parsed.success)
    return {
      ok: false,
      message: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    };
  const { providerId, apiKey, label, privateNetwork } = parsed.data;
  const known = KNOWN_PROVIDERS[providerId];
  const baseUrl = (parsed.data.baseUrl ?? known?.baseUrl)?.replace(/\/+$/, '');
  const api = parsed.data.api ?? known?.api;
  if (!baseUrl || !api) {
    return {
      ok: false,
      message: `"${providerId}" is not a provider the wallet knows: give its base URL and API family.`,
    };
  }
  const destination = checkProviderBaseUrl(baseUrl, { privateNetworkAllowed: privateNetwork });
  if (!destination.ok) return { ok: false, message: `baseUrl: ${destination.message}` };
  const row = {
    api,
    base_url: baseUrl,
    label: label || known?.label || providerId,
    sealed_key: sealer.seal(apiKey, credentialSealContext(accountId, providerId)),
    key_last_four: apiKey.slice(-4),
    updated_at: now,
    private_network: privateNetwork ? 1 : 0,
  };
  await store.database
    .insertInto('provider_credentials')
    .values({
      id: `cred_${randomBytes(12).toString('base64url')}`,
      account_id: accountId,
      provider_id: providerId,
      created_at: now,
      ...row,
    })
    .onConflict((conflict) => conflict.columns(['account_id', 'provider_id']).doUpdateSet(row))
    .execute();
  return {
    ok: true,
    summary: {
      providerId,
      api,
      baseUrl,
      label: row.label,
      keyLastFour: row.key_last_four,
      updatedAt: now,
      privateNetwork,
    },
  };
}

/**
 * An account's stored credentials, without their keys; each one the gateway would refuse to send
 * (stored before base URLs were checked) says why in `needsFix`.
 */
export async function listCredentials(store: Store, accountId: string): Promise<CredentialSummary[]> {
  const rows = await store.database
    .selectFrom('provider_credentials')
    .select(['provider_id', 'api', 'base_url', 'label', 'key_last_four', 'updated_at', 'private_network'])
    .where('account_id', '=', accountId)
    .orderBy('provider_id')
    .execute();
  return rows.map((row) => {
    const privateNetwork = Number(row.private_network) === 1;
    const destination = checkProviderBaseUrl(row.base_url, { privateNetworkAllowed: privateNetwork });
    return {
      providerId: row.provider_id,
      api: row.api,
      baseUrl: row.base_url,
      label: row.label,
      keyLastFour: row.key_last_four,
      updatedAt: Number(row.updated_at),
      privateNetwork,
      ...(destination.ok ? {} : { needsFix: destination.message }),
    };
  });
}

/** Deletes a credential; returns whether there was one. */
export async function deleteCredential(
  store: Store,
  accountId: string,
  providerId: string,
): Promise<boolean> {
  const result = await store.database
    .deleteFrom('provider_credentials')
    .where('account_id', '=', accountId)
    .where('provider_id', '=', providerId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
