import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Hold,
  type ReservationRequest,
  recoverStaleReservations,
  reserve,
  settle,
} from './reservations.js';
import { insertGrant, temporaryStore } from './test-support.js';

type TestStore = Awaited<ReturnType<typeof temporaryStore>>;
let store: TestStore;
let sequence = 0;

beforeEach(async () => {
  store = await temporaryStore();
  await insertGrant(store, 'grant-1');
});
afterEach(async () => {
  await store.close();
});

const moneyHold = (amount: number, cap = 1_000): Hold => ({
  subject: 'grant-1',
  kind: 'money',
  periodKey: 'day:2026-11-23',
  cap,
  amount,
});

function request(holds: Hold[], overrides: Partial<ReservationRequest> = {}): ReservationRequest {
  sequence += 1;
  return {
    id: `call-${sequence}`,
    grantId: 'grant-1',
    accountId: 'account-1',
    clientId: 'client-1',
    providerId: 'openai',
    model: 'gpt-4.1-mini',
    holds,
    moneyMicros: holds.find((hold) => hold.kind === 'money')?.amount ?? 0,
    tokens: holds.find((hold) => hold.kind === 'tokens')?.amount ?? 0,
    now: Date.UTC(2026, 10, 23, 12),
    deadline: Date.UTC(2026, 10, 23, 12, 10),
    endpoint: 'chat.completions',
    stream: true,
    clientAddress: '203.0.113.7',
    limitsVersion: { grant: 0, wallet: 0 },
    ...overrides,
  };
}

const ledgerFields = (status: 'ok' | 'upstream_error' = 'ok') => ({
  input_tokens: 10,
  cached_input_tokens: 0,
  cache_write_tokens: 0,
  output_tokens: 20,
  status,
  http_status: 200,
  error_code: null,
  latency_ms: 5,
  started_at: 1,
  ended_at: 2,
  first_byte_ms: 3,
  upstream_request_id: 'req_1',
});

async function counter(subject = 'grant-1', kind: 'money' | 'tokens' = 'money') {
  const row = await store.database
    .selectFrom('usage_counters')
    .select(['spent', 'reserved', 'cap'])
    .where('subject', '=', subject)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return row && { spent: Number(row.spent), reserved: Number(row.reserved), cap: Number(row.cap) };
}

