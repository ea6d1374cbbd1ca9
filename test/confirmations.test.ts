import {
  allowance,
  ConfirmationDeniedError,
  ConfirmationRequiredError,
  type Connection,
  discoverWallet,
  toAllowanceError,
} from '@allowance/client';
import type { ScriptedBrowser } from '@allowance/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

let harness: Harness;
let owner: ScriptedBrowser;
let intruder: ScriptedBrowser;
let connection: Connection;
let openai: OpenAI;
let intruderToken: string;

const messages = [{ role: 'user' as const, content: 'Write a long essay about budgets.' }];
// gpt-4.1-mini's output is 1.60 USD per million tokens: 1000 tokens could cost 0.0016, above the
// grant's 0.001; 50 tokens stay below it.
const expensive = { model: 'gpt-4.1-mini', messages, max_tokens: 1000 };
const cheap = { model: 'gpt-4.1-mini', messages, max_tokens: 50 };

beforeAll(async () => {
  harness = await startHarness();
  owner = await userWithKeys(harness, 'confirming-owner@example.com');
  const wallet = await discoverWallet(
    harness.wallet.issuer,
    { clientId: APP.client_id, clientSecret: APP.client_secret, redirectUri: APP.redirect_uris[0] as string },
    { allowInsecure: true },
  );
  const { url, pending } = await wallet.startAuthorization({
    allowance: allowance()
      .providers('openai')
      .models('gpt-4.1-mini', 'gpt-4.1')
      .budget('5.00', 'day')
      .confirmAbove('0.001'),
  });
  const consent = await owner.open(url.href);
  await owner.submit(consent, '#consent', {}, { name: 'decision', value: 'approve' });
  if (!owner.leftTo) throw new Error('consent did not return to the app');
  connection = await wallet.finishAuthorization(owner.leftTo, pending);
  openai = new OpenAI({ ...connection.openai(), maxRetries: 0 });

  intruder = await userWithKeys(harness, 'confirming-intruder@example.com');
  ({ accessToken: intruderToken } = await connectApp(harness, intruder, {
    providers: ['openai'],
    models: ['gpt-4.1-mini'],
    confirm_above: { amount: '0.001' },
  }));
});
afterAll(async () => {
  await harness?.close();
});

/** What the call threw, as the SDK's error and as the client's typed error; fails if it went through. */
async function refused(call: Promise<unknown>) {
  const error = await call.then(
    () => {
      throw new Error('the call went through');
    },
    (thrown: unknown) => thrown,
  );
  return { error, typed: toAllowanceError(error) };
}

/** The confirmation a refused expensive call opened. */
async function confirmationFor(
  body: Record<string, unknown> = expensive,
  headers: Record<string, string> = {},
) {
  const { typed } = await refused(openai.chat.completions.create(body as typeof expensive, { headers }));
  expect(typed).toBeInstanceOf(ConfirmationRequiredError);
  const refusal = typed as ConfirmationRequiredError;
  expect(refusal.status).toBe(403);
  if (!refusal.confirmation) throw new Error('no confirmation object');
  return { refusal, confirmation: refusal.confirmation };
}

/** The user opens the confirmation page and presses Approve (or Deny). */
async function decide(browser: ScriptedBrowser, id: string, action: 'approve' | 'deny' = 'approve') {
  const page = await browser.open(`${harness.wallet.issuer}/confirmations/${id}`);
  return browser.submit(page, `#${action}`);
}

async function grantBalance() {
  const ledger = await harness.store.database
    .selectFrom('ledger')
    .select(['cost_micros'])
    .where('grant_id', '=', connection.grantId)
    .execute();
  const counters = await harness.store.database
    .selectFrom('usage_counters')
    .selectAll()
    .where('subject', '=', connection.grantId)
    .execute();
  return {
    calls: ledger.length,
    moved: counters.reduce((sum, row) => sum + Number(row.spent) + Number(row.reserved), 0),
    forwarded: harness.sim.calls.length,
  };
}

