import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

// A leaked-token drill (issue 6): the token used from an address the user did not allow, a
// burst that trips the anomaly rule, and a replayed refresh token; all with the wallet's own
// logs captured at debug level and scanned for every secret the run handled.

let harness: Harness;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  harness = await startHarness({
    childProcess: true,
    logLevel: 'debug',
    gatewayOptions: { trustedProxies: ['127.0.0.1/32'], anomalyBurstCalls: 5, anomalyBurstWindowSeconds: 30 },
  });
});
afterAll(async () => {
  await harness?.close();
});

const secrets: string[] = [PASSWORD];

async function call(token: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${harness.wallet.gateway}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 20,
    }),
  });
  const body = (await response.json()) as { error?: { code?: string } };
  return { status: response.status, code: body.error?.code };
}

async function connected(email: string) {
  const browser = await userWithKeys(harness, email);
  const connection = await connectApp(harness, browser, {
    providers: ['openai'],
    models: ['gpt-4.1-mini'],
    budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
  });
  secrets.push(connection.accessToken, connection.refreshToken, harness.sim.apiKey('openai'));
  return { browser, ...connection };
}

async function setAddresses(
  browser: Awaited<ReturnType<typeof userWithKeys>>,
  grantId: string,
  addresses: string,
) {
  const home = await browser.open(`${harness.wallet.issuer}/`);
  return browser.submit(home, `form[action="/grants/${grantId}/addresses"]`, { addresses });
}

describe('a leaked token', () => {
  it('is refused from an address outside the grant’s allowlist, IPv4 and IPv6, behind a trusted proxy', async () => {
    const { browser, accessToken, grantId } = await connected('allowlist@example.com');
    expect((await setAddresses(browser, grantId, '203.0.113.0/24\n2001:db8::/32')).status).toBe(200);
    // The connection comes from 127.0.0.1, a trusted proxy here: the client is the last hop it adds.
    expect(await call(accessToken, { 'x-forwarded-for': '203.0.113.9' })).toEqual({
      status: 200,
      code: undefined,
    });
    expect(await call(accessToken, { 'x-forwarded-for': '2001:db8::7' })).toEqual({
      status: 200,
      code: undefined,
    });
    expect(await call(accessToken, { 'x-forwarded-for': '198.51.100.4' })).toEqual({
      status: 403,
      code: 'ip_not_allowed',
    });
    // A client cannot hide behind a forged first hop: only the hops the trusted proxy added count.
    expect(await call(accessToken, { 'x-forwarded-for': '203.0.113.9, 198.51.100.4' })).toEqual({
      status: 403,
      code: 'ip_not_allowed',
    });
    expect((await setAddresses(browser, grantId, 'not-an-address')).status).toBe(400);
    expect((await setAddresses(browser, grantId, '')).status).toBe(200);
    expect(await call(accessToken, { 'x-forwarded-for': '198.51.100.4' })).toEqual({
      status: 200,
      code: undefined,
    });
  });

  it('is suspended by a burst, stays refused until the user resumes, and works again after', async () => {
    const { browser, accessToken, grantId } = await connected('burst-drill@example.com');
    const outcomes = [];
    for (let index = 0; index < 7; index += 1) outcomes.push(await call(accessToken));
    expect(outcomes.slice(0, 5).every((outcome) => outcome.status === 200)).toBe(true);
    expect(outcomes[5]).toEqual({ status: 403, code: 'grant_suspended' });
    expect(outcomes[6]).toEqual({ status: 403, code: 'grant_suspended' });
    const grant = await harness.store.database
      .selectFrom('grants')
      .selectAll()
      .where('id', '=', grantId)
      .executeTakeFirstOrThrow();
    expect(grant.status).toBe('suspended');
    expect(grant.status_reason).toContain('6 calls in 30 seconds');
    const home = await browser.open(`${harness.wallet.issuer}/`);
    expect(home.html).toContain('6 calls in 30 seconds');
    await browser.submit(home, `form[action="/grants/${grantId}/resume"]`);
    expect(await call(accessToken)).toEqual({ status: 200, code: undefined });
  });

  it('revokes the grant when its refresh token is replayed', async () => {
    const { accessToken, refreshToken, grantId } = await connected('replay-drill@example.com');
    const issuer = new URL(harness.wallet.issuer);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
    );
    const client: oauth.Client = { client_id: APP.client_id };
    const authentication = oauth.ClientSecretBasic(APP.client_secret);
    const insecure = { [oauth.allowInsecureRequests]: true } as const;
    const rotated = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, authentication, refreshToken, insecure),
    );
    secrets.push(rotated.access_token, String(rotated.refresh_token));
    const replay = await oauth.refreshTokenGrantRequest(as, client, authentication, refreshToken, insecure);
    await expect(oauth.processRefreshTokenResponse(as, client, replay)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(await call(accessToken)).toEqual({ status: 401, code: 'grant_revoked' });
    expect(await call(rotated.access_token)).toEqual({ status: 401, code: 'grant_revoked' });
    const grant = await harness.store.database
      .selectFrom('grants')
      .select('status')
      .where('id', '=', grantId)
      .executeTakeFirstOrThrow();
    expect(grant.status).toBe('revoked');
  });

  it('never appears in the wallet’s logs, nor does a provider key or a password', () => {
    const logs = harness.output();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets)
      expect(logs.includes(secret), `a secret of ${secret.length} characters is in the logs`).toBe(false);
  });
});
