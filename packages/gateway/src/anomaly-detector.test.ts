import { approvedAiAllowanceSchema } from '@allowance/protocol';
import { openStore, type Store } from '@allowance/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnomalyDetector } from './anomaly-detector.js';

let store: Store;
const details = approvedAiAllowanceSchema.parse({
  type: 'ai_allowance',
  providers: ['openai'],
  models: ['gpt-4.1-mini'],
  budget: { currency: 'USD', limits: [{ amount: '0.70', period: 'week' }] },
  retention: 'provider_default',
  expires_at: '2030-01-01T00:00:00Z',
});
const NOW = 1_800_000_000_000;
const WALLET = { currency: 'USD', timeZone: 'UTC' };

async function spend(micros: number, at: number, grantId = 'grant-1') {
  await store.database
    .insertInto('ledger')
    .values({
      id: `call-${grantId}-${at}-${micros}`,
      grant_id: grantId,
      account_id: 'account-1',
      client_id: 'app',
      provider_id: 'openai',
      model: 'gpt-4.1-mini',
      input_tokens: 1,
      cached_input_tokens: 0,
      cache_write_tokens: 0,
      output_tokens: 1,
      cost_micros: micros,
      status: 'ok',
      http_status: 200,
      error_code: null,
      latency_ms: 1,
      started_at: at,
      ended_at: at,
      endpoint: 'chat.completions',
      stream: 0,
      reserved_micros: micros,
      reserved_tokens: 2,
      period_keys: '[]',
      first_byte_ms: null,
      upstream_request_id: null,
      client_address: null,
    })
    .execute();
}

beforeEach(async () => {
  store = await openStore({ sqlite: ':memory:' });
});
afterEach(async () => {
  await store.close();
});

