import { createConfirmation, findConfirmation, findGrant, walletSettings } from '@allowance/store';
import { ScriptedBrowser } from '@allowance/testing';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fullAllowance, recordCall, recordGrant, signUpWithKeys } from '../dashboard/dashboard-fixtures.js';
import { authorize, discover, REQUESTED_ALLOWANCE } from '../test-support/app-client.js';
import { PUBLIC_CLIENT, startTestWallet, type TestWallet } from '../test-support/test-wallet.js';

// The test-mode operator interface (conformance/OPERATOR.md) on a real wallet: a loopback
// listener, a real SQLite file, and its effects read back from the store and the pages.

const TOKEN = 'operator-token-for-tests-0123456789abcdef';
const USER = { email: 'Operator-Test@allowance.test', password: 'operator-password-42' };
const PROVIDERS = [
  { id: 'openai', baseURL: 'http://127.0.0.1:9/openai/v1', apiKey: 'sk-sim-openai-0001' },
  { id: 'anthropic', baseURL: 'http://127.0.0.1:9/anthropic', apiKey: 'sk-ant-sim-0002' },
];

let wallet: TestWallet;
let operator: string;

const call = async (method: string, path: string, body?: unknown, token = TOKEN) => {
  const response = await fetch(`${operator}${path}`, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
};

const testUserId = async () =>
  (
    await wallet.store.database
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', USER.email.toLowerCase())
      .executeTakeFirstOrThrow()
  ).id;

/** Signs the test user in through the pages and runs one consent for the public client, pressing Approve. */
async function consentAsTestUser(): Promise<{ status: number; grantId: string | undefined }> {
  const browser = new ScriptedBrowser(wallet.issuer);
  const signIn = await browser.open(`${wallet.issuer}/signin`);
  await browser.submit(signIn, 'form:not([action="/signup"])', USER);
  const as = await discover(wallet.issuer);
  const before = new Set((await grantsOf(await testUserId())).map((grant) => grant.id));
  const authorized = await authorize(
    browser,
    as,
    { client_id: PUBLIC_CLIENT.client_id, redirect_uri: PUBLIC_CLIENT.redirect_uris[0] as string },
    {
      resource: wallet.gateway,
      consent: (page) => browser.submit(page, '#consent', {}, { name: 'decision', value: 'approve' }),
    },
  );
  const created = (await grantsOf(await testUserId())).find((grant) => !before.has(grant.id));
  return { status: authorized.callback ? 302 : authorized.page.status, grantId: created?.id };
}

const grantsOf = (accountId: string) =>
  wallet.store.database.selectFrom('grants').select('id').where('account_id', '=', accountId).execute();

beforeEach(async () => {
  wallet = await startTestWallet({ operatorInterface: { port: 0, token: TOKEN } });
  operator = wallet.server.operatorInterface?.url ?? '';
});

afterEach(async () => {
  await wallet.close();
});

describe('the operator interface', () => {
  it('listens on 127.0.0.1 only, says so once in the log, never with its token', () => {
    expect(operator).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const lines = wallet.logs.filter((line) => line.includes('operator interface listening'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(new URL(operator).host);
    expect(wallet.logs.join('')).not.toContain(TOKEN);
  });

  it('answers 401 invalid_token without the token or with a wrong one, and does nothing', async () => {
    for (const token of ['', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const response = await call('POST', '/test-user', { ...USER, providers: [] }, token);
      expect(response.status).toBe(401);
      expect(response.json).toMatchObject({ error: 'invalid_token' });
    }
    expect(await wallet.store.database.selectFrom('accounts').select('id').execute()).toEqual([]);
    expect((await call('POST', '/test-user', { ...USER, providers: [] })).status).toBe(204);
  });

  it('prepares the test user: an account a browser signs in to, holding the providers’ keys', async () => {
    expect((await call('POST', '/test-user', { ...USER, providers: PROVIDERS })).status).toBe(204);
    const accountId = await testUserId();
    const keys = await wallet.store.database
      .selectFrom('provider_credentials')
      .select(['provider_id', 'base_url'])
      .where('account_id', '=', accountId)
      .orderBy('provider_id')
      .execute();
    expect(keys).toEqual([
      { provider_id: 'anthropic', base_url: 'http://127.0.0.1:9/anthropic' },
      { provider_id: 'openai', base_url: 'http://127.0.0.1:9/openai/v1' },
    ]);
    // Again, with the same password: the same account. With another: refused.
    expect((await call('POST', '/test-user', { ...USER, providers: [] })).status).toBe(204);
    expect((await call('POST', '/test-user', { ...USER, password: 'another-password-1' })).status).toBe(409);
    // The key form's rules (spec SEC-7): http to a host that is not loopback is refused.
    const refused = await call('PUT', '/credentials/openai', {
      baseURL: 'http://203.0.113.7/v1',
      apiKey: 'sk-sim-openai-0001',
    });
    expect(refused).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    expect((await call('POST', '/test-user', { email: USER.email })).status).toBe(400);
  });

  it('answers 409 no_test_user before the test user is prepared', async () => {
    expect(await call('PUT', '/wallet/cap', { amount: '5.00' })).toMatchObject({
      status: 409,
      json: { error: 'no_test_user' },
    });
  });

  it('narrows the next consent with a staged approval, once, and refuses a broader one', async () => {
    await call('POST', '/test-user', { ...USER, providers: PROVIDERS });
    const narrower = {
      ...REQUESTED_ALLOWANCE,
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ period: 'month', amount: '3.00' }] },
    };
    expect(
      (await call('PUT', '/next-approval', { client_id: PUBLIC_CLIENT.client_id, approval: narrower }))
        .status,
    ).toBe(204);
    const first = await consentAsTestUser();
    expect(first.status).toBe(302);
    const narrowed = await findGrant(wallet.store, first.grantId ?? '');
    expect(narrowed?.details.providers).toEqual(['openai']);
    expect(narrowed?.details.models).toEqual(['gpt-4.1-mini']);
    expect(narrowed?.details.budget?.limits).toEqual([{ period: 'month', amount: '3.00' }]);
    // Used once: the next consent grants the request as shown.
    const second = await consentAsTestUser();
    expect((await findGrant(wallet.store, second.grantId ?? ''))?.details.budget?.limits).toEqual([
      { period: 'month', amount: '10.00' },
    ]);
    // Broader than asked: refused as the form would refuse it, and nothing granted.
    const broader = { budget: { currency: 'USD', limits: [{ period: 'month', amount: '50.00' }] } };
    await call('PUT', '/next-approval', { client_id: PUBLIC_CLIENT.client_id, approval: broader });
    const third = await consentAsTestUser();
    expect(third).toEqual({ status: 400, grantId: undefined });
  });

  it('revokes, suspends and resumes the test user’s grants only', async () => {
    await call('POST', '/test-user', { ...USER, providers: PROVIDERS });
    const accountId = await testUserId();
    const grantId = await recordGrant(
      wallet,
      accountId,
      PUBLIC_CLIENT.client_id,
      fullAllowance(Date.now() + 86_400_000),
    );
    expect((await call('POST', `/grants/${grantId}/suspend`)).status).toBe(204);
    expect((await findGrant(wallet.store, grantId))?.status).toBe('suspended');
    expect((await call('POST', `/grants/${grantId}/resume`)).status).toBe(204);
    expect((await findGrant(wallet.store, grantId))?.status).toBe('active');
    expect((await call('POST', `/grants/${grantId}/revoke`)).status).toBe(204);
    const revoked = await findGrant(wallet.store, grantId);
    expect(revoked?.status).toBe('revoked');
    expect((await call('POST', `/grants/${grantId}/resume`)).status).toBe(409);

    const other = await signUpWithKeys(wallet, 'someone-else@allowance.test');
    const theirs = await recordGrant(
      wallet,
      other.accountId,
      PUBLIC_CLIENT.client_id,
      fullAllowance(Date.now() + 86_400_000),
    );
    for (const action of ['revoke', 'suspend']) {
      expect(await call('POST', `/grants/${theirs}/${action}`)).toMatchObject({
        status: 404,
        json: { error: 'not_found' },
      });
    }
    expect((await call('GET', `/grants/${theirs}/ledger`)).status).toBe(404);
    expect((await findGrant(wallet.store, theirs))?.status).toBe('active');
  });

  it('lowers a grant’s limits as the limits form does, refuses raising them, and sets its addresses', async () => {
    await call('POST', '/test-user', { ...USER, providers: PROVIDERS });
    const accountId = await testUserId();
    const grantId = await recordGrant(
      wallet,
      accountId,
      PUBLIC_CLIENT.client_id,
      fullAllowance(Date.now() + 86_400_000),
    );
    const lower = {
      budget: {
        limits: [
          { period: 'month', amount: '4.00' },
          { period: 'day', amount: '1.00' },
        ],
      },
    };
    expect((await call('PUT', `/grants/${grantId}/limits`, { approval: lower })).status).toBe(204);
    const lowered = await findGrant(wallet.store, grantId);
    expect(lowered?.details.budget?.limits).toEqual([
      { period: 'month', amount: '4.00' },
      { period: 'day', amount: '1.00' },
    ]);
    // What the approval leaves out stays as it was.
    expect(lowered?.details.models).toEqual(['gpt-4.1-mini', 'claude-sonnet-4-6']);
    const higher = {
      budget: {
        limits: [
          { period: 'month', amount: '40.00' },
          { period: 'day', amount: '1.00' },
        ],
      },
    };
    expect((await call('PUT', `/grants/${grantId}/limits`, { approval: higher })).status).toBe(400);
    expect((await findGrant(wallet.store, grantId))?.details.budget?.limits[0]?.amount).toBe('4.00');

    expect(
      (await call('PUT', `/grants/${grantId}/addresses`, { blocks: ['10.0.0.0/8', '192.0.2.1'] })).status,
    ).toBe(204);
    expect((await findGrant(wallet.store, grantId))?.ipAllowlist).toEqual(['10.0.0.0/8', '192.0.2.1/32']);
    expect((await call('PUT', `/grants/${grantId}/addresses`, { blocks: ['not-an-address'] })).status).toBe(
      400,
    );
    expect((await call('PUT', `/grants/${grantId}/addresses`, { blocks: [] })).status).toBe(204);
    expect((await findGrant(wallet.store, grantId))?.ipAllowlist).toEqual([]);
  });

  it('sets the wallet cap, reads the month’s spend, edits prices, the time zone and credentials', async () => {
    await call('POST', '/test-user', { ...USER, providers: PROVIDERS });
    const accountId = await testUserId();
    expect((await call('PUT', '/wallet/cap', { amount: '12.00' })).status).toBe(204);
    expect((await walletSettings(wallet.store, accountId))?.monthlyCapMicros).toBe(12_000_000);
    expect((await call('PUT', '/wallet/cap', { amount: 'twelve' })).status).toBe(400);
    expect((await call('PUT', '/wallet/cap', { amount: null })).status).toBe(204);
    expect((await walletSettings(wallet.store, accountId))?.monthlyCapMicros ?? null).toBeNull();

    expect(await call('GET', '/wallet/spend')).toEqual({ status: 200, json: { month: '0.00' } });
    const grantId = await recordGrant(
      wallet,
      accountId,
      PUBLIC_CLIENT.client_id,
      fullAllowance(Date.now() + 86_400_000),
    );
    await recordCall(wallet, {
      grant_id: grantId,
      account_id: accountId,
      client_id: PUBLIC_CLIENT.client_id,
      model: 'gpt-4.1-mini',
      started_at: Date.now(),
      cost_micros: 1_250_000,
    });
    expect(await call('GET', '/wallet/spend')).toEqual({ status: 200, json: { month: '1.25' } });

    expect((await call('PUT', '/prices/openai/gpt-4.1-mini', { input: '2.5', output: '10.00' })).status).toBe(
      204,
    );
    expect((await walletSettings(wallet.store, accountId))?.prices.openai?.['gpt-4.1-mini']).toMatchObject({
      currency: 'USD',
      input: '2.50',
      output: '10.00',
    });
    expect((await call('PUT', '/prices/openai/gpt-4.1-mini', { input: '-1', output: '1' })).status).toBe(400);
    expect((await call('DELETE', '/prices/openai/gpt-4.1-mini')).status).toBe(204);
    expect((await walletSettings(wallet.store, accountId))?.prices.openai?.['gpt-4.1-mini']?.input).not.toBe(
      '2.50',
    );
    expect((await call('DELETE', '/prices/openai/gpt-4.1-mini')).status).toBe(404);

    expect(await call('PUT', '/wallet/time-zone', { time_zone: 'Pacific/Kiritimati' })).toEqual({
      status: 200,
      json: { previous: 'UTC' },
    });
    expect((await walletSettings(wallet.store, accountId))?.timeZone).toBe('Pacific/Kiritimati');
    expect((await call('PUT', '/wallet/time-zone', { time_zone: 'Mars/Olympus' })).status).toBe(400);

    expect((await call('DELETE', '/credentials/openai')).status).toBe(204);
    const remaining = () =>
      wallet.store.database
        .selectFrom('provider_credentials')
        .select('provider_id')
        .where('account_id', '=', accountId)
        .execute();
    expect(await remaining()).toEqual([{ provider_id: 'anthropic' }]);
    expect((await call('DELETE', '/credentials/openai')).status).toBe(404);
    expect((await call('PUT', '/credentials/openai', PROVIDERS[0])).status).toBe(204);
    expect((await remaining()).length).toBe(2);
  });

  it('decides a confirmation at the URL the gateway returned', async () => {
    await call('POST', '/test-user', { ...USER, providers: PROVIDERS });
    const accountId = await testUserId();
    const grantId = await recordGrant(
      wallet,
      accountId,
      PUBLIC_CLIENT.client_id,
      fullAllowance(Date.now() + 86_400_000),
    );
    const pending = () =>
      createConfirmation(wallet.store, {
        grantId,
        accountId,
        clientId: PUBLIC_CLIENT.client_id,
        providerId: 'openai',
        model: 'gpt-4.1-mini',
        estimatedMaxMicros: 900_000,
        now: Date.now(),
        expiresAt: Date.now() + 60_000,
      });
    const approved = await pending();
    const url = `${wallet.issuer}/confirmations/${approved.id}`;
    expect((await call('POST', '/confirmations', { url, decision: 'approve' })).status).toBe(204);
    expect((await findConfirmation(wallet.store, approved.id))?.status).toBe('approved');
    expect((await call('POST', '/confirmations', { url, decision: 'deny' })).status).toBe(409);
    const denied = await pending();
    const deniedUrl = `${wallet.issuer}/confirmations/${denied.id}`;
    expect((await call('POST', '/confirmations', { url: deniedUrl, decision: 'deny' })).status).toBe(204);
    expect((await findConfirmation(wallet.store, denied.id))?.status).toBe('denied');
    expect(
      (await call('POST', '/confirmations', { url: `${wallet.issuer}/confirmations/nope`, decision: 'deny' }))
        .status,
    ).toBe(404);
  });

  it('reads a grant’s ledger with the spec’s field names', async () => {
    await call('POST', '/test-user', { ...USER, providers: PROVIDERS });
    const accountId = await testUserId();
    const grantId = await recordGrant(
      wallet,
      accountId,
      PUBLIC_CLIENT.client_id,
      fullAllowance(Date.now() + 86_400_000),
    );
    const startedAt = Date.parse('2026-12-01T10:00:00.000Z');
    const entry = await recordCall(wallet, {
      grant_id: grantId,
      account_id: accountId,
      client_id: PUBLIC_CLIENT.client_id,
      model: 'gpt-4.1-mini',
      started_at: startedAt,
      stream: 1,
      period_keys: JSON.stringify(['month:2026-12']),
      client_address: '127.0.0.1',
    });
    const { status, json } = await call('GET', `/grants/${grantId}/ledger`);
    expect(status).toBe(200);
    expect(json?.rows).toEqual([
      {
        id: entry.id,
        started_at: '2026-12-01T10:00:00.000Z',
        finished_at: '2026-12-01T10:00:00.120Z',
        user: accountId,
        grant_id: grantId,
        client_id: PUBLIC_CLIENT.client_id,
        provider: 'openai',
        model: 'gpt-4.1-mini',
        status: 'ok',
        input_tokens: 100,
        cached_input_tokens: 0,
        cache_write_tokens: 0,
        output_tokens: 50,
        cost: 1000,
        latency_ms: 120,
        endpoint: 'chat.completions',
        stream: true,
        reserved: { micros: 2000, tokens: 150 },
        period_keys: ['month:2026-12'],
        first_byte_ms: 40,
        upstream_request_id: null,
        client_address: '127.0.0.1',
      },
    ]);
    expect((await call('GET', '/grants/grant_unknown/ledger')).status).toBe(404);
  });

  it('signs access tokens with the wallet’s published key', async () => {
    const claims = {
      iss: wallet.issuer,
      aud: 'https://elsewhere.example',
      sub: 'x',
      exp: Math.floor(Date.now() / 1000) + 60,
    };
    const { status, json } = await call('POST', '/access-tokens', { header: {}, claims });
    expect(status).toBe(200);
    const verified = await jwtVerify(
      String(json?.access_token),
      createLocalJWKSet(wallet.server.publicKeys),
      {
        typ: 'at+jwt',
      },
    );
    expect(verified.payload).toMatchObject(claims);
    expect(verified.protectedHeader.kid).toBe(wallet.server.publicKeys.keys[0]?.kid);
    const jwt = await call('POST', '/access-tokens', { header: { typ: 'JWT' }, claims });
    const header = JSON.parse(
      Buffer.from(String(jwt.json?.access_token).split('.')[0] ?? '', 'base64url').toString(),
    );
    expect(header.typ).toBe('JWT');
  });
});

describe('without the operatorInterface option', () => {
  it('listens nowhere and logs nothing about it', async () => {
    const plain = await startTestWallet();
    try {
      expect(plain.server.operatorInterface).toBeUndefined();
      expect(plain.logs.join('')).not.toContain('operator interface');
    } finally {
      await plain.close();
    }
  });

  it('refuses a token shorter than 32 characters', async () => {
    await expect(startTestWallet({ operatorInterface: { port: 0, token: 'short-token' } })).rejects.toThrow(
      /operatorInterface\.token: the operator token must be at least 32 characters/,
    );
  });
});
