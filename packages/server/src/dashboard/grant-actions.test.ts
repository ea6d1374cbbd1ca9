import type { Page } from '@allowance/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWallet, type TestWallet } from '../test-support/test-wallet.js';
import {
  connectThroughConsent,
  csrfOf,
  fullAllowance,
  recordGrant,
  signUpWithKeys,
  storedGrant,
  type TestUser,
} from './dashboard-fixtures.js';

const DAY = 86_400_000;
const MAX_GRANT_DAYS = 30;
let wallet: TestWallet;
let user: TestUser;

beforeAll(async () => {
  wallet = await startTestWallet({ maxGrantSeconds: MAX_GRANT_DAYS * 86_400 });
  user = await signUpWithKeys(wallet, 'actions@example.com');
});
afterAll(async () => {
  await wallet.close();
});

const home = () => user.browser.open(`${wallet.issuer}/`);
const utcDate = (instant: number) => new Date(instant).toISOString().slice(0, 10);
/** A POST the page does not offer (a forged or stale form), with a valid session and CSRF token. */
const forge = async (page: Page, path: string, fields: Record<string, string> = {}) =>
  user.browser.open(`${wallet.issuer}${path}`, {
    method: 'POST',
    body: new URLSearchParams({ csrf: csrfOf(page), ...fields }),
  });

describe('suspend, resume and revoke', () => {
  it('suspends with a reason, resumes, and revocation is final', async () => {
    const grantId = await recordGrant(wallet, user.accountId, 'server-app', fullAllowance(Date.now() + DAY));
    let page = await home();
    page = await user.browser.submit(page, `section[data-grant-card="${grantId}"] form.suspend`, {
      reason: 'on holiday',
    });
    expect(page.status).toBe(200);
    expect(page.document.querySelector('#notice')?.text).toContain('Suspended');
    expect(await storedGrant(wallet, grantId)).toMatchObject({
      status: 'suspended',
      status_reason: 'on holiday',
    });
    expect(page.document.querySelector(`section[data-grant-card="${grantId}"] .status`)?.text).toBe(
      'suspended',
    );

    const again = await forge(page, `/grants/${grantId}/suspend`);
    expect(again.status).toBe(409);

    page = await user.browser.submit(page, `section[data-grant-card="${grantId}"] form.resume`);
    expect(page.status).toBe(200);
    expect(await storedGrant(wallet, grantId)).toMatchObject({ status: 'active', status_reason: null });

    // Revoke asks once: the first press changes nothing, the confirmation revokes.
    page = await user.browser.submit(page, `section[data-grant-card="${grantId}"] form.revoke`);
    expect(page.status).toBe(200);
    expect(page.document.querySelector('h1')?.text).toContain('Revoke');
    expect(await storedGrant(wallet, grantId)).toMatchObject({ status: 'active' });
    page = await user.browser.submit(page, '#confirm-revoke');
    expect(page.status).toBe(200);
    expect(await storedGrant(wallet, grantId)).toMatchObject({ status: 'revoked' });
    for (const action of ['resume', 'suspend', 'limits', 'expiry']) {
      const refused = await forge(page, `/grants/${grantId}/${action}`, {
        expires_on: utcDate(Date.now() + DAY),
      });
      expect(refused.status, action).toBe(409);
      expect(refused.document.querySelector('#problem')?.text).toContain('revocation is final');
    }
    expect(await storedGrant(wallet, grantId)).toMatchObject({ status: 'revoked' });
  });
});

