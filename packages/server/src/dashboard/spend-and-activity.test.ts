import { formatMoney } from '@allowance/protocol';
import type { LedgerEntry } from '@allowance/store';
import type { Page } from '@allowance/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWallet, type TestWallet } from '../test-support/test-wallet.js';
import {
  connectThroughConsent,
  fullAllowance,
  recordCall,
  recordGrant,
  signUpWithKeys,
  type TestUser,
} from './dashboard-fixtures.js';
import { updateWallet } from './wallet-changes.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
// Twelve or thirteen hours ahead of UTC: its days are not UTC's, so bucketing by UTC would fail.
const TIME_ZONE = 'Pacific/Auckland';
const NAMES: Record<string, string> = { 'blog-assistant': 'Blog Assistant', 'server-app': 'Server App' };
let wallet: TestWallet;

beforeAll(async () => {
  wallet = await startTestWallet();
});
afterAll(async () => {
  await wallet.close();
});

/** The calendar date of an instant in the zone, computed independently of the code under test. */
const localDate = (instant: number) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);

const sumBy = (rows: readonly LedgerEntry[], key: (row: LedgerEntry) => string) => {
  const sums = new Map<string, { calls: number; micros: number }>();
  for (const row of rows) {
    const entry = sums.get(key(row)) ?? { calls: 0, micros: 0 };
    sums.set(key(row), { calls: entry.calls + 1, micros: entry.micros + row.cost_micros });
  }
  return sums;
};

const totalsTable = (page: Page, id: string) =>
  new Map(
    page.document
      .querySelectorAll(`#${id}-totals tbody tr`)
      .map((row) => [
        row.getAttribute('data-key') ?? '',
        { calls: Number(row.querySelector('.calls')?.text), amount: row.querySelector('.amount')?.text },
      ]),
  );