const storedStatus = async (id: string) =>
  (
    await harness.store.database
      .selectFrom('confirmations')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirst()
  )?.status;

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('human confirmation above confirm_above (spec 06-metering §6.10)', () => {
  it('refuses an expensive call until the user approves it, then lets exactly one retry through', async () => {
    await openai.chat.completions.create(cheap);
    const before = await grantBalance();
    const startedAt = Date.now();

    const { refusal, confirmation } = await confirmationFor();
    expect(confirmation.id).toMatch(/^cf_[A-Za-z0-9_-]{16,}$/);
    expect(confirmation.url).toBe(`${harness.wallet.issuer}/confirmations/${confirmation.id}`);
    expect(new URL(confirmation.url).hostname).toBe('127.0.0.1');
    expect(confirmation.estimatedMaxCost).toMatch(/^\d+\.\d{2,6}$/);
    expect(Number(confirmation.estimatedMaxCost)).toBeGreaterThan(0.001);
    const lifetime = Date.parse(confirmation.expiresAt) - startedAt;
    expect(lifetime).toBeGreaterThan(9 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(10 * 60_000);
    expect(await grantBalance()).toEqual(before);

    // MTR-30: a retry while pending gets the same confirmation, in the spec's wire shape.
    const pending = await fetch(`${harness.wallet.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await connection.accessToken()}`,
        'content-type': 'application/json',
        'allowance-confirmation': confirmation.id,
      },
      body: JSON.stringify(expensive),
    });
    expect(pending.status).toBe(403);
    const body = (await pending.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({
      type: 'permission_error',
      code: 'confirmation_required',
      param: null,
    });
    expect(body.error.confirmation).toEqual({
      id: confirmation.id,
      url: confirmation.url,
      expires_at: confirmation.expiresAt,
      estimated_max_cost: confirmation.estimatedMaxCost,
    });

    const list = await owner.open(`${harness.wallet.issuer}/confirmations`);
    const row = list.document.querySelector(`tr[data-confirmation="${confirmation.id}"]`);
    expect(row?.text).toContain('Blog Assistant');
    expect(row?.text).toContain('gpt-4.1-mini');
    expect(row?.text).toContain(`${confirmation.estimatedMaxCost} USD`);
    const page = await owner.open(confirmation.url);
    expect(page.document.querySelector('#confirmation-app')?.text).toContain('Blog Assistant');
    expect(page.document.querySelector('#confirmation-model')?.text).toBe('openai / gpt-4.1-mini');
    expect(page.document.querySelector('#confirmation-cost')?.text).toBe(
      `${confirmation.estimatedMaxCost} USD`,
    );
    expect(page.html).toContain('data-usage="money:day"');

    const decision = refusal.waitForDecision({ pollIntervalMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const approved = await decide(owner, confirmation.id);
    expect(approved.status).toBe(200);
    expect(approved.document.querySelector('#notice')?.text).toContain('Approved');
    expect(await decision).toBe('approved');
    expect((await owner.open(`${harness.wallet.issuer}/confirmations`)).html.includes(confirmation.id)).toBe(
      false,
    );

    const { data, response } = await openai.chat.completions
      .create(expensive, { headers: refusal.retryHeaders })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(Number(response.headers.get('allowance-cost'))).toBeGreaterThan(0);
    const after = await grantBalance();
    expect([after.calls, after.forwarded]).toEqual([before.calls + 1, before.forwarded + 1]);
    expect(after.moved).toBeGreaterThan(before.moved);
    expect(await storedStatus(confirmation.id)).toBe('used');
    expect(await connection.confirmationStatus(confirmation.id)).toBe('used');

    // MTR-33: a used confirmation counts as absent.
    const again = await confirmationFor(expensive, refusal.retryHeaders);
    expect(again.confirmation.id).not.toBe(confirmation.id);
    expect(await grantBalance()).toEqual(after);
  });

  it('refuses a retry the user denied with confirmation_denied', async () => {
    const { refusal, confirmation } = await confirmationFor();
    const before = await grantBalance();
    const denied = await decide(owner, confirmation.id, 'deny');
    expect(denied.document.querySelector('#notice')?.text).toContain('Denied');
    expect(await refusal.waitForDecision({ pollIntervalMs: 50 })).toBe('denied');
    const { typed } = await refused(
      openai.chat.completions.create(expensive, { headers: refusal.retryHeaders }),
    );
    expect(typed).toBeInstanceOf(ConfirmationDeniedError);
    expect([typed?.status, typed?.code]).toEqual([403, 'confirmation_denied']);
    expect(await grantBalance()).toEqual(before);
  });

  it('treats an expired, foreign or mismatched confirmation as absent, and keeps one whose call was refused', async () => {
    const expired = await confirmationFor();
    await decide(owner, expired.confirmation.id);
    await harness.store.database
      .updateTable('confirmations')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', expired.confirmation.id)
      .execute();
    expect(await expired.refusal.waitForDecision({ pollIntervalMs: 50 })).toBe('expired');
    const afterExpiry = await confirmationFor(expensive, expired.refusal.retryHeaders);
    expect(afterExpiry.confirmation.id).not.toBe(expired.confirmation.id);

    const { refusal, confirmation } = await confirmationFor();
    await decide(owner, confirmation.id);
    const before = await grantBalance();
    // Another model, a higher worst case, another grant: each opens a new confirmation.
    for (const body of [
      { ...expensive, model: 'gpt-4.1' },
      { ...expensive, max_tokens: 2000 },
    ]) {
      const other = await confirmationFor(body, refusal.retryHeaders);
      expect(other.confirmation.id).not.toBe(confirmation.id);
    }
    const foreign = await fetch(`${harness.wallet.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${intruderToken}`,
        'content-type': 'application/json',
        ...refusal.retryHeaders,
      },
      body: JSON.stringify(expensive),
    });
    const foreignBody = (await foreign.json()) as { error: { code: string; confirmation: { id: string } } };
    expect([foreign.status, foreignBody.error.code]).toEqual([403, 'confirmation_required']);
    expect(foreignBody.error.confirmation.id).not.toBe(confirmation.id);
    const peek = await fetch(`${harness.wallet.gateway}/v1/confirmations/${confirmation.id}`, {
      headers: { authorization: `Bearer ${intruderToken}` },
    });
    expect(peek.status).toBe(404);
    expect(await grantBalance()).toEqual(before);

    // MTR-32 and §6.10: a retry refused at the reservation leaves the approval unused.
    const counters = () =>
      harness.store.database.updateTable('usage_counters').where('subject', '=', connection.grantId);
    await counters()
      .set((eb) => ({ reserved: eb.ref('cap') }))
      .execute();
    const { typed } = await refused(
      openai.chat.completions.create(expensive, { headers: refusal.retryHeaders }),
    );
    expect(typed?.code).toBe('budget_exhausted');
    expect(await storedStatus(confirmation.id)).toBe('approved');
    await counters().set({ reserved: 0 }).execute();

    // A smaller call of the same model may use the approval.
    const passed = await openai.chat.completions
      .create({ ...expensive, max_tokens: 900 }, { headers: refusal.retryHeaders })
      .withResponse();
    expect(passed.response.status).toBe(200);
    expect(await storedStatus(confirmation.id)).toBe('used');
  });

  it('lets exactly one of several concurrent retries with one approval through', async () => {
    const { refusal, confirmation } = await confirmationFor();
    await decide(owner, confirmation.id);
    const before = await grantBalance();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        openai.chat.completions.create(expensive, { headers: refusal.retryHeaders }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected')
        expect(toAllowanceError(outcome.reason)).toBeInstanceOf(ConfirmationRequiredError);
    }
    const after = await grantBalance();
    expect([after.calls, after.forwarded]).toEqual([before.calls + 1, before.forwarded + 1]);
  });

  it('keeps the confirmation pages behind a session and CSRF, and to their own account', async () => {
    const { confirmation } = await confirmationFor();
    const { issuer } = harness.wallet;
    for (const path of ['/confirmations', `/confirmations/${confirmation.id}`]) {
      const response = await fetch(`${issuer}${path}`, { redirect: 'manual' });
      expect([path, response.status, response.headers.get('location')]).toEqual([path, 302, '/signin']);
    }
    for (const action of ['approve', 'deny']) {
      const response = await fetch(`${issuer}/confirmations/${confirmation.id}/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: 'x' }),
      });
      expect(response.status).toBe(401);
      for (const csrf of [undefined, 'forged']) {
        const forged = await owner.open(`${issuer}/confirmations/${confirmation.id}/${action}`, {
          method: 'POST',
          body: new URLSearchParams(csrf === undefined ? {} : { csrf }),
        });
        expect(forged.status).toBe(403);
      }
    }

    const seen = await intruder.open(`${issuer}/confirmations/${confirmation.id}`);
    expect(seen.status).toBe(404);
    expect(seen.html).not.toContain(confirmation.id);
    expect((await intruder.open(`${issuer}/confirmations`)).html).not.toContain(confirmation.id);
    const csrf = csrfOf((await intruder.open(`${issuer}/confirmations`)).html);
    for (const action of ['approve', 'deny']) {
      const response = await intruder.open(`${issuer}/confirmations/${confirmation.id}/${action}`, {
        method: 'POST',
        body: new URLSearchParams({ csrf }),
      });
      expect(response.status).toBe(404);
    }
    expect((await owner.open(`${issuer}/confirmations/cf_unknown`)).status).toBe(404);
    expect(await storedStatus(confirmation.id)).toBe('pending');

    expect((await decide(owner, confirmation.id, 'deny')).status).toBe(200);
    const ownerCsrf = csrfOf((await owner.open(`${issuer}/confirmations`)).html);
    const twice = await owner.open(`${issuer}/confirmations/${confirmation.id}/approve`, {
      method: 'POST',
      body: new URLSearchParams({ csrf: ownerCsrf }),
    });
    expect(twice.status).toBe(409);
    expect(await storedStatus(confirmation.id)).toBe('denied');
  });
});