describe('lowering limits', () => {
  it('stores a lower allowance, and the gateway reads it from grants.details', async () => {
    const grantId = await recordGrant(
      wallet,
      user.accountId,
      'server-app',
      fullAllowance(Date.now() + 5 * DAY),
    );
    const before = await storedGrant(wallet, grantId);
    const page = await user.browser.submit(await home(), `form[action="/grants/${grantId}/limits"]`, {
      model: ['gpt-4.1-mini'],
      'budget.month': '4',
      'budget.day': '0.25',
      'tokens.max_output_per_request': '1000',
      'tokens.day': '5000',
      rate: '10',
      confirm_above: '0.10',
      scope: ['document:read'],
      retention: 'none',
    });
    expect(page.status).toBe(200);
    expect(page.document.querySelector('#notice')?.text).toContain('lower limits apply');
    const after = await storedGrant(wallet, grantId);
    expect(JSON.parse(after.details)).toEqual({
      ...JSON.parse(before.details),
      models: ['gpt-4.1-mini'],
      budget: {
        currency: 'USD',
        limits: [
          { period: 'month', amount: '4.00' },
          { period: 'day', amount: '0.25' },
        ],
      },
      tokens: {
        max_input_per_request: 50000,
        max_output_per_request: 1000,
        limits: [{ period: 'day', tokens: 5000 }],
      },
      rate: { requests_per_minute: 10 },
      confirm_above: { amount: '0.10' },
      scopes: ['document:read'],
      retention: 'none',
    });
    expect(after.expires_at).toBe(before.expires_at);
    expect(page.document.querySelector(`section[data-grant-card="${grantId}"] dd.budget`)?.text).toBe(
      '4.00 USD per month; 0.25 USD per day',
    );
  });

  it('refuses a forged edit that raises anything with 400, and changes nothing', async () => {
    const grantId = await recordGrant(
      wallet,
      user.accountId,
      'server-app',
      fullAllowance(Date.now() + 5 * DAY),
    );
    const before = await storedGrant(wallet, grantId);
    const page = await home();
    const selector = `form[action="/grants/${grantId}/limits"]`;
    const raises: Array<[Record<string, string | string[]>, string]> = [
      [{ 'budget.month': '10.01' }, 'budget.limits.month'],
      [{ 'tokens.day': '100001' }, 'tokens.limits.day'],
      [{ 'tokens.max_input_per_request': '60000' }, 'tokens.max_input_per_request'],
      [{ rate: '61' }, 'rate.requests_per_minute'],
      [{ confirm_above: '0.51' }, 'confirm_above.amount'],
      [{ model: ['gpt-4.1-mini', 'gpt-5'] }, '"gpt-5" is not in the current allowance'],
      [{ scope: ['document:read', 'admin'] }, '"admin" is not in the current allowance'],
      [{ 'budget.day': '' }, 'Budget per day: enter an amount'],
    ];
    for (const [raise, expected] of raises) {
      const refused = await user.browser.submit(page, selector, raise);
      expect(refused.status, JSON.stringify(raise)).toBe(400);
      expect(refused.document.querySelector('#problem')?.text).toContain(expected);
    }
    expect(await storedGrant(wallet, grantId)).toEqual(before);
  });
});

describe('moving the expiry', () => {
  it('shortens and extends within the wallet maximum, never past it', async () => {
    const grantId = await connectThroughConsent(wallet, user);
    const page = await home();
    const selector = `form[action="/grants/${grantId}/expiry"]`;
    const expiryOf = async () => {
      const row = await storedGrant(wallet, grantId);
      return { column: Number(row.expires_at), detail: JSON.parse(row.details).expires_at as string };
    };

    const shorter = utcDate(Date.now() + 3 * DAY);
    expect((await user.browser.submit(page, selector, { expires_on: shorter })).status).toBe(200);
    expect(await expiryOf()).toEqual({
      column: Date.parse(`${shorter}T23:59:59Z`),
      detail: `${shorter}T23:59:59Z`,
    });

    const longer = utcDate(Date.now() + (MAX_GRANT_DAYS - 2) * DAY);
    expect((await user.browser.submit(page, selector, { expires_on: longer })).status).toBe(200);
    expect(await expiryOf()).toEqual({
      column: Date.parse(`${longer}T23:59:59Z`),
      detail: `${longer}T23:59:59Z`,
    });
    const oidcGrant = await wallet.store.database
      .selectFrom('oidc_models')
      .select(['expires_at', 'payload'])
      .where('model', '=', 'Grant')
      .where('id', '=', grantId)
      .executeTakeFirstOrThrow();
    expect(Number(oidcGrant.expires_at)).toBe(Date.parse(`${longer}T23:59:59Z`) / 1000);
    expect(JSON.parse(oidcGrant.payload).exp).toBe(Date.parse(`${longer}T23:59:59Z`) / 1000);

    for (const refusedDate of [
      utcDate(Date.now() + (MAX_GRANT_DAYS + 1) * DAY),
      utcDate(Date.now() - DAY),
      '2026-02-30',
      'soon',
    ]) {
      const refused = await user.browser.submit(page, selector, { expires_on: refusedDate });
      expect(refused.status, refusedDate).toBe(400);
    }
    expect(await expiryOf()).toEqual({
      column: Date.parse(`${longer}T23:59:59Z`),
      detail: `${longer}T23:59:59Z`,
    });

    // The last allowed day ends at the maximum itself.
    const before = Date.now();
    const last = await user.browser.submit(page, selector, {
      expires_on: utcDate(before + MAX_GRANT_DAYS * DAY),
    });
    expect(last.status).toBe(200);
    const { column } = await expiryOf();
    expect(column).toBeLessThanOrEqual(Date.now() + MAX_GRANT_DAYS * DAY);
    expect(column).toBeGreaterThan(before + MAX_GRANT_DAYS * DAY - 2000);
  });
});
