import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningWallet, readWalletOptions, serveWallet } from '@allowance/cli';
import { createConfirmation, openStore, type Store } from '@allowance/store';
import { freePort } from '@allowance/testing';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AllowanceDriver } from './allowance-driver.js';
import type { SimulatedProvider } from './consent-driver.js';
import { OperatorClient } from './operator-client.js';

// The operator client against a real Allowance (`allowance serve`'s own start function) with the
// operator interface enabled: every method once, each effect read back from the wallet's
// database or its JWKS, as a third party's wallet would show them.

const TOKEN = 'conformance-operator-token-0123456789abcdef';
const USER = { email: 'operator-client@allowance.test', password: 'operator-client-password' };
const CLIENT = {
  client_id: 'operator-app',
  client_name: 'Operator App',
  redirect_uris: ['http://127.0.0.1/callback'],
};
const PROVIDERS: SimulatedProvider[] = [
  { id: 'openai', baseURL: 'http://127.0.0.1:9/openai/v1', apiKey: 'sk-sim-openai' },
  { id: 'anthropic', baseURL: 'http://127.0.0.1:9/anthropic', apiKey: 'sk-ant-sim-anthropic' },
];
const REQUEST = {
  type: 'ai_allowance',
  providers: ['openai', 'anthropic'],
  models: ['gpt-4.1-mini', 'claude-sonnet-4-6'],
  budget: { currency: 'USD', limits: [{ period: 'month', amount: '10.00' }] },
};

let root: string;
let wallet: RunningWallet;
let store: Store;
let operator: OperatorClient;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'allowance-operator-client-'));
  const configPath = join(root, 'wallet.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      clients: [CLIENT],
      requireDpopForPublicClients: false,
      operatorInterface: { port: 0, token: TOKEN },
    }),
  );
  const port = await freePort();
  wallet = await serveWallet(
    readWalletOptions(
      {
        config: configPath,
        port: String(port),
        data: join(root, 'data'),
        issuer: `http://127.0.0.1:${port}`,
      },
      {},
    ),
  );
  store = await openStore({ sqlite: join(root, 'data', 'allowance.sqlite') });
  operator = new OperatorClient(wallet.operatorUrl ?? '', TOKEN);
  await operator.prepare(USER, PROVIDERS);
}, 30_000);

afterAll(async () => {
  await store?.close();
  await wallet?.close();
  rmSync(root, { recursive: true, force: true });
});

const accountId = async () =>
  (
    await store.database
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', USER.email)
      .executeTakeFirstOrThrow()
  ).id;

const grant = (id: string) =>
  store.database.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** One consent for the app, as a person presses Approve on the page as shown; returns the new grant's id. */
async function connect(): Promise<string> {
  const driver = new AllowanceDriver(wallet.issuer, USER);
  await driver.prepare([]);
  const metadata = (await (
    await fetch(`${wallet.issuer}/.well-known/oauth-authorization-server`)
  ).json()) as {
    authorization_endpoint: string;
  };
  const url = new URL(metadata.authorization_endpoint);
  const verifier = randomBytes(32).toString('base64url');
  url.search = new URLSearchParams({
    client_id: CLIENT.client_id,
    redirect_uri: CLIENT.redirect_uris[0] ?? '',
    response_type: 'code',
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: wallet.gateway,
    authorization_details: JSON.stringify([REQUEST]),
  }).toString();
  await driver.open(url.href);
  const outcome = await driver.approve();
  if (outcome.kind !== 'redirect') throw new Error(`the consent ended on a page (${outcome.status})`);
  const newest = await store.database
    .selectFrom('grants')
    .select('id')
    .where('account_id', '=', await accountId())
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
  return newest.id;
}

