import { createSealer, loadMasterKey } from '@allowance/store';
import { decodeJwt, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

let harness: Harness;
let token: string;
let grantId: string;
let browser: Awaited<ReturnType<typeof userWithKeys>>;

const chatBody = { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hello' }] };

async function call(
  path: string,
  init: {
    token?: string | null;
    body?: unknown;
    raw?: string;
    method?: string;
    headers?: Record<string, string>;
  } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
  const presented = init.token === undefined ? token : init.token;
  if (presented !== null) headers.authorization = `Bearer ${presented}`;
  const response = await fetch(`${harness.wallet.gateway}${path}`, {
    method: init.method ?? 'POST',
    headers,
    ...(init.method !== 'GET' && { body: init.raw ?? JSON.stringify(init.body ?? chatBody) }),
  });
  const body = (await response.json()) as {
    error?: { code?: string; type?: string; message?: string };
    type?: string;
  };
  return { status: response.status, code: body.error?.code, body, headers: response.headers };
}

/** Signs claims with the wallet's own signing key, so only what the test changes is wrong. */
async function forge(changes: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const { key } = loadMasterKey(harness.dataDirectory, {});
  const row = await harness.store.database
    .selectFrom('signing_keys')
    .selectAll()
    .where('retired_at', 'is', null)
    .executeTakeFirstOrThrow();
  const jwk = JSON.parse(createSealer(key).unseal(row.sealed_private_jwk, `signing-key:${row.kid}`)) as JWK;
  const claims = { ...decodeJwt(token), ...changes };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: row.kid, ...header })
    .sign(await importJWK(jwk, 'ES256'));
}

async function balance() {
  const counters = await harness.store.database
    .selectFrom('usage_counters')
    .selectAll()
    .where('subject', '=', grantId)
    .execute();
  const ledger = await harness.store.database
    .selectFrom('ledger')
    .selectAll()
    .where('grant_id', '=', grantId)
    .execute();
  return {
    spent: counters.reduce((sum, row) => sum + Number(row.spent) + Number(row.reserved), 0),
    calls: ledger.length,
  };
}

beforeAll(async () => {
  harness = await startHarness();
  browser = await userWithKeys(harness, 'refusals@example.com');
  ({ accessToken: token, grantId } = await connectApp(harness, browser, {
    providers: ['openai', 'anthropic'],
    models: ['gpt-4.1-mini', 'openai/mystery-model', 'claude-sonnet-4-6'],
    budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
    tokens: { max_input_per_request: 200, max_output_per_request: 500 },
    rate: { requests_per_minute: 1000 },
  }));
});
afterAll(async () => {
  await harness?.close();
});