describe('AnomalyDetector', () => {
  const policy = { burstCalls: 3, burstWindowSeconds: 10, spendMicros: 99_999, spendWindowSeconds: 60 };

  it('flags more than the policy’s amount within the window, counting only calls since the user’s last change (SEC-4)', async () => {
    const detector = new AnomalyDetector(store, { ...policy, burstCalls: 100 });
    const grant = { id: 'grant-1', details, updatedAt: 0 };
    // Exactly 0.099999 in the last minute is allowed; one micro-unit more is not.
    await spend(60_000, NOW - 30_000);
    await spend(39_999, NOW - 10_000);
    await spend(500_000, NOW - 120_000);
    expect(await detector.check(grant, NOW, WALLET)).toBeUndefined();
    await spend(1, NOW - 5_000);
    // The window's sum is taken at most once a second per grant.
    expect(await detector.check(grant, NOW + 999, WALLET)).toBeUndefined();
    expect(await detector.check(grant, NOW + 1_000, WALLET)).toBe(
      '0.10 USD spent in 60 seconds, above the 0.099999 USD allowed',
    );
    expect(await detector.check({ ...grant, updatedAt: NOW - 20_000 }, NOW + 1_000, WALLET)).toBeUndefined();
  });

  it('never suspends ordinary use of a grant with a tiny budget, which the default policy allows', async () => {
    // A grant of 0.03 a month used at a person's pace: a few cents of calls in a minute.
    const tiny = {
      ...details,
      budget: { currency: 'USD', limits: [{ amount: '0.03', period: 'month' as const }] },
    };
    const detector = new AnomalyDetector(store);
    const grant = { id: 'grant-tiny', details: tiny, updatedAt: 0 };
    for (let call = 0; call < 12; call += 1) {
      await spend(1_700, NOW - 50_000 + call * 4_000, 'grant-tiny');
      expect(await detector.check(grant, NOW + call, WALLET)).toBeUndefined();
    }
  });

  it('takes the owner’s own thresholds over the defaults', async () => {
    const detector = new AnomalyDetector(store);
    const grant = { id: 'grant-owner', details: { ...details, budget: undefined }, updatedAt: 0 };
    await spend(1_001, NOW - 1_000, 'grant-owner');
    // The default allows 2.00 a minute; this owner allows 0.001.
    expect(await detector.check(grant, NOW, WALLET)).toBeUndefined();
    const strict = { ...WALLET, anomaly: { spendMicros: 1_000 } };
    expect(await detector.check(grant, NOW, strict)).toBe(
      '0.001001 USD spent in 60 seconds, above the 0.001 USD allowed',
    );
    const bursty = { ...WALLET, anomaly: { burstCalls: 2, burstWindowSeconds: 1 } };
    const other = { ...grant, id: 'grant-burst' };
    expect(await detector.check(other, NOW, bursty)).toBeUndefined();
    expect(await detector.check(other, NOW + 1, bursty)).toBeUndefined();
    expect(await detector.check(other, NOW + 2, bursty)).toBe('3 calls in 1 seconds, above the 2 allowed');
  });

  it('flags bursts per grant, and forgets them when the user changes the grant', async () => {
    const detector = new AnomalyDetector(store, policy);
    const grant = { id: 'grant-2', details: { ...details, budget: undefined }, updatedAt: 0 };
    for (let call = 0; call < 3; call += 1)
      expect(await detector.check(grant, NOW + call, WALLET)).toBeUndefined();
    expect(await detector.check(grant, NOW + 3, WALLET)).toBe('4 calls in 10 seconds, above the 3 allowed');
    expect(await detector.check({ ...grant, id: 'grant-3' }, NOW + 4, WALLET)).toBeUndefined();
    expect(await detector.check({ ...grant, updatedAt: NOW + 5 }, NOW + 6, WALLET)).toBeUndefined();
    expect(await detector.check(grant, NOW + 20_000, WALLET)).toBeUndefined();
  });

  it('counts a sliding window, however long the grant keeps calling', async () => {
    const detector = new AnomalyDetector(store, policy);
    const grant = { id: 'grant-4', details: { ...details, budget: undefined }, updatedAt: 0 };
    // A call every 4 s never puts more than 3 in a 10 s window, over thousands of calls.
    for (let call = 0; call < 3_000; call += 1)
      expect(await detector.check(grant, NOW + call * 4_000, WALLET)).toBeUndefined();
    // Then, after a pause, four within a second are a burst, and ten quiet seconds end it.
    const later = NOW + 3_000 * 4_000 + 10_000;
    for (let call = 0; call < 3; call += 1) await detector.check(grant, later + call, WALLET);
    expect(await detector.check(grant, later + 3, WALLET)).toBe('4 calls in 10 seconds, above the 3 allowed');
    expect(await detector.check(grant, later + 20_000, WALLET)).toBeUndefined();
  });

  it('bounds the window by the period it started in as well as the current one', async () => {
    const detector = new AnomalyDetector(store, policy);
    const daily = {
      ...details,
      budget: { currency: 'USD', limits: [{ amount: '0.10', period: 'day' as const }] },
    };
    const grant = { id: 'grant-1', details: daily, updatedAt: 0 };
    // Ten seconds after midnight UTC: the last minute began yesterday, when the whole day's
    // budget went in one call. Today's total alone would say nothing happened.
    const midnight = Date.UTC(2027, 0, 15);
    await spend(100_000, midnight - 20_000);
    await store.database
      .insertInto('usage_counters')
      .values([
        {
          subject: 'grant-1',
          kind: 'money',
          period_key: 'day:2027-01-14',
          cap: 100_000,
          spent: 100_000,
          reserved: 0,
        },
        {
          subject: 'grant-1',
          kind: 'money',
          period_key: 'day:2027-01-15',
          cap: 100_000,
          spent: 0,
          reserved: 0,
        },
      ])
      .execute();
    expect(await detector.check(grant, midnight + 10_000, WALLET)).toBe(
      '0.10 USD spent in 60 seconds, above the 0.099999 USD allowed',
    );
    // A minute later the window holds only today, whose total says nothing was spent.
    expect(await detector.check(grant, midnight + 90_000, WALLET)).toBeUndefined();
  });
});
