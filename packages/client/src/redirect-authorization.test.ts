import type { ScriptedBrowser } from '@allowance/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowance } from './allowance-builder.js';
import { AllowanceError } from './allowance-error.js';
import { AuthorizationDeniedError, InvalidAllowanceError } from './authorization-errors.js';
import { discoverWallet } from './discover-wallet.js';
import {
  answerConsent,
  signUpWithKeys,
  startTestWallet,
  type TestWallet,
  WEB_APP,
} from './test-support/test-wallet.js';
import type { Wallet } from './wallet.js';

let testWallet: TestWallet;
let browser: ScriptedBrowser;
let wallet: Wallet;
const registration = { clientId: WEB_APP.client_id, redirectUri: WEB_APP.redirect_uris[0] as string };
const request = allowance()
  .providers('openai', 'anthropic')
  .models('gpt-4.1-mini', 'claude-sonnet-4-6')
  .budget('5.00', 'month')
  .tokens({ maxOutputPerRequest: 2000 })
  .scopes('document:read');

beforeAll(async () => {
  testWallet = await startTestWallet();
  browser = await signUpWithKeys(testWallet, 'redirect@example.com');
  wallet = await discoverWallet(testWallet.issuer, registration, { allowInsecure: true });
});
afterAll(async () => {
  await testWallet?.close();
});

describe('the redirect flow', () => {
  it('pushes the request (PAR), so the URL carries only client_id and request_uri', async () => {
    const { url, pending } = await wallet.startAuthorization({ allowance: request });
    expect(url.origin + url.pathname).toBe(String(wallet.metadata.authorization_endpoint));
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    // What the app keeps is plain JSON.
    expect(JSON.parse(JSON.stringify(pending))).toEqual(pending);
    expect(pending).toMatchObject({ issuer: testWallet.issuer, clientId: WEB_APP.client_id });
    expect(pending.codeVerifier.length).toBeGreaterThanOrEqual(43);
  });

  it('connects end to end and returns what the user approved, narrowed on consent', async () => {
    const { url, pending } = await wallet.startAuthorization({ allowance: request });
    const callback = await answerConsent(browser, url, 'approve', {
      'budget.month': '2.00',
      model: ['gpt-4.1-mini'],
    });
    expect(callback.searchParams.get('iss')).toBe(testWallet.issuer);
    const connection = await wallet.finishAuthorization(callback, JSON.parse(JSON.stringify(pending)));
    expect(connection.grantId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(connection.allowance).toMatchObject({
      type: 'ai_allowance',
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '2.00', period: 'month' }] },
      tokens: { max_output_per_request: 2000 },
      scopes: ['document:read'],
    });
    // A public client binds its tokens to a DPoP key unless told otherwise (spec DPOP-3).
    expect(connection.dpopBound).toBe(true);
    const status = await connection.status();
    expect(status).toMatchObject({
      grant_id: connection.grantId,
      client_id: WEB_APP.client_id,
      status: 'active',
    });
    expect(status.budget[0]).toMatchObject({ limit: '2.00', spent: '0.00' });
  });

  it("is refused by the wallet's DPoP policy when a public client turns DPoP off", async () => {
    const { url, pending } = await wallet.startAuthorization({ allowance: request, dpop: false });
    expect(pending.dpopKey).toBeUndefined();
    const callback = await answerConsent(browser, url, 'approve');
    await expect(wallet.finishAuthorization(callback, pending)).rejects.toMatchObject({
      code: 'invalid_dpop_proof',
    });
  });

  it('turns a denial into AuthorizationDeniedError', async () => {
    const { url, pending } = await wallet.startAuthorization({ allowance: request });
    const callback = await answerConsent(browser, url, 'deny');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const failure = wallet.finishAuthorization(callback, pending);
    await expect(failure).rejects.toBeInstanceOf(AuthorizationDeniedError);
    await expect(failure).rejects.toMatchObject({ code: 'access_denied' });
  });

  it('refuses a callback for another request (state) or from another issuer (iss)', async () => {
    const first = await wallet.startAuthorization({ allowance: request });
    const second = await wallet.startAuthorization({ allowance: request });
    const callback = await answerConsent(browser, first.url);
    await expect(wallet.finishAuthorization(callback, second.pending)).rejects.toMatchObject({
      code: 'invalid_callback',
    });
    const forged = new URL(callback);
    forged.searchParams.set('iss', 'http://127.0.0.1:1');
    await expect(wallet.finishAuthorization(forged, first.pending)).rejects.toMatchObject({
      code: 'invalid_callback',
    });
    // The genuine callback still works: nothing was spent on the refused ones.
    await expect(wallet.finishAuthorization(callback, first.pending)).resolves.toHaveProperty('grantId');
  });

  it("accepts a built object and fills in the wallet's currency", async () => {
    const built = request.build();
    expect(built.budget?.currency).toBeUndefined();
    const { url, pending } = await wallet.startAuthorization({ allowance: built });
    const connection = await wallet.finishAuthorization(await answerConsent(browser, url), pending);
    expect(connection.allowance.budget).toEqual({
      currency: 'USD',
      limits: [{ amount: '5.00', period: 'month' }],
    });
  });

  it('refuses an invalid allowance before anything is sent, and a budget in another currency', async () => {
    await expect(
      wallet.startAuthorization({
        allowance: allowance().providers('openai').models('gpt-4.1-mini').rate(0),
      }),
    ).rejects.toBeInstanceOf(InvalidAllowanceError);
    await expect(
      wallet.startAuthorization({
        allowance: allowance()
          .providers('openai')
          .models('gpt-4.1-mini')
          .currency('EUR')
          .budget('1.00', 'day'),
      }),
    ).rejects.toMatchObject({
      code: 'invalid_authorization_details',
      issues: [expect.stringContaining('USD')],
    });
  });

  it("surfaces the wallet's refusal of a pushed request with its code, before the user is involved", async () => {
    const expired = request.expiresAt(new Date(Date.now() - 86_400_000));
    const failure = wallet.startAuthorization({ allowance: expired });
    await expect(failure).rejects.toBeInstanceOf(AllowanceError);
    await expect(failure).rejects.toMatchObject({ code: 'invalid_authorization_details', status: 400 });
  });
});