describe('every refusal has its documented status and code, and moves no money', () => {
  it('refuses token problems with 401 and the right challenge', async () => {
    const missing = await call('/v1/chat/completions', { token: null });
    expect([missing.status, missing.code]).toEqual([401, 'token_required']);
    const challenge = missing.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('resource_metadata="');
    expect(challenge).toContain('/.well-known/oauth-protected-resource/gateway');
    expect(challenge).not.toContain('error=');

    const cases: [string, string][] = [
      ['garbage', 'not.a.token'],
      ['expired', await forge({ exp: Math.floor(Date.now() / 1000) - 120 })],
      ['wrong audience', await forge({ aud: 'https://elsewhere.example/gateway' })],
      ['wrong issuer', await forge({ iss: 'https://evil.example' })],
      ['wrong typ', await forge({}, { typ: 'JWT' })],
      ['unknown grant', await forge({ grant_id: 'gr_nope' })],
      [
        'alg none',
        `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${token.split('.')[1]}.`,
      ],
    ];
    for (const [name, presented] of cases) {
      const refused = await call('/v1/chat/completions', { token: presented });
      expect([name, refused.status, refused.code]).toEqual([name, 401, 'invalid_token']);
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
    const dpopScheme = await call('/v1/chat/completions', {
      token: null,
      headers: { authorization: `DPoP ${token}` },
    });
    expect([dpopScheme.status, dpopScheme.code]).toEqual([401, 'invalid_token']);
    expect(dpopScheme.headers.get('www-authenticate')).toContain('DPoP realm="allowance"');
  });

  it('refuses what the grant forbids with 403', async () => {
    const cases: [string, Parameters<typeof call>[1], string][] = [
      ['model', { body: { ...chatBody, model: 'gpt-5' } }, 'model_not_allowed'],
      ['provider', { headers: { 'allowance-provider': 'deepseek' } }, 'provider_not_allowed'],
      ['unpriced', { body: { ...chatBody, model: 'openai/mystery-model' } }, 'model_unpriced'],
      [
        'input cap',
        { body: { ...chatBody, messages: [{ role: 'user', content: 'word '.repeat(400) }] } },
        'max_input_tokens_exceeded',
      ],
      ['output cap', { body: { ...chatBody, max_tokens: 501 } }, 'max_output_tokens_exceeded'],
    ];
    for (const [name, init, code] of cases) {
      const refused = await call('/v1/chat/completions', init);
      expect([name, refused.status, refused.code]).toEqual([name, 403, code]);
    }
    const anthropic = await call('/v1/messages', {
      body: { model: 'claude-opus-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] },
    });
    expect([anthropic.status, anthropic.code, anthropic.body.type]).toEqual([
      403,
      'model_not_allowed',
      'error',
    ]);
  });

  it('refuses malformed and oversized bodies and unknown routes', async () => {
    expect((await call('/v1/chat/completions', { raw: '{"model":' })).code).toBe('invalid_json');
    const invalid = await call('/v1/chat/completions', { body: { model: 'gpt-4.1-mini', messages: [] } });
    expect([invalid.status, invalid.code]).toEqual([400, 'invalid_request']);
    const huge = await call('/v1/chat/completions', {
      raw: JSON.stringify({ ...chatBody, padding: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect([huge.status, huge.code]).toEqual([413, 'request_too_large']);
    expect((await call('/v1/nope')).status).toBe(404);
    expect((await call('/v1/chat/completions', { method: 'GET' })).status).toBe(405);
  });

  it('has moved no money and written no ledger row', async () => {
    expect(await balance()).toEqual({ spent: 0, calls: 0 });
  });
});

describe('revocation and retention', () => {
  it('asks providers not to store under retention none', async () => {
    const { accessToken } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      retention: 'none',
    });
    const response = await call('/v1/chat/completions', { token: accessToken });
    expect(response.status).toBe(200);
    await harness.sim.idle();
    expect(harness.sim.calls.at(-1)?.store).toBe(false);
  });

  it('refuses the very next call once the user has revoked, though the token has not expired', async () => {
    expect((await call('/v1/chat/completions')).status).toBe(200);
    const home = await browser.open(`${harness.wallet.issuer}/`);
    const asked = await browser.submit(home, `tr[data-grant="${grantId}"] form`);
    // Asked, not yet revoked: the app still works until the owner confirms.
    expect((await call('/v1/chat/completions')).status).toBe(200);
    await browser.submit(asked, '#confirm-revoke');
    const refused = await call('/v1/chat/completions');
    expect([refused.status, refused.code]).toEqual([401, 'grant_revoked']);
    expect(decodeJwt(token).exp ?? 0).toBeGreaterThan(Date.now() / 1000);
  });

  it('limits the request rate per grant with a token bucket, and says when to retry', async () => {
    const { accessToken } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      rate: { requests_per_minute: 2 },
    });
    expect((await call('/v1/chat/completions', { token: accessToken })).status).toBe(200);
    expect((await call('/v1/chat/completions', { token: accessToken })).status).toBe(200);
    const limited = await call('/v1/chat/completions', { token: accessToken });
    expect([limited.status, limited.code]).toEqual([429, 'rate_limited']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
