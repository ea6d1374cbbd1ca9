import { randomBytes } from 'node:crypto';
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
});

/** A stored credential as the user and the consent screen see it: never the key itself. */
export interface CredentialSummary {
  providerId: string;
  api: 'openai' | 'anthropic';
  baseUrl: string;
  label: string;
  keyLastFour: string;
  updatedAt: number;
}

/**
 * Stores (or replaces) a provider key, sealed with AES-256-GCM under the master key and bound to
 * this account and provider. Only the last four characters are kept in clear, for display.
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
  const { providerId, apiKey, label } = parsed.data;
  const known = KNOWN_PROVIDERS[providerId];
  const baseUrl = (parsed.data.baseUrl ?? known?.baseUrl)?.replace(/\/+$/, '');
  const api = parsed.data.api ?? known?.api;
  if (!baseUrl || !api) {
    return {
      ok: false,
      message: `"${providerId}" is not a provider the wallet knows: give its base URL and API family.`,
    };
  }
  const row = {
    api,
    base_url: baseUrl,
    label: label || known?.label || providerId,
    sealed_key: sealer.seal(apiKey, credentialSealContext(accountId, providerId)),
    key_last_four: apiKey.slice(-4),
    updated_at: now,
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
    summary: { providerId, api, baseUrl, label: row.label, keyLastFour: row.key_last_four, updatedAt: now },
  };
}

/** An account's stored credentials, without their keys. */
export async function listCredentials(store: Store, accountId: string): Promise<CredentialSummary[]> {
  const rows = await store.database
    .selectFrom('provider_credentials')
    .select(['provider_id', 'api', 'base_url', 'label', 'key_last_four', 'updated_at'])
    .where('account_id', '=', accountId)
    .orderBy('provider_id')
    .execute();
  return rows.map((row) => ({
    providerId: row.provider_id,
    api: row.api,
    baseUrl: row.base_url,
    label: row.label,
    keyLastFour: row.key_last_four,
    updatedAt: Number(row.updated_at),
  }));
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
