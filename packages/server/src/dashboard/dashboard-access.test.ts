import { ScriptedBrowser } from '@allowance/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWallet, type TestWallet } from '../test-support/test-wallet.js';
import {
  connectThroughConsent,
  csrfOf,
  recordCall,
  signUpWithKeys,
  storedGrant,
  type TestUser,
} from './dashboard-fixtures.js';

let wallet: TestWallet;
let owner: TestUser;
let intruder: TestUser;
let grantId: string;
let callId: string;

const PAGES = ['/', '/spend', '/spend.csv', '/activity', '/settings'];
const FORMS = [
  '/grants/GRANT/suspend',
  '/grants/GRANT/resume',
  '/grants/GRANT/revoke',
  '/grants/GRANT/limits',
  '/grants/GRANT/expiry',
  '/monthly-cap',
  '/monthly-cap/clear',
  '/settings/time-zone',
  '/settings/currency',
  '/settings/prices',
  '/settings/prices/delete',
  '/settings/exchange-rates',
  '/settings/exchange-rates/delete',
  '/keys',
  '/keys/openai/delete',
];
const fields = {
  reason: 'x',
  expires_on: '2030-01-01',
  amount: '1',
  time_zone: 'Asia/Tokyo',
  currency: 'JPY',
};

beforeAll(async () => {
  wallet = await startTestWallet();
  owner = await signUpWithKeys(wallet, 'owner@example.com', 'OWN1');
  intruder = await signUpWithKeys(wallet, 'intruder@example.com', 'INT2');
  grantId = await connectThroughConsent(wallet, owner);
  const call = await recordCall(wallet, {
    grant_id: grantId,
    account_id: owner.accountId,
    client_id: 'blog-assistant',
    model: 'owner-only-model',
    started_at: Date.now() - 1000,
  });
  callId = call.id;
});
afterAll(async () => {
  await wallet.close();
});

const ownerState = async () => ({
  grant: await storedGrant(wallet, grantId),
  wallet: await wallet.store.database
    .selectFrom('wallets')
    .selectAll()
    .where('account_id', '=', owner.accountId)
    .execute(),
  keys: await wallet.store.database
    .selectFrom('provider_credentials')
    .select(['provider_id', 'key_last_four', 'updated_at'])
    .where('account_id', '=', owner.accountId)
    .execute(),
});

describe('dashboard access', () => {
  it('sends a browser without a session to sign in, and refuses its forms with 401', async () => {
    for (const path of PAGES) {
      const response = await fetch(`${wallet.issuer}${path}`, { redirect: 'manual' });
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location'), path).toBe('/signin');
    }
    const before = await ownerState();
    for (const path of FORMS) {
      const response = await fetch(`${wallet.issuer}${path.replace('GRANT', grantId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: 'x', ...fields }),
      });
      expect(response.status, path).toBe(401);
    }
    expect(await ownerState()).toEqual(before);
  });

  it('refuses every form without this browser’s CSRF token with 403', async () => {
    const before = await ownerState();
    // Another browser's valid token does not count either: it is bound to that browser's cookie.
    const otherBrowser = new ScriptedBrowser(wallet.issuer);
    const foreignToken = csrfOf(await otherBrowser.open(`${wallet.issuer}/signin`));
    for (const csrf of [undefined, 'forged', foreignToken]) {
      for (const path of FORMS) {
        const response = await owner.browser.open(`${wallet.issuer}${path.replace('GRANT', grantId)}`, {
          method: 'POST',
          body: new URLSearchParams({ ...(csrf !== undefined && { csrf }), ...fields }),
        });
        expect(response.status, `${path} with ${csrf}`).toBe(403);
      }
    }
    expect(await ownerState()).toEqual(before);
  });

  it('binds the CSRF token to the session: a token from before sign-in or sign-out is refused', async () => {
    const browser = new ScriptedBrowser(wallet.issuer);
    const signIn = await browser.open(`${wallet.issuer}/signin`);
    const anonymousToken = csrfOf(signIn);
    const home = await browser.submit(signIn, 'form[action="/signup"]', {
      email: 'session-bound@example.com',
      password: 'correct horse battery',
    });
    const sessionToken = csrfOf(home);
    expect(sessionToken).not.toBe(anonymousToken);
    const change = (csrf: string) =>
      browser.open(`${wallet.issuer}/settings/time-zone`, {
        method: 'POST',
        body: new URLSearchParams({ csrf, time_zone: 'Asia/Tokyo' }),
      });
    expect((await change(anonymousToken)).status).toBe(403);
    expect((await change(sessionToken)).status).toBe(200);
    const signedOut = await browser.submit(
      await browser.open(`${wallet.issuer}/`),
      'form[action="/signout"]',
    );
    expect(signedOut.status).toBe(200);
    const again = await browser.submit(
      await browser.open(`${wallet.issuer}/signin`),
      'form[action="/login"]',
      {
        email: 'session-bound@example.com',
        password: 'correct horse battery',
      },
    );
    expect(csrfOf(again)).not.toBe(sessionToken);
    expect((await change(sessionToken)).status).toBe(403);
  });

  it('never shows one user another’s grants, keys or calls, and answers 404 to actions on them', async () => {
    for (const path of PAGES) {
      const page = await intruder.browser.open(`${wallet.issuer}${path}`);
      expect(page.status, path).toBe(200);
      expect(page.html, path).not.toContain(grantId);
      expect(page.html, path).not.toContain('OWN1');
      expect(page.html, path).not.toContain(callId);
      expect(page.html, path).not.toContain('owner-only-model');
    }
    const filtered = await intruder.browser.open(
      `${wallet.issuer}/activity?app=blog-assistant&model=owner-only-model`,
    );
    expect(filtered.html).not.toContain(callId);

    const before = await ownerState();
    const csrf = csrfOf(await intruder.browser.open(`${wallet.issuer}/`));
    for (const action of ['suspend', 'resume', 'revoke', 'limits', 'expiry']) {
      const response = await intruder.browser.open(`${wallet.issuer}/grants/${grantId}/${action}`, {
        method: 'POST',
        body: new URLSearchParams({ csrf, ...fields, 'budget.month': '1', model: 'gpt-4.1-mini' }),
      });
      expect(response.status, action).toBe(404);
      expect(response.html, action).not.toContain('OWN1');
    }
    expect(await ownerState()).toEqual(before);

    const ownerHome = await owner.browser.open(`${wallet.issuer}/`);
    expect(ownerHome.html).toContain(grantId);
    expect(ownerHome.html).toContain('…OWN1');
    expect(ownerHome.html).not.toContain('INT2');
  });
});