describe('spend over the last 30 days', () => {
  let user: TestUser;
  const inWindow: LedgerEntry[] = [];

  beforeAll(async () => {
    user = await signUpWithKeys(wallet, 'spend@example.com');
    await updateWallet(wallet.store, user.accountId, { timeZone: TIME_ZONE }, Date.now());
    const blog = await connectThroughConsent(wallet, user);
    const server = await recordGrant(wallet, user.accountId, 'server-app', fullAllowance(Date.now() + DAY));
    const stranger = await signUpWithKeys(wallet, 'stranger@example.com', '0009');
    const now = Date.now();
    // The 30 calendar dates ending today, by calendar arithmetic on today's date.
    const [year, month, day] = localDate(now).split('-').map(Number) as [number, number, number];
    const days = new Set(
      Array.from({ length: 30 }, (_, back) =>
        new Date(Date.UTC(year, month - 1, day - back)).toISOString().slice(0, 10),
      ),
    );
    for (let back = 0; back <= 31; back += 1) {
      for (let index = 0; index < 3; index += 1) {
        const startedAt = now - back * DAY - index * 5 * HOUR;
        const row = await recordCall(wallet, {
          grant_id: index === 0 ? server : blog,
          account_id: user.accountId,
          client_id: index === 0 ? 'server-app' : 'blog-assistant',
          model: (back + index) % 2 === 0 ? 'gpt-4.1-mini' : 'claude-sonnet-4-6',
          started_at: startedAt,
          cost_micros: 1000 * back + 7 * index + 1,
        });
        if (days.has(localDate(startedAt)) && startedAt <= now) inWindow.push(row);
      }
      await recordCall(wallet, {
        grant_id: 'gr_stranger',
        account_id: stranger.accountId,
        client_id: 'server-app',
        model: 'stranger-model',
        started_at: now - back * DAY,
        cost_micros: 999_999,
      });
    }
  });

  it('charts spend per day by app and by model, with totals equal to the ledger rows', async () => {
    const page = await user.browser.open(`${wallet.issuer}/spend`);
    expect(page.status).toBe(200);
    const total = inWindow.reduce((sum, row) => sum + row.cost_micros, 0);
    expect(page.document.querySelector('#spend-total')?.text).toBe(formatMoney(total));
    expect(page.document.querySelector('#spend-calls')?.text).toBe(String(inWindow.length));

    const byApp = totalsTable(page, 'spend-by-app');
    const expectedApps = sumBy(inWindow, (row) => row.client_id);
    expect([...byApp.keys()].sort()).toEqual([...expectedApps.keys()].sort());
    for (const [app, sums] of expectedApps) {
      expect(byApp.get(app)).toEqual({ calls: sums.calls, amount: formatMoney(sums.micros) });
    }
    const byModel = totalsTable(page, 'spend-by-model');
    const expectedModels = sumBy(inWindow, (row) => row.model);
    expect([...byModel.keys()].sort()).toEqual(['claude-sonnet-4-6', 'gpt-4.1-mini']);
    for (const [model, sums] of expectedModels) {
      expect(byModel.get(model)).toEqual({ calls: sums.calls, amount: formatMoney(sums.micros) });
    }

    const perDay = sumBy(inWindow, (row) => localDate(row.started_at));
    const dayRows = page.document.querySelectorAll('#spend-per-day tbody tr');
    expect(dayRows).toHaveLength(30);
    expect(dayRows.at(-1)?.getAttribute('data-day')).toBe(localDate(Date.now()));
    for (const row of dayRows) {
      const expected = perDay.get(row.getAttribute('data-day') ?? '');
      expect(row.querySelectorAll('td').map((cell) => cell.text)).toEqual([
        String(expected?.calls ?? 0),
        formatMoney(expected?.micros ?? 0),
      ]);
    }
    const svg = page.document.querySelector('#spend-by-app svg');
    expect(svg?.getAttribute('role')).toBe('img');
    expect(svg?.querySelector('desc')?.text).toContain(formatMoney(total));
    expect(svg?.querySelectorAll('rect').length).toBeGreaterThan(0);
    expect(page.html).not.toContain('style=');
    expect(page.html).not.toContain('stranger-model');
  });

  it('exports CSV: a header and one row per day, app and model, with exact decimal money', async () => {
    const response = await user.browser.open(`${wallet.issuer}/spend.csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="allowance-spend-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const [header, ...lines] = response.html.trimEnd().split('\r\n');
    expect(header).toBe(
      'date,app,client_id,model,calls,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,cost,currency',
    );
    const expected = sumBy(
      inWindow,
      (row) => `${localDate(row.started_at)},${NAMES[row.client_id]},${row.client_id},${row.model}`,
    );
    expect(lines).toHaveLength(expected.size);
    for (const line of lines) {
      const fields = line.split(',');
      const key = fields.slice(0, 4).join(',');
      const sums = expected.get(key);
      expect(sums, key).toBeDefined();
      expect(fields.slice(4)).toEqual([
        String(sums?.calls),
        String(100 * (sums?.calls ?? 0)),
        '0',
        '0',
        String(50 * (sums?.calls ?? 0)),
        formatMoney(sums?.micros ?? 0),
        'USD',
      ]);
    }
    expect(response.html).not.toContain('stranger-model');
  });
});

describe('the activity log', () => {
  let user: TestUser;
  let rows: LedgerEntry[] = [];

  beforeAll(async () => {
    user = await signUpWithKeys(wallet, 'activity@example.com');
    const now = Date.now();
    for (let index = 0; index < 120; index += 1) {
      rows.push(
        await recordCall(wallet, {
          grant_id: 'gr_activity',
          account_id: user.accountId,
          client_id: index % 3 === 0 ? 'server-app' : 'blog-assistant',
          model: index % 2 === 0 ? 'gpt-4.1-mini' : 'claude-sonnet-4-6',
          // Pairs of calls share an instant, so paging must order by id as well.
          started_at: now - Math.floor(index / 2) * 60_000,
        }),
      );
    }
    rows = rows.sort((a, b) => b.started_at - a.started_at || (a.id < b.id ? 1 : -1));
  });

  const idsOn = (page: Page) =>
    page.document.querySelectorAll('tr[data-call]').map((row) => row.getAttribute('data-call'));
  const follow = (page: Page, selector: string) => {
    const href = page.document.querySelector(selector)?.getAttribute('href');
    if (!href) throw new Error(`no link ${selector}`);
    return user.browser.open(new URL(href, wallet.issuer).href);
  };

  it('pages through every call, 50 at a time, newest first, with next and previous links', async () => {
    const first = await user.browser.open(`${wallet.issuer}/activity`);
    expect(idsOn(first)).toEqual(rows.slice(0, 50).map((row) => row.id));
    expect(first.document.querySelector('#newer')).toBeNull();
    const second = await follow(first, '#older');
    expect(idsOn(second)).toEqual(rows.slice(50, 100).map((row) => row.id));
    expect(second.document.querySelector('#newer')).not.toBeNull();
    const third = await follow(second, '#older');
    expect(idsOn(third)).toEqual(rows.slice(100).map((row) => row.id));
    expect(third.document.querySelector('#older')).toBeNull();
    const back = await follow(third, '#newer');
    expect(idsOn(back)).toEqual(idsOn(second));
    const top = await follow(back, '#newer');
    expect(idsOn(top)).toEqual(idsOn(first));
    expect(top.document.querySelector('#newer')).toBeNull();
    const cells = first.document.querySelector(`tr[data-call="${rows[0]?.id}"]`)?.querySelectorAll('td');
    expect(cells?.map((cell) => cell.text).slice(1)).toEqual([
      NAMES[rows[0]?.client_id ?? ''],
      rows[0]?.model,
      'openai',
      '100',
      '0',
      '0',
      '50',
      '0.001',
      'ok',
    ]);
  });

  it('filters by app, by model and by both, keeping the filters across pages', async () => {
    const byApp = await user.browser.open(`${wallet.issuer}/activity?app=server-app`);
    expect(idsOn(byApp)).toEqual(rows.filter((row) => row.client_id === 'server-app').map((row) => row.id));
    expect(byApp.document.querySelector('#older')).toBeNull();
    expect(byApp.document.querySelector('select[name=app] option[selected]')?.getAttribute('value')).toBe(
      'server-app',
    );

    const claude = rows.filter((row) => row.model === 'claude-sonnet-4-6');
    const byModel = await user.browser.open(`${wallet.issuer}/activity?model=claude-sonnet-4-6`);
    expect(idsOn(byModel)).toEqual(claude.slice(0, 50).map((row) => row.id));
    const rest = await follow(byModel, '#older');
    expect(idsOn(rest)).toEqual(claude.slice(50).map((row) => row.id));

    const both = await user.browser.open(`${wallet.issuer}/activity?app=server-app&model=gpt-4.1-mini`);
    expect(idsOn(both)).toEqual(
      rows
        .filter((row) => row.client_id === 'server-app' && row.model === 'gpt-4.1-mini')
        .map((row) => row.id),
    );
    const none = await user.browser.open(`${wallet.issuer}/activity?model=nothing-like-it&before=garbage`);
    expect(idsOn(none)).toEqual([]);
    expect(none.document.querySelector('#no-calls')).not.toBeNull();
  });
});
