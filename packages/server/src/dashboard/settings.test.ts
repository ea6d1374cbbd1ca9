import type { Page } from '@allowance/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWallet, type TestWallet } from '../test-support/test-wallet.js';
import { fullAllowance, recordGrant, signUpWithKeys, type TestUser } from './dashboard-fixtures.js';

let wallet: TestWallet;
let user: TestUser;

beforeAll(async () => {
  wallet = await startTestWallet();
  user = await signUpWithKeys(wallet, 'settings@example.com');
});
afterAll(async () => {
  await wallet.close();
});

const stored = () =>
  wallet.store.database
    .selectFrom('wallets')
    .selectAll()
    .where('account_id', '=', user.accountId)
    .executeTakeFirstOrThrow();
const settings = () => user.browser.open(`${wallet.issuer}/settings`);
const priceRow = (page: Page, key: string) =>
  page.document
    .querySelector(`tr[data-price="${key}"]`)
    ?.querySelectorAll('td')
    .map((cell) => cell.text.trim());

describe('settings', () => {
  it('sets a time zone only when it is a real IANA name', async () => {
    const refused = await user.browser.submit(await settings(), '#time-zone-form', {
      time_zone: 'Mars/Olympus_Mons',
    });
    expect(refused.status).toBe(400);
    expect(refused.document.querySelector('#problem')?.text).toContain('Mars/Olympus_Mons');
    expect((await stored()).time_zone).toBe('UTC');
    const saved = await user.browser.submit(await settings(), '#time-zone-form', {
      time_zone: 'Europe/Paris',
    });
    expect(saved.status).toBe(200);
    expect((await stored()).time_zone).toBe('Europe/Paris');
    expect(saved.document.querySelector('#time-zone-input')?.getAttribute('value')).toBe('Europe/Paris');
  });

  it('refuses to change the currency while a grant has a budget in it, and allows it after', async () => {
    const grantId = await recordGrant(
      wallet,
      user.accountId,
      'server-app',
      fullAllowance(Date.now() + 86_400_000),
    );
    // An expired grant can still be extended, so it counts too.
    await wallet.store.database
      .updateTable('grants')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', grantId)
      .execute();
    const refused = await user.browser.submit(await settings(), '#currency-form', { currency: 'EUR' });
    expect(refused.status).toBe(409);
    expect(refused.document.querySelector('#problem')?.text).toContain('budgets in the current currency');
    expect((await stored()).currency).toBe('USD');

    const malformed = await user.browser.submit(await settings(), '#currency-form', { currency: 'EURO' });
    expect(malformed.status).toBe(400);

    await wallet.store.database
      .updateTable('grants')
      .set({ status: 'revoked' })
      .where('id', '=', grantId)
      .execute();
    const saved = await user.browser.submit(await settings(), '#currency-form', { currency: 'eur' });
    expect(saved.status).toBe(200);
    expect((await stored()).currency).toBe('EUR');
  });

  it('validates a price override, shows it over the defaults, and removes it', async () => {
    let page = await settings();
    expect(priceRow(page, 'openai/gpt-4.1-mini')).toEqual(['USD', '0.40', '0.10', '0.40', '1.60', 'default']);
    const before = (await stored()).price_overrides;
    for (const bad of [
      { input: 'cheap' },
      { currency: 'dollars' },
      { provider: 'Open AI' },
      { output: '-1' },
    ]) {
      const refused = await user.browser.submit(page, '#price-form', {
        provider: 'openai',
        model: 'gpt-4.1-mini',
        currency: 'USD',
        input: '0.5',
        output: '2',
        ...bad,
      });
      expect(refused.status, JSON.stringify(bad)).toBe(400);
      expect((await stored()).price_overrides).toBe(before);
    }
    page = await user.browser.submit(page, '#price-form', {
      provider: 'openai',
      model: 'gpt-4.1-mini',
      currency: 'usd',
      input: '0.5',
      cached_input: '',
      cache_write: '',
      output: '2',
    });
    expect(page.status).toBe(200);
    expect(JSON.parse((await stored()).price_overrides)).toEqual({
      openai: { 'gpt-4.1-mini': { currency: 'USD', input: '0.50', output: '2.00' } },
    });
    expect(priceRow(page, 'openai/gpt-4.1-mini')).toEqual([
      'USD',
      '0.50',
      '0.50',
      '0.50',
      '2.00',
      'yours Remove',
    ]);

    page = await user.browser.submit(page, '#price-form', {
      provider: 'acme',
      model: 'acme-large',
      currency: 'EUR',
      input: '1',
      cached_input: '0.1',
      cache_write: '1.25',
      output: '3',
    });
    expect(priceRow(page, 'acme/acme-large')).toEqual([
      'EUR',
      '1.00',
      '0.10',
      '1.25',
      '3.00',
      'yours Remove',
    ]);

    page = await user.browser.submit(page, 'tr[data-price="openai/gpt-4.1-mini"] form');
    expect(page.status).toBe(200);
    expect(priceRow(page, 'openai/gpt-4.1-mini')?.at(-1)).toBe('default');
    expect(Object.keys(JSON.parse((await stored()).price_overrides))).toEqual(['acme']);
  });

  it('sets and removes exchange rates', async () => {
    let page = await user.browser.submit(await settings(), '#exchange-rate-form', {
      currency: 'usd',
      rate: '0.92',
    });
    expect(page.status).toBe(200);
    const walletCurrency = (await stored()).currency;
    expect(JSON.parse((await stored()).exchange_rates)).toEqual({ USD: '0.92' });
    const own = await user.browser.submit(page, '#exchange-rate-form', {
      currency: walletCurrency,
      rate: '1',
    });
    expect(own.status).toBe(400);
    const zero = await user.browser.submit(page, '#exchange-rate-form', { currency: 'GBP', rate: '0' });
    expect(zero.status).toBe(400);
    page = await user.browser.submit(page, 'tr[data-rate="USD"] form');
    expect(JSON.parse((await stored()).exchange_rates)).toEqual({});
  });

  it('shows the automatic suspension thresholds, lets the owner set them, and back to the defaults (SEC-4)', async () => {
    const page = await settings();
    const { currency } = await stored();
    expect(page.document.querySelector('#anomaly-summary')?.text).toBe(
      `more than 300 calls in 10 seconds, or more than 2.00 ${currency} spent in 1 minute`,
    );
    const refused = await user.browser.submit(page, '#anomaly-form', { burst_calls: '1' });
    expect(refused.status).toBe(400);
    expect((await stored()).anomaly_burst_calls).toBeNull();
    const saved = await user.browser.submit(await settings(), '#anomaly-form', {
      burst_calls: '1000',
      burst_seconds: '10',
      spend_amount: '0.50',
      spend_seconds: '120',
    });
    expect(saved.status).toBe(200);
    expect(saved.document.querySelector('#anomaly-summary')?.text).toBe(
      `more than 1000 calls in 10 seconds, or more than 0.50 ${currency} spent in 2 minutes`,
    );
    const row = await stored();
    expect([
      row.anomaly_burst_calls,
      row.anomaly_burst_seconds,
      row.anomaly_spend_micros,
      row.anomaly_spend_seconds,
    ]).toEqual([1000, 10, 500_000, 120]);
    const reset = await user.browser.submit(saved, '#anomaly-reset');
    expect(reset.document.querySelector('#anomaly-summary')?.text).toContain('more than 300 calls');
    expect((await stored()).anomaly_spend_micros).toBeNull();
  });
});
