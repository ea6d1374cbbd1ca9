import { type AllowanceStatus, parseMoney } from '@allowance/protocol';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

let harness: Harness;

const client = (token: string) =>
  new OpenAI({ apiKey: token, baseURL: `${harness.wallet.gateway}/v1`, maxRetries: 0 });

async function allowance(token: string): Promise<AllowanceStatus> {
  const response = await fetch(`${harness.wallet.gateway}/v1/allowance`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return (await response.json()) as AllowanceStatus;
}

async function openReservations() {
  return harness.store.database.selectFrom('reservations').selectAll().execute();
}

async function grantLedger(grantId: string) {
  return harness.store.database
    .selectFrom('ledger')
    .selectAll()
    .where('grant_id', '=', grantId)
    .orderBy('started_at')
    .execute();
}

const chat = {
  model: 'gpt-4.1-mini',
  messages: [{ role: 'user' as const, content: 'Draft a paragraph.' }],
  max_tokens: 1000,
};

beforeAll(async () => {
  harness = await startHarness({
    gatewayOptions: { reservationDeadlineSeconds: 2, upstreamHeadersTimeoutMs: 1500 },
    childProcess: true,
  });
});
afterAll(async () => {
  await harness?.close();
});

describe('budget accounting that cannot overspend', () => {
  it('lets exactly the affordable calls through when twenty times as many arrive at once', async () => {
    const browser = await userWithKeys(harness, 'burst@example.com');
    const { accessToken, grantId } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '0.008', period: 'day' }] },
    });
    // Each call may cost about 0.0016 (1000 output tokens at 1.60 per million): 4 fit in 0.008.
    harness.sim.setRules([{ latencyMs: 700 }]);
    const calls = Array.from({ length: 80 }, () =>
      client(accessToken)
        .chat.completions.create(chat)
        .then(
          () => 200,
          (error: { status?: number; code?: string }) => `${error.status} ${error.code}`,
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 350));
    const inFlight = await allowance(accessToken);
    const outcomes = await Promise.all(calls);
    harness.sim.setRules([]);
    await harness.sim.idle();

    const succeeded = outcomes.filter((outcome) => outcome === 200).length;
    expect(
      outcomes.filter((outcome) => outcome !== 200).every((outcome) => outcome === '402 budget_exhausted'),
    ).toBe(true);
    // While they ran, every admitted call held the same worst case; exactly as many as fit were admitted.
    const reserved = parseMoney(inFlight.budget[0]?.reserved ?? '0');
    const worst = reserved / succeeded;
    expect(Number.isInteger(worst)).toBe(true);
    expect(succeeded).toBe(Math.floor(8_000 / worst));
    expect(
      harness.sim.calls.filter((call) => call.model === 'gpt-4.1-mini' && call.startedAt >= 0).length,
    ).toBeGreaterThanOrEqual(succeeded);
    const after = await allowance(accessToken);
    const spent = parseMoney(after.budget[0]?.spent ?? '0');
    expect(spent).toBeLessThanOrEqual(8_000);
    expect(after.budget[0]?.reserved).toBe('0.00');
    const ledger = await grantLedger(grantId);
    expect(ledger).toHaveLength(succeeded);
    expect(ledger.reduce((sum, row) => sum + Number(row.cost_micros), 0)).toBe(spent);
    expect(await openReservations()).toEqual([]);
  });

  it('bills what a stream produced when the app disconnects mid-stream, never zero', async () => {
    const browser = await userWithKeys(harness, 'leaver@example.com');
    const { accessToken, grantId } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
    });
    harness.sim.setRules([{ tokensPerSecond: 40, responseTokens: 400 }]);
    const abort = new AbortController();
    const stream = await client(accessToken).chat.completions.create(
      { ...chat, stream: true },
      { signal: abort.signal },
    );
    let received = 0;
    // The SDK ends an aborted stream either quietly or with an abort error; both are a disconnect.
    await (async () => {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) received += 1;
        if (received === 5) abort.abort();
      }
    })().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    harness.sim.setRules([]);
    await harness.sim.idle();
    const [row] = await grantLedger(grantId);
    expect(row?.status).toBe('client_disconnect');
    expect(Number(row?.output_tokens)).toBeGreaterThanOrEqual(5);
    expect(Number(row?.output_tokens)).toBeLessThan(400);
    expect(Number(row?.cost_micros)).toBeGreaterThan(0);
    expect(harness.sim.calls.at(-1)?.outcome).toBe('aborted');
    expect((await allowance(accessToken)).budget[0]?.reserved).toBe('0.00');
  });

  it('ends a stream the provider cut with an error event, and bills what it produced', async () => {
    const browser = await userWithKeys(harness, 'cut@example.com');
    const { accessToken, grantId } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
    });
    harness.sim.setRules([{ dropAfterTokens: 6, responseTokens: 100 }]);
    const stream = await client(accessToken).chat.completions.create({ ...chat, stream: true });
    let received = 0;
    // The official SDK turns the gateway's error event into an APIError (spec GW-21).
    const failure = await (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) received += 1;
    })().then(
      () => undefined,
      (error: Error) => error,
    );
    harness.sim.setRules([]);
    expect(received).toBe(6);
    expect(failure?.message).toContain('stream broke off');
    const [row] = await grantLedger(grantId);
    expect(row?.status).toBe('upstream_error');
    expect(Number(row?.output_tokens)).toBe(6);
    expect(Number(row?.cost_micros)).toBeGreaterThan(0);
    expect((await allowance(accessToken)).budget[0]?.reserved).toBe('0.00');
  });

  it('releases the reservation and bills nothing when the provider fails or hangs', async () => {
    const browser = await userWithKeys(harness, 'faults@example.com');
    const { accessToken, grantId } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
    });
    harness.sim.setRules([{ fault: { status: 500 } }]);
    await expect(client(accessToken).chat.completions.create(chat)).rejects.toMatchObject({
      status: 502,
      code: 'upstream_error',
    });
    harness.sim.setRules([{ fault: { status: 429, retryAfterSeconds: 7 } }]);
    await expect(client(accessToken).chat.completions.create(chat)).rejects.toMatchObject({
      status: 429,
      code: 'rate_limited',
    });
    harness.sim.setRules([{ hang: true }]);
    await expect(client(accessToken).chat.completions.create(chat)).rejects.toMatchObject({
      status: 504,
      code: 'upstream_timeout',
    });
    harness.sim.setRules([]);
    const status = await allowance(accessToken);
    expect(status.budget[0]?.spent).toBe('0.00');
    expect(status.budget[0]?.reserved).toBe('0.00');
    expect((await grantLedger(grantId)).map((row) => [row.status, Number(row.cost_micros)])).toEqual([
      ['upstream_error', 0],
      ['upstream_error', 0],
      ['upstream_timeout', 0],
    ]);
  });

  it('settles a reservation a crash left open at its full amount, after its deadline, exactly once', async () => {
    const browser = await userWithKeys(harness, 'crash@example.com');
    const { accessToken, grantId } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
    });
    harness.sim.setRules([{ latencyMs: 10_000 }]);
    const pending = client(accessToken)
      .chat.completions.create(chat)
      .catch(() => 'gone');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const held = parseMoney((await allowance(accessToken)).budget[0]?.reserved ?? '0');
    expect(held).toBeGreaterThan(0);
    // Simulate a crash: the process stops without settling (the reservation stays in the database).
    await harness.crash();
    harness.sim.setRules([]);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await harness.restart();
    await pending;
    const status = await allowance(accessToken);
    expect(status.budget[0]?.reserved).toBe('0.00');
    expect(parseMoney(status.budget[0]?.spent ?? '0')).toBe(held);
    const ledger = await grantLedger(grantId);
    expect(ledger.map((row) => [row.status, Number(row.cost_micros)])).toEqual([['recovered', held]]);
  });
});