describe('OperatorClient', () => {
  it('prepares the test user with the providers’ credentials', async () => {
    const keys = await store.database
      .selectFrom('provider_credentials')
      .select('provider_id')
      .where('account_id', '=', await accountId())
      .orderBy('provider_id')
      .execute();
    expect(keys.map((key) => key.provider_id)).toEqual(['anthropic', 'openai']);
  });

  it('throws, naming the operation and status, with a wrong token', async () => {
    await expect(
      new OperatorClient(wallet.operatorUrl ?? '', `${TOKEN}-wrong`).setWalletCap(null),
    ).rejects.toThrow(/operator setWalletCap .* answered 401 invalid_token/);
  });

  it('stages an approval that narrows the next consent, and edits, suspends and revokes grants', async () => {
    await operator.stageApproval(CLIENT.client_id, {
      models: ['gpt-4.1-mini'],
      budget: { limits: [{ period: 'month', amount: '2.00' }] },
    });
    const grantId = await connect();
    const narrowed = JSON.parse((await grant(grantId)).details) as typeof REQUEST;
    expect(narrowed.models).toEqual(['gpt-4.1-mini']);
    expect(narrowed.budget.limits).toEqual([{ period: 'month', amount: '2.00' }]);

    await operator.setGrantLimits(grantId, { budget: { limits: [{ period: 'month', amount: '1.50' }] } });
    expect((JSON.parse((await grant(grantId)).details) as typeof REQUEST).budget.limits[0]?.amount).toBe(
      '1.50',
    );
    await operator.setAddressAllowlist(grantId, ['10.0.0.0/8']);
    expect(JSON.parse((await grant(grantId)).ip_allowlist)).toEqual(['10.0.0.0/8']);
    await operator.setGrantSuspended(grantId, true);
    expect((await grant(grantId)).status).toBe('suspended');
    await operator.setGrantSuspended(grantId, false);
    expect((await grant(grantId)).status).toBe('active');

    const id = await accountId();
    const confirmation = await createConfirmation(store, {
      grantId,
      accountId: id,
      clientId: CLIENT.client_id,
      providerId: 'openai',
      model: 'gpt-4.1-mini',
      estimatedMaxMicros: 500_000,
      now: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    await operator.confirm(`${wallet.issuer}/confirmations/${confirmation.id}`, 'approve');
    const decided = await store.database
      .selectFrom('confirmations')
      .select('status')
      .where('id', '=', confirmation.id)
      .executeTakeFirstOrThrow();
    expect(decided.status).toBe('approved');

    const startedAt = Date.now();
    await store.database
      .insertInto('ledger')
      .values({
        id: 'call_operator_client',
        grant_id: grantId,
        account_id: id,
        client_id: CLIENT.client_id,
        provider_id: 'openai',
        model: 'gpt-4.1-mini',
        input_tokens: 10,
        cached_input_tokens: 0,
        cache_write_tokens: 0,
        output_tokens: 5,
        cost_micros: 730_000,
        status: 'ok',
        http_status: 200,
        error_code: null,
        latency_ms: 50,
        started_at: startedAt,
        ended_at: startedAt + 50,
        endpoint: 'chat.completions',
        stream: 0,
        reserved_micros: 800_000,
        reserved_tokens: 20,
        period_keys: '[]',
        first_byte_ms: 20,
        upstream_request_id: 'req_1',
        client_address: '127.0.0.1',
      })
      .execute();
    const rows = await operator.ledger(grantId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: 'call_operator_client',
      cost: 730_000,
      stream: false,
      provider: 'openai',
    });
    expect(await operator.walletSpendThisMonth()).toBe('0.73');

    await operator.revokeGrant(grantId);
    expect((await grant(grantId)).status).toBe('revoked');
    await expect(operator.revokeGrant('grant_nobody')).rejects.toThrow(
      /operator revokeGrant .* answered 404 not_found/,
    );
  });

  it('sets the cap, prices, the time zone and credentials', async () => {
    const row = async () =>
      store.database
        .selectFrom('wallets')
        .selectAll()
        .where('account_id', '=', await accountId())
        .executeTakeFirstOrThrow();
    await operator.setWalletCap('12.00');
    expect(Number((await row()).monthly_cap_micros)).toBe(12_000_000);
    await operator.setWalletCap(null);
    expect((await row()).monthly_cap_micros).toBeNull();
    await operator.setPrice('openai', 'gpt-4.1-mini', { input: '2.50', output: '10.00' });
    expect(JSON.parse((await row()).price_overrides)).toMatchObject({
      openai: { 'gpt-4.1-mini': { input: '2.50', output: '10.00' } },
    });
    await operator.setPrice('openai', 'gpt-4.1-mini', null);
    expect(JSON.parse((await row()).price_overrides)).toEqual({});
    expect(await operator.setTimeZone('Pacific/Kiritimati')).toBe('UTC');
    expect(await operator.setTimeZone('UTC')).toBe('Pacific/Kiritimati');
    const openai = PROVIDERS[0] as SimulatedProvider;
    const credentials = async () =>
      (
        await store.database
          .selectFrom('provider_credentials')
          .select('provider_id')
          .where('account_id', '=', await accountId())
          .execute()
      ).map((credential) => credential.provider_id);
    await operator.setProviderCredential(openai, false);
    expect(await credentials()).not.toContain('openai');
    await operator.setProviderCredential(openai, true);
    expect(await credentials()).toContain('openai');
  });

  it('signs an access token the wallet’s JWKS verifies', async () => {
    const claims = {
      iss: wallet.issuer,
      aud: 'https://wrong.example',
      exp: Math.floor(Date.now() / 1000) + 60,
    };
    const token = await operator.signAccessToken({}, claims);
    const metadata = (await (
      await fetch(`${wallet.issuer}/.well-known/oauth-authorization-server`)
    ).json()) as {
      jwks_uri: string;
    };
    const verified = await jwtVerify(token, createRemoteJWKSet(new URL(metadata.jwks_uri)), {
      typ: 'at+jwt',
    });
    expect(verified.payload).toMatchObject(claims);
  });
});
