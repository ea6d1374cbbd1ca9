import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialSealContext, openSealedCredential } from './credentials.js';
import { findGrantWithWallet } from './grant-context.js';
import { createSealer, generateMasterKey } from './sealing.js';
import { insertGrant, insertWallet, temporaryStore } from './test-support.js';

type TestStore = Awaited<ReturnType<typeof temporaryStore>>;
let store: TestStore;
const sealer = createSealer(generateMasterKey());

async function storeKey(providerId: string, api: 'openai' | 'anthropic', apiKey: string) {
  await store.database
    .insertInto('provider_credentials')
    .values({
      id: `credential-${providerId}`,
      account_id: 'account-1',
      provider_id: providerId,
      api,
      base_url: `http://127.0.0.1:1/${providerId}`,
      label: providerId,
      sealed_key: sealer.seal(apiKey, credentialSealContext('account-1', providerId)),
      key_last_four: apiKey.slice(-4),
      created_at: 1,
      updated_at: 1,
    })
    .execute();
}

beforeEach(async () => {
  store = await temporaryStore();
  await insertGrant(store, 'grant-1');
});
afterEach(async () => {
  await store.close();
});

describe('findGrantWithWallet', () => {
  it('reads the grant, its wallet and every provider key of the account at once', async () => {
    await insertWallet(store);
    await storeKey('openai', 'openai', 'sk-openai-1111');
    await storeKey('anthropic', 'anthropic', 'sk-ant-2222');

    const found = await findGrantWithWallet(store, 'grant-1');
    expect(found?.grant).toMatchObject({ id: 'grant-1', accountId: 'account-1', status: 'active' });
    expect(found?.wallet).toMatchObject({
      currency: 'EUR',
      timeZone: 'Europe/Paris',
      monthlyCapMicros: null,
    });
    expect(found?.providers).toEqual([
      { providerId: 'anthropic', api: 'anthropic', baseUrl: 'http://127.0.0.1:1/anthropic' },
      { providerId: 'openai', api: 'openai', baseUrl: 'http://127.0.0.1:1/openai' },
    ]);
    // The keys stay sealed until opened.
    const sealed = found?.credentials.get('openai');
    expect(JSON.stringify(sealed)).not.toContain('sk-openai');
    expect(sealed && openSealedCredential(sealer, 'account-1', sealed)).toEqual({
      apiKey: 'sk-openai-1111',
      baseUrl: 'http://127.0.0.1:1/openai',
      api: 'openai',
    });
    // Sealed to this account: the same text does not open as another account's key.
    expect(() => sealed && openSealedCredential(sealer, 'account-2', sealed)).toThrow();
  });

  it('gives no providers for an account without keys, no wallet without a wallet row, nothing for an unknown grant', async () => {
    const found = await findGrantWithWallet(store, 'grant-1');
    expect(found?.grant.id).toBe('grant-1');
    expect(found?.wallet).toBeUndefined();
    expect(found?.providers).toEqual([]);
    expect(found?.credentials.size).toBe(0);
    expect(await findGrantWithWallet(store, 'nobody')).toBeUndefined();
  });
});
