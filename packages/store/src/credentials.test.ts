import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialSealContext, openSealedCredential } from './credentials.js';
import { findGrantWithWallet } from './grant-context.js';
import { createSealer, generateMasterKey } from './sealing.js';
import { insertGrant, insertWallet, temporaryStore } from './test-support.js';
import { walletSettings } from './wallet-settings.js';

type TestStore = Awaited<ReturnType<typeof temporaryStore>>;
let store: TestStore;
const sealer = createSealer(generateMasterKey());

async function storeKey(apiKey: string, now: number) {
  const sealed = sealer.seal(apiKey, credentialSealContext('account-1', 'openai'));
  await store.database
    .insertInto('provider_credentials')
    .values({
      id: 'credential-1',
      account_id: 'account-1',
      provider_id: 'openai',
      api: 'openai',
      base_url: 'http://127.0.0.1:1/v1',
      label: 'test',
      sealed_key: sealed,
      key_last_four: apiKey.slice(-4),
      created_at: now,
      updated_at: now,
    })
    .onConflict((conflict) =>
      conflict
        .column('id')
        .doUpdateSet({ sealed_key: sealed, key_last_four: apiKey.slice(-4), updated_at: now }),
    )
    .execute();
}

beforeEach(async () => {
  store = await temporaryStore();
});
afterEach(async () => {
  await store.close();
});

describe('openSealedCredential', () => {
  /** The account's OpenAI key as the gateway opens it: read with the grant, opened to forward. */
  const opened = async (by = sealer) => {
    const sealed = (await findGrantWithWallet(store, 'grant-1'))?.credentials.get('openai');
    return sealed && openSealedCredential(by, 'account-1', sealed).apiKey;
  };

  it('opens the key stored now: a replaced key reaches the very next call', async () => {
    await insertGrant(store, 'grant-1');
    await storeKey('sk-first-1111', 1);
    expect(await opened()).toBe('sk-first-1111');
    expect(await opened()).toBe('sk-first-1111');
    await storeKey('sk-second-2222', 2);
    expect(await opened()).toBe('sk-second-2222');
    await store.database.deleteFrom('provider_credentials').execute();
    expect(await opened()).toBeUndefined();
  });

  it('does not open with another master key', async () => {
    await insertGrant(store, 'grant-1');
    await storeKey('sk-first-1111', 1);
    await expect(opened(createSealer(generateMasterKey()))).rejects.toThrow();
  });
});

describe('walletSettings', () => {
  it('follows the stored price overrides, and shares nothing a caller could change', async () => {
    await insertWallet(store, { exchange_rates: '{"USD":"0.92"}', monthly_cap_micros: 5_000_000 });
    const before = await walletSettings(store, 'account-1');
    expect(before).toMatchObject({
      currency: 'EUR',
      exchangeRates: { USD: '0.92' },
      monthlyCapMicros: 5_000_000,
    });
    expect(Object.isFrozen(before?.prices)).toBe(true);
    const price = { currency: 'USD', input: '9.00', output: '9.00' };
    await store.database
      .updateTable('wallets')
      .set({ price_overrides: JSON.stringify({ openai: { 'my-model': price } }) })
      .execute();
    const after = await walletSettings(store, 'account-1');
    expect(after?.prices.openai?.['my-model']).toMatchObject(price);
    expect(before?.prices.openai?.['my-model']).toBeUndefined();
  });
});
