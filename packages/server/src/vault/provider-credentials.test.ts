import { createSealer, credentialSealContext } from '@allowance/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpWithKeys, type TestUser } from '../dashboard/dashboard-fixtures.js';
import { startTestWallet, type TestWallet } from '../test-support/test-wallet.js';

// Where a provider key may be sent (spec SEC-7, SEC-8), as the owner meets it: the form refuses
// a base URL the gateway must not send the key to, saying what to fix; the private-network
// choice is per key and shown with a warning; a key stored before the check is flagged.

let wallet: TestWallet;
let user: TestUser;

beforeAll(async () => {
  wallet = await startTestWallet();
  user = await signUpWithKeys(wallet, 'vault-urls@example.com');
});
afterAll(async () => {
  await wallet.close();
});

const home = () => user.browser.open(`${wallet.issuer}/`);
const storedKey = (providerId: string) =>
  wallet.store.database
    .selectFrom('provider_credentials')
    .selectAll()
    .where('account_id', '=', user.accountId)
    .where('provider_id', '=', providerId)
    .executeTakeFirst();
const addKey = async (fields: Record<string, string>) =>
  user.browser.submit(await home(), '#add-key', {
    apiKey: 'sk-lan-gateway-key-9999',
    api: 'openai',
    ...fields,
  });

describe('saving a provider key (SEC-7, SEC-8)', () => {
  it('refuses http to any host that is not loopback, with an error on the form (SEC-7)', async () => {
    for (const baseUrl of [
      'http://api.example.test/v1',
      'http://8.8.8.8/v1',
      'http://192.168.1.20/v1',
      'http://localhost.example.test/v1',
    ]) {
      for (const privateNetwork of [{}, { privateNetwork: 'yes' }] as Record<string, string>[]) {
        const page = await addKey({ providerId: 'cleartext', baseUrl, ...privateNetwork });
        expect(page.status, baseUrl).toBe(400);
        expect(page.document.querySelector('#problem')?.text, baseUrl).toMatch(/https:\/\//);
        expect(page.document.querySelector('#problem')?.text, baseUrl).toMatch(/unencrypted/);
        expect(await storedKey('cleartext'), baseUrl).toBeUndefined();
      }
    }
  });

  it('refuses link-local, metadata, unspecified, broadcast and multicast hosts always (SEC-8)', async () => {
    for (const baseUrl of [
      'http://169.254.169.254/latest',
      'https://169.254.169.254/v1',
      'https://169.254.3.4/v1',
      'https://[fe80::1]/v1',
      'https://[fd00:ec2::254]/v1',
      'https://100.100.100.200/v1',
      'https://metadata.google.internal/v1',
      'https://0.0.0.0/v1',
      'https://255.255.255.255/v1',
      'https://224.0.0.1/v1',
    ]) {
      const page = await addKey({ providerId: 'metadata', baseUrl, privateNetwork: 'yes' });
      expect(page.status, baseUrl).toBe(400);
      expect(page.document.querySelector('#problem')?.text, baseUrl).toMatch(/never sent there/);
      expect(await storedKey('metadata'), baseUrl).toBeUndefined();
    }
  });

  it('takes a private address only when the owner ticks the private-network box, and shows it (SEC-8)', async () => {
    const refused = await addKey({ providerId: 'lan-gateway', baseUrl: 'https://10.1.2.3/v1' });
    expect(refused.status).toBe(400);
    expect(refused.document.querySelector('#problem')?.text).toMatch(/private network/);
    expect(await storedKey('lan-gateway')).toBeUndefined();

    const saved = await addKey({
      providerId: 'lan-gateway',
      baseUrl: 'https://10.1.2.3/v1',
      privateNetwork: 'yes',
    });
    expect(saved.status).toBe(200);
    expect(Number((await storedKey('lan-gateway'))?.private_network)).toBe(1);
    const row = saved.document.querySelector('tr[data-key="lan-gateway"]');
    expect(row?.querySelector('.key-private-network')?.text).toMatch(/private network/);
    // The choice is per key: the other keys carry none.
    expect(Number((await storedKey('openai'))?.private_network)).toBe(0);
    expect(saved.document.querySelector('tr[data-key="openai"] .key-private-network')).toBeNull();

    // Saving it again without the tick is refused; the stored key keeps the owner's choice.
    const again = await addKey({ providerId: 'lan-gateway', baseUrl: 'https://10.1.2.3/v1' });
    expect(again.status).toBe(400);
    expect(Number((await storedKey('lan-gateway'))?.private_network)).toBe(1);
  });

  it('accepts https to public names and http to loopback', async () => {
    for (const [providerId, baseUrl] of [
      ['public-gateway', 'https://gateway.example.test/v1'],
      ['local-model', 'http://127.0.0.1:11434/v1'],
      ['local-name', 'http://localhost:8080/v1'],
    ] as const) {
      const page = await addKey({ providerId, baseUrl });
      expect(page.status, baseUrl).toBe(200);
      expect((await storedKey(providerId))?.base_url, baseUrl).toBe(baseUrl);
    }
  });

  it('flags a key stored before the check as needing a fix (SEC-7)', async () => {
    await wallet.store.database
      .insertInto('provider_credentials')
      .values({
        id: 'cred_old_cleartext',
        account_id: user.accountId,
        provider_id: 'old-cleartext',
        api: 'openai',
        base_url: 'http://203.0.113.7/v1',
        label: 'Old cleartext gateway',
        sealed_key: createSealer(wallet.masterKey).seal(
          'sk-old-key-7777',
          credentialSealContext(user.accountId, 'old-cleartext'),
        ),
        key_last_four: '7777',
        created_at: 1,
        updated_at: 1,
      })
      .execute();
    const page = await home();
    const row = page.document.querySelector('tr[data-key="old-cleartext"]');
    expect(row?.getAttribute('data-needs-fix')).toBe('yes');
    expect(row?.querySelector('.key-needs-fix')?.text).toMatch(/Needs a fix.*https:\/\//s);
    expect(page.document.querySelector('tr[data-key="openai"]')?.getAttribute('data-needs-fix')).toBeFalsy();
  });
});