describe('reserve and settle', () => {
  it('holds the worst case, then bills the actual cost and writes one ledger row', async () => {
    const call = request([moneyHold(300)]);
    expect(await reserve(store, call)).toEqual({ ok: true });
    expect(await counter()).toEqual({ spent: 0, reserved: 300, cap: 1_000 });
    const settled = await settle(store, {
      reservationId: call.id,
      moneyMicros: 120,
      tokens: 30,
      ledger: ledgerFields(),
    });
    expect(settled).toEqual({
      billedMicros: 120,
      billedTokens: 0,
      // Each held counter as the settlement left it, for the response's Allowance-Remaining.
      counters: [
        {
          subject: 'grant-1',
          kind: 'money',
          periodKey: 'day:2026-11-23',
          cap: 1_000,
          spent: 120,
          reserved: 0,
        },
      ],
    });
    expect(await counter()).toEqual({ spent: 120, reserved: 0, cap: 1_000 });
    const ledger = await store.database.selectFrom('ledger').selectAll().execute();
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      id: call.id,
      grant_id: 'grant-1',
      cost_micros: 120,
      model: 'gpt-4.1-mini',
      // The fields of spec §6.6, from the reservation and the settlement (MTR-27).
      endpoint: 'chat.completions',
      stream: 1,
      reserved_micros: 300,
      reserved_tokens: 0,
      period_keys: JSON.stringify(['day:2026-11-23']),
      first_byte_ms: 3,
      upstream_request_id: 'req_1',
      client_address: '203.0.113.7',
    });
    expect(
      await settle(store, { reservationId: call.id, moneyMicros: 120, tokens: 30, ledger: ledgerFields() }),
    ).toBeUndefined();
    expect(await counter()).toEqual({ spent: 120, reserved: 0, cap: 1_000 });
  });

  it('never bills more than it reserved', async () => {
    const call = request([moneyHold(300)]);
    await reserve(store, call);
    expect(
      await settle(store, { reservationId: call.id, moneyMicros: 5_000, tokens: 0, ledger: ledgerFields() }),
    ).toMatchObject({
      billedMicros: 300,
    });
    expect(await counter()).toEqual({ spent: 300, reserved: 0, cap: 1_000 });
  });

  it('refuses a dead grant without holding anything', async () => {
    await insertGrant(store, 'revoked', { status: 'revoked' });
    await insertGrant(store, 'suspended', { status: 'suspended' });
    await insertGrant(store, 'expired', { expires_at: Date.UTC(2026, 0, 1) });
    for (const [grantId, reason] of [
      ['revoked', 'grant_revoked'],
      ['suspended', 'grant_suspended'],
      ['expired', 'grant_expired'],
      ['missing', 'grant_unknown'],
    ] as const) {
      const outcome = await reserve(store, request([{ ...moneyHold(1), subject: grantId }], { grantId }));
      expect(outcome).toEqual({ ok: false, reason });
    }
    expect(await store.database.selectFrom('usage_counters').selectAll().execute()).toEqual([]);
    expect(await store.database.selectFrom('reservations').selectAll().execute()).toEqual([]);
  });

  it('takes every hold or none', async () => {
    const tokens: Hold = {
      subject: 'grant-1',
      kind: 'tokens',
      periodKey: 'day:2026-11-23',
      cap: 100,
      amount: 101,
    };
    const outcome = await reserve(store, request([moneyHold(300), tokens]));
    expect(outcome).toMatchObject({
      ok: false,
      reason: 'limit_reached',
      hold: tokens,
      spent: 0,
      reserved: 0,
    });
    // The money hold was rolled back with the rest, down to the counter row it created.
    expect(await counter()).toBeUndefined();
    expect(await store.database.selectFrom('reservations').selectAll().execute()).toEqual([]);
  });

  it('follows a lowered cap at once', async () => {
    await reserve(store, request([moneyHold(300)]));
    expect(await reserve(store, request([moneyHold(300, 500)]))).toMatchObject({
      ok: false,
      reason: 'limit_reached',
      spent: 0,
      reserved: 300,
    });
    expect(await reserve(store, request([moneyHold(200, 500)]))).toEqual({ ok: true });
    expect(await counter()).toEqual({ spent: 0, reserved: 500, cap: 500 });
  });

  it('lets exactly the affordable calls through when 20 times as many arrive at once', async () => {
    const calls = Array.from({ length: 200 }, () => request([moneyHold(100)]));
    const outcomes = await Promise.all(calls.map((call) => reserve(store, call)));
    expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(10);
    expect(await counter()).toEqual({ spent: 0, reserved: 1_000, cap: 1_000 });
    await Promise.all(
      calls.map((call) =>
        settle(store, { reservationId: call.id, moneyMicros: 100, tokens: 0, ledger: ledgerFields() }),
      ),
    );
    expect(await counter()).toEqual({ spent: 1_000, reserved: 0, cap: 1_000 });
    expect(await store.database.selectFrom('reservations').selectAll().execute()).toEqual([]);
  });

  it('settles crash-orphaned reservations at their full amount, once', async () => {
    const stale = request([moneyHold(250)], { deadline: 1_000 });
    const fresh = request([moneyHold(100)], { deadline: Date.UTC(2100, 0, 1) });
    await reserve(store, stale);
    await reserve(store, fresh);
    expect(await recoverStaleReservations(store, 2_000)).toBe(1);
    expect(await recoverStaleReservations(store, 2_000)).toBe(0);
    expect(await counter()).toEqual({ spent: 250, reserved: 100, cap: 1_000 });
    const ledger = await store.database
      .selectFrom('ledger')
      .select(['id', 'status', 'cost_micros'])
      .execute();
    expect(ledger).toEqual([{ id: stale.id, status: 'recovered', cost_micros: 250 }]);
  });
});

describe('reserve across processes sharing one SQLite file', () => {
  it('never lets spent + reserved pass the cap', async () => {
    // Each child is a separate process with its own connection, as a second gateway would be.
    const fixture = fileURLToPath(new URL('./reserve-child.test-fixture.mjs', import.meta.url));
    const run = (worker: number) =>
      new Promise<number>((resolve, reject) => {
        execFile(process.execPath, [fixture, store.path, String(worker), '40'], (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(Number(stdout)),
        );
      });
    const granted = await Promise.all([run(1), run(2), run(3), run(4)]);
    // 1000 / 70 = 14 calls fit, whoever gets them.
    expect(granted.reduce((sum, count) => sum + count, 0)).toBe(14);
    expect(await counter('grant-1')).toEqual({ spent: 980, reserved: 0, cap: 1_000 });
  });
});
