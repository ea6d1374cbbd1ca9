import { formatMoney } from '@allowance/protocol';
import type { ScriptedBrowser } from '@allowance/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

// Spec MTR-35 end to end: a limit set or changed on the dashboard counts everything already spent
// in its current period, whichever app spent it, and from then on the gateway refuses the call
// that would pass it (MTR-19), to the micro-unit.

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const BUDGET = { currency: 'USD', limits: [{ amount: '5.00', period: 'month' }] };

const ask = (token: string) =>
  new OpenAI({
    apiKey: token,
    baseURL: `${harness.wallet.gateway}/v1`,
    maxRetries: 0,
  }).chat.completions.create({
    model: 'gpt-4.1-mini',
    messages: [{ role: 'user', content: 'Write two lines about the sea.' }],
    max_tokens: 60,
  });

/** Calls until the gateway refuses one; returns how many went through and the refusal. */
async function callUntilRefused(tokens: string[], most = 40) {
  for (let call = 0; call < most; call += 1) {
    try {
      await ask(tokens[call % tokens.length] as string);
    } catch (error) {
      return { accepted: call, refusal: error as InstanceType<typeof OpenAI.APIError> };
    }
  }
  throw new Error(`${most} calls went through`);
}

async function ledgerSum(where: { account?: string; grant?: string }, since = 0): Promise<number> {
  let query = harness.store.database
    .selectFrom('ledger')
    .select(['cost_micros', 'account_id', 'grant_id'])
    .where('started_at', '>=', since);
  if (where.account) query = query.where('account_id', '=', where.account);
  if (where.grant) query = query.where('grant_id', '=', where.grant);
  return (await query.execute()).reduce((sum, row) => sum + Number(row.cost_micros), 0);
}

async function accountOf(grantId: string): Promise<string> {
  const row = await harness.store.database
    .selectFrom('grants')
    .select('account_id')
    .where('id', '=', grantId)
    .executeTakeFirstOrThrow();
  return row.account_id;
}

async function twoApps(browser: ScriptedBrowser) {
  const first = await connectApp(harness, browser, {
    providers: ['openai'],
    models: ['gpt-4.1-mini'],
    budget: BUDGET,
  });
  const second = await connectApp(harness, browser, {
    providers: ['openai'],
    models: ['gpt-4.1-mini'],
    budget: BUDGET,
  });
  return [first, second] as const;
}

describe('a wallet cap set mid-month (MTR-35)', () => {
  it('counts what every app already spent this month, and holds to the micro-unit', async () => {
    const browser = await userWithKeys(harness, 'cap-mid-month@example.com');
    const [first, second] = await twoApps(browser);
    for (let call = 0; call < 4; call += 1) {
      await ask(first.accessToken);
      await ask(second.accessToken);
    }
    const account = await accountOf(first.grantId);
    const before = await ledgerSum({ account });
    expect(before).toBeGreaterThan(0);

    // Room for a few more calls only: 300 micro-units over this month's spend.
    const cap = before + 300;
    const home = await browser.open(`${harness.wallet.issuer}/`);
    const saved = await browser.submit(home, '#set-monthly-cap', { amount: formatMoney(cap) });
    expect(saved.status).toBe(200);
    expect(saved.document.querySelector('#month-spent')?.textContent).toBe(formatMoney(before));
    expect(saved.document.querySelector('#month-cap')?.textContent).toBe(formatMoney(cap));

    const { accepted, refusal } = await callUntilRefused([first.accessToken, second.accessToken]);
    expect(refusal.status).toBe(402);
    expect((refusal.error as { code?: string }).code).toBe('budget_exhausted');
    expect(refusal.message).toContain('monthly cap');
    const after = await ledgerSum({ account });
    // Never past the cap, counting the spend from before it was set.
    expect(after).toBeLessThanOrEqual(cap);
    // The cap is not counted twice either: the calls that fit went through.
    expect(accepted).toBeGreaterThan(0);
    const counter = await harness.store.database
      .selectFrom('usage_counters')
      .selectAll()
      .where('subject', '=', `wallet:${account}`)
      .executeTakeFirstOrThrow();
    expect([Number(counter.spent), Number(counter.reserved), Number(counter.cap)]).toEqual([after, 0, cap]);

    // Lowered below what is spent: every further call this month is refused.
    const lowered = await browser.submit(
      await browser.open(`${harness.wallet.issuer}/`),
      '#set-monthly-cap',
      {
        amount: formatMoney(Math.max(1, after - 1)),
      },
    );
    expect(lowered.status).toBe(200);
    await expect(ask(second.accessToken)).rejects.toMatchObject({ status: 402 });
    expect(await ledgerSum({ account })).toBe(after);

    // Removed, and set again: it still counts the whole month.
    const removed = await browser.submit(
      await browser.open(`${harness.wallet.issuer}/`),
      '#clear-monthly-cap',
    );
    expect(removed.status).toBe(200);
    await ask(first.accessToken);
    const spentWithoutCap = await ledgerSum({ account });
    expect(spentWithoutCap).toBeGreaterThan(after);
    await browser.submit(await browser.open(`${harness.wallet.issuer}/`), '#set-monthly-cap', {
      amount: formatMoney(spentWithoutCap),
    });
    await expect(ask(first.accessToken)).rejects.toMatchObject({ status: 402 });
    expect(await ledgerSum({ account })).toBe(spentWithoutCap);
  });
});

describe('a grant limit edited on the dashboard (MTR-35)', () => {
  it('adds a week limit that counts this week’s spend, and lowers a month limit below what is spent', async () => {
    const browser = await userWithKeys(harness, 'grant-limits@example.com');
    const [first, second] = await twoApps(browser);
    for (let call = 0; call < 4; call += 1) await ask(first.accessToken);
    await ask(second.accessToken);
    const spentByFirst = await ledgerSum({ grant: first.grantId });

    // A week limit added now counts the calls already made this week.
    const week = spentByFirst + 200;
    const home = await browser.open(`${harness.wallet.issuer}/`);
    const added = await browser.submit(home, `form[action="/grants/${first.grantId}/limits"]`, {
      'budget.week': formatMoney(week),
    });
    expect(added.status).toBe(200);
    const stored = await harness.store.database
      .selectFrom('grants')
      .select('details')
      .where('id', '=', first.grantId)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.details).budget.limits).toContainEqual({
      period: 'week',
      amount: formatMoney(week),
    });
    const { refusal } = await callUntilRefused([first.accessToken]);
    expect(refusal.status).toBe(402);
    expect(refusal.message).toContain('week limit');
    expect(await ledgerSum({ grant: first.grantId })).toBeLessThanOrEqual(week);
    // The other app is not touched by this grant's limit.
    await expect(ask(second.accessToken)).resolves.toMatchObject({ object: 'chat.completion' });

    // Lowered below what the other app already spent this month: it is refused from its next call.
    const spentBySecond = await ledgerSum({ grant: second.grantId });
    const lowered = await browser.submit(
      await browser.open(`${harness.wallet.issuer}/`),
      `form[action="/grants/${second.grantId}/limits"]`,
      { 'budget.month': formatMoney(spentBySecond - 1) },
    );
    expect(lowered.status).toBe(200);
    await expect(ask(second.accessToken)).rejects.toMatchObject({ status: 402 });
    expect(await ledgerSum({ grant: second.grantId })).toBe(spentBySecond);
  });
});
