import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialSealContext, openSealedCredential } from './credentials.js';
import { findGrantWithWallet } from './grant-context.js';
import { changesGrantContext } from './grant-context-freshness.js';
import { revokeGrant } from './grants.js';
import { createSealer, generateMasterKey } from './sealing.js';
import { insertGrant, insertWallet, temporaryStore } from './test-support.js';

type TestStore = Awaited<ReturnType<typeof temporaryStore>>;
let store: TestStore;
const sealer = createSealer(generateMasterKey());

async function storeKey(
  providerId: string,
  api: 'openai' | 'anthropic',
  apiKey: string,
  privateNetwork?: number,
) {
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
      ...(privateNetwork === undefined ? {} : { private_network: privateNetwork }),
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
      {
        providerId: 'anthropic',
        api: 'anthropic',
        baseUrl: 'http://127.0.0.1:1/anthropic',
        privateNetwork: false,
      },
      { providerId: 'openai', api: 'openai', baseUrl: 'http://127.0.0.1:1/openai', privateNetwork: false },
    ]);
    // The keys stay sealed until opened.
    const sealed = found?.credentials.get('openai');
    expect(JSON.stringify(sealed)).not.toContain('sk-openai');
    expect(sealed && openSealedCredential(sealer, 'account-1', sealed)).toEqual({
      apiKey: 'sk-openai-1111',
      baseUrl: 'http://127.0.0.1:1/openai',
      api: 'openai',
      privateNetwork: false,
    });
    // Sealed to this account: the same text does not open as another account's key.
    expect(() => sealed && openSealedCredential(sealer, 'account-2', sealed)).toThrow();
  });

  it('carries the owner’s private-network choice of each key, off unless chosen (SEC-8)', async () => {
    await insertWallet(store);
    await storeKey('openai', 'openai', 'sk-openai-1111');
    await storeKey('lan-gateway', 'openai', 'sk-lan-3333', 1);
    const found = await findGrantWithWallet(store, 'grant-1');
    expect(found?.providers.map((provider) => [provider.providerId, provider.privateNetwork])).toEqual([
      ['lan-gateway', true],
      ['openai', false],
    ]);
    const lan = found?.credentials.get('lan-gateway');
    expect(lan && openSealedCredential(sealer, 'account-1', lan).privateNetwork).toBe(true);
    const openai = found?.credentials.get('openai');
    expect(openai && openSealedCredential(sealer, 'account-1', openai).privateNetwork).toBe(false);
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

describe('a kept grant context', () => {
  beforeEach(async () => {
    await insertWallet(store);
    await storeKey('openai', 'openai', 'sk-openai-1111');
  });

  it('is kept, frozen, while only metering tables are written', async () => {
    const first = await findGrantWithWallet(store, 'grant-1');
    await store.writeTransaction(async (transaction) => {
      await transaction
        .insertInto('usage_counters')
        .values({ subject: 'grant-1', kind: 'money', period_key: 'd', cap: 10, spent: 1, reserved: 0 })
        .execute();
      await transaction
        .insertInto('rate_buckets')
        .values({ grant_id: 'grant-1', units: 1, updated_at: 1 })
        .execute();
    });
    const second = await findGrantWithWallet(store, 'grant-1');
    expect(second).toBe(first);
    expect(() => {
      (second?.grant.details as Record<string, unknown>).extra = 1;
    }).toThrow(TypeError);
    expect(() => {
      second?.grant.ipAllowlist.push('10.0.0.0/8');
    }).toThrow(TypeError);
  });

  it('is read again after this store revokes the grant, changes the wallet or replaces a key', async () => {
    await findGrantWithWallet(store, 'grant-1');
    expect(await revokeGrant(store, 'grant-1', 'the user revoked it', 5)).toBe(true);
    expect((await findGrantWithWallet(store, 'grant-1'))?.grant.status).toBe('revoked');

    await store.database.updateTable('wallets').set({ currency: 'USD' }).execute();
    expect((await findGrantWithWallet(store, 'grant-1'))?.wallet?.currency).toBe('USD');

    await store.database.deleteFrom('provider_credentials').execute();
    expect((await findGrantWithWallet(store, 'grant-1'))?.providers).toEqual([]);
  });

  it('is read again after another connection to the file commits a change, even from outside the store', async () => {
    const kept = await findGrantWithWallet(store, 'grant-1');
    expect(kept?.grant.status).toBe('active');
    const other = new SqliteDatabase(store.path);
    try {
      other
        .prepare("update grants set status = 'suspended', status_reason = 'elsewhere' where id = ?")
        .run('grant-1');
    } finally {
      other.close();
    }
    const seen = await findGrantWithWallet(store, 'grant-1');
    expect(seen?.grant).toMatchObject({ status: 'suspended', statusReason: 'elsewhere' });
  });
});

describe('changesGrantContext', () => {
  it('counts every write that may touch a grant, a wallet or a key, and unknown statements', () => {
    for (const sql of [
      'update "grants" set "status" = ? where "id" = ?',
      'insert into "provider_credentials" ("id") values (?)',
      'delete from "wallets" where "account_id" = ?',
      'insert or replace into grants values (?)',
      'with "old" as (select 1) update "grants" set "status" = ?',
      'create table "things" ("id" text)',
      'pragma foreign_keys = on',
    ])
      expect(changesGrantContext(sql), sql).toBe(true);
  });

  it('lets reads, transaction control and metering writes by', () => {
    for (const sql of [
      'select "status" from "grants" where "id" = ?',
      '  begin immediate',
      'commit',
      'rollback',
      'pragma data_version',
      'insert into "usage_counters" ("subject") values (?) on conflict do update set "reserved" = ?',
      'update "usage_counters" set "spent" = spent + ? where "subject" = ?',
      'delete from "reservations" where "id" = ? returning *',
      'insert into "ledger" ("id") values (?)',
    ])
      expect(changesGrantContext(sql), sql).toBe(false);
  });
});
