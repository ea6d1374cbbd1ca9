import { parseMoney, periodWindow } from '@allowance/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWallet, type TestWallet } from '../test-support/test-wallet.js';
import {
  connectThroughConsent,
  fullAllowance,
  recordCall,
  recordGrant,
  setCounter,
  signUpWithKeys,
  storedGrant,
  type TestUser,
} from './dashboard-fixtures.js';

let wallet: TestWallet;
let user: TestUser;
const DAY = 86_400_000;

beforeAll(async () => {
  wallet = await startTestWallet();
  user = await signUpWithKeys(wallet, 'apps@example.com');
});
afterAll(async () => {
  await wallet.close();
});

const open = (path: string) => user.browser.open(`${wallet.issuer}${path}`);
const card = (page: Awaited<ReturnType<typeof open>>, grantId: string) =>
  page.document.querySelector(`section[data-grant-card="${grantId}"]`);

describe('connected apps on the home page', () => {
  it('shows a grant with its name, limits, status, expiry, a bar equal to the counters, and its last calls', async () => {
    const grantId = await connectThroughConsent(wallet, user, {
      'budget.month': '5.00',
      model: ['gpt-4.1-mini'],
    });
    const now = Date.now();
    const month = periodWindow('month', new Date(now), 'UTC').key;
    const lastMonth = periodWindow('month', new Date(now - 40 * DAY), 'UTC').key;
    await setCounter(wallet, {
      subject: grantId,
      kind: 'money',
      periodKey: month,
      cap: 5_000_000,
      spent: 1_234_567,
      reserved: 100_000,
    });
    await setCounter(wallet, {
      subject: grantId,
      kind: 'money',
      periodKey: lastMonth,
      cap: 5_000_000,
      spent: 4_900_000,
      reserved: 0,
    });
    const older = await recordCall(wallet, {
      grant_id: grantId,
      account_id: user.accountId,
      client_id: 'blog-assistant',
      model: 'gpt-4.1-mini',
      started_at: now - 60_000,
      cost_micros: 4321,
      input_tokens: 700,
      cached_input_tokens: 300,
      output_tokens: 90,
    });
    const newer = await recordCall(wallet, {
      grant_id: grantId,
      account_id: user.accountId,
      client_id: 'blog-assistant',
      model: 'gpt-4.1-mini',
      started_at: now - 1000,
      status: 'upstream_error',
      http_status: 429,
      error_code: 'rate_limited',
      cost_micros: 0,
    });

    const home = await open('/');
    expect(home.status).toBe(200);
    const section = card(home, grantId);
    expect(section?.querySelector('h3')?.text).toContain('Blog Assistant');
    expect(section?.querySelector('.status')?.text).toBe('active');
    expect(section?.querySelector('dd.models')?.text).toBe('gpt-4.1-mini');
    expect(section?.querySelector('dd.budget')?.text).toBe('5.00 USD per month');
    expect(section?.querySelector('dd.scopes')?.text).toBe('document:read, document:write');
    const { details } = await storedGrant(wallet, grantId).then((row) => ({
      details: JSON.parse(row.details),
    }));
    expect(section?.querySelector('time')?.getAttribute('datetime')).toBe(details.expires_at);

    const usage = section?.querySelector('li[data-usage="money:month"]');
    expect(usage?.getAttribute('data-period-key')).toBe(month);
    const meter = usage?.querySelector('meter');
    const value = parseMoney(meter?.getAttribute('value') ?? '');
    const max = parseMoney(meter?.getAttribute('max') ?? '');
    expect([value, max]).toEqual([1_234_567, 5_000_000]);
    expect(value / max).toBe(1_234_567 / 5_000_000);
    expect(usage?.querySelector('.reserved')?.text).toBe('0.10');
    expect(usage?.text).toContain('(25%)');

    const rows = section?.querySelectorAll('tr[data-call]') ?? [];
    expect(rows.map((row) => row.getAttribute('data-call'))).toEqual([newer.id, older.id]);
    expect(rows[0]?.text).toContain('upstream_error (429 rate_limited)');
    expect(rows[1]?.querySelector('.cost')?.text).toBe('0.004321');
    expect(rows[1]?.text).toContain('700');

    expect(home.html).not.toContain('style=');
    const stylesheet = await (await fetch(`${wallet.issuer}/assets/wallet.css`)).text();
    expect(stylesheet).toContain('meter.usage');

    const summary = home.document.querySelector(`tr[data-grant="${grantId}"]`);
    expect(summary?.querySelector('form')?.getAttribute('action')).toBe(`/grants/${grantId}/revoke`);
  });

  it('shows an expired grant as expired, and a revoked one only as a row without actions', async () => {
    const expired = await recordGrant(wallet, user.accountId, 'server-app', fullAllowance(Date.now() + DAY));
    await wallet.store.database
      .updateTable('grants')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', expired)
      .execute();
    const revoked = await recordGrant(wallet, user.accountId, 'server-app', fullAllowance(Date.now() + DAY));
    await wallet.store.database
      .updateTable('grants')
      .set({ status: 'revoked' })
      .where('id', '=', revoked)
      .execute();
    const home = await open('/');
    expect(card(home, expired)?.querySelector('.status')?.text).toBe('expired');
    expect(home.document.querySelector(`tr[data-grant="${expired}"] .status`)?.text).toBe('expired');
    expect(card(home, revoked)).toBeNull();
    expect(home.document.querySelector(`tr[data-grant="${revoked}"] .status`)?.text).toBe('revoked');
    expect(home.document.querySelector(`tr[data-grant="${revoked}"] form`)).toBeNull();
  });
});

describe('the wallet-wide monthly cap', () => {
  it('is set and cleared in micros, and this month’s ledger spend is shown against it', async () => {
    const other = await signUpWithKeys(wallet, 'cap@example.com');
    const grantId = await recordGrant(wallet, other.accountId, 'server-app', fullAllowance(Date.now() + DAY));
    for (const cost of [1_500_000, 250_001]) {
      await recordCall(wallet, {
        grant_id: grantId,
        account_id: other.accountId,
        client_id: 'server-app',
        model: 'gpt-4.1-mini',
        started_at: Date.now() - 1000,
        cost_micros: cost,
      });
    }
    const cap = () =>
      wallet.store.database
        .selectFrom('wallets')
        .select('monthly_cap_micros')
        .where('account_id', '=', other.accountId)
        .executeTakeFirstOrThrow()
        .then((row) => row.monthly_cap_micros);

    let home = await other.browser.open(`${wallet.issuer}/`);
    expect(home.document.querySelector('#month-spent')?.text).toBe('1.750001');
    const refused = await other.browser.submit(home, '#set-monthly-cap', { amount: '-3' });
    expect(refused.status).toBe(400);
    expect(await cap()).toBeNull();

    home = await other.browser.submit(home, '#set-monthly-cap', { amount: '50.5' });
    expect(home.status).toBe(200);
    expect(await cap()).toBe(50_500_000);
    expect(home.document.querySelector('#month-cap')?.text).toBe('50.50');
    const meter = home.document.querySelector('#monthly-cap meter');
    expect([meter?.getAttribute('value'), meter?.getAttribute('max')]).toEqual(['1.750001', '50.50']);

    home = await other.browser.submit(home, '#clear-monthly-cap');
    expect(home.status).toBe(200);
    expect(await cap()).toBeNull();
    expect(home.document.querySelector('#clear-monthly-cap')).toBeNull();
  });
});
