import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ApprovedAiAllowance, type Period, periodWindow } from '@allowance/protocol';
import {
  findGrant,
  findGrantWithWallet,
  type Hold,
  openStore,
  replaceGrantDetails,
  reserve,
  type Store,
  settle,
  updateWalletSettings,
} from '@allowance/store';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdsFor } from './reserve-budget.js';

// Spec MTR-18, MTR-34, MTR-35: whatever the owner does to the limits (set, raise, lower or remove
// the wallet cap; add, lower or drop a grant's money and token limits; move the wallet to another
// time zone) while calls of two apps are planned, reserved and settled in any interleaving, and
// while the clock crosses day, ISO week, month and year boundaries of a zone far from UTC:
// - a call is reserved only if, for every limit as stored at that moment, all spend already
//   billed in the limit's current period plus every open call plus this call fit the limit;
// - a call is refused for a limit only if it would really not fit;
// - every counter of a current limit equals, to the micro-unit, the ledger and open calls of its
//   period, so what the dashboard shows and what the gateway enforces are one number.
// The expected figures come from the ledger and the open reservations, never from the counters.

const ACCOUNT = 'account-far';
const APPS = ['grant-app-a', 'grant-app-b'] as const;
const ZONES = ['Pacific/Kiritimati', 'Pacific/Pago_Pago'] as const;

interface PlannedCall {
  id: string;
  app: number;
  worstMicros: number;
  worstTokens: number;
  plannedAt: number;
  holds: Hold[];
  versions: { grant: number; wallet: number };
}

interface OpenCall extends PlannedCall {}

let folder: string;
let store: Store;
beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'allowance-limit-changes-'));
  store = await openStore({ sqlite: join(folder, 'wallet.sqlite') });
});
afterAll(async () => {
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

async function resetWallet(now: number): Promise<void> {
  for (const table of ['ledger', 'reservations', 'usage_counters', 'grants', 'wallets'] as const) {
    await store.database.deleteFrom(table).execute();
  }
  await store.database
    .insertInto('wallets')
    .values({
      account_id: ACCOUNT,
      currency: 'USD',
      time_zone: ZONES[0],
      price_overrides: '{}',
      exchange_rates: '{}',
      monthly_cap_micros: null,
      updated_at: now,
    })
    .execute();
  for (const id of APPS) {
    const details: ApprovedAiAllowance = {
      type: 'ai_allowance',
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '0.002', period: 'month' }] },
      retention: 'provider_default',
      expires_at: '2100-01-01T00:00:00Z',
    } as ApprovedAiAllowance;
    await store.database
      .insertInto('grants')
      .values({
        id,
        account_id: ACCOUNT,
        client_id: `client-${id}`,
        oidc_grant_id: null,
        details: JSON.stringify(details),
        status: 'active',
        status_reason: null,
        require_dpop: 0,
        ip_allowlist: '[]',
        remember: 0,
        created_at: now,
        updated_at: now,
        expires_at: Date.UTC(2100, 0, 1),
      })
      .execute();
  }
}

/** A limit as the owner has it now, and the calls it counts. */
interface StoredLimit {
  subject: string;
  kind: 'money' | 'tokens';
  period: Period;
  cap: number;
  grantId: string | undefined;
}

async function storedLimits(): Promise<{ limits: StoredLimit[]; timeZone: string }> {
  const wallet = await store.database
    .selectFrom('wallets')
    .selectAll()
    .where('account_id', '=', ACCOUNT)
    .executeTakeFirstOrThrow();
  const limits: StoredLimit[] = [];
  if (wallet.monthly_cap_micros !== null) {
    limits.push({
      subject: `wallet:${ACCOUNT}`,
      kind: 'money',
      period: 'month',
      cap: Number(wallet.monthly_cap_micros),
      grantId: undefined,
    });
  }
  for (const id of APPS) {
    const details = (await findGrant(store, id))?.details as ApprovedAiAllowance;
    for (const limit of details.budget?.limits ?? []) {
      const [whole = '0', fraction = ''] = limit.amount.split('.');
      const cap = Number(whole) * 1_000_000 + Number(fraction.padEnd(6, '0'));
      limits.push({ subject: id, kind: 'money', period: limit.period, cap, grantId: id });
    }
    for (const limit of details.tokens?.limits ?? []) {
      limits.push({ subject: id, kind: 'tokens', period: limit.period, cap: limit.tokens, grantId: id });
    }
  }
  return { limits, timeZone: wallet.time_zone };
}

/** What the ledger billed and what open calls hold in a limit's current period, from the tables. */
async function usageOf(limit: StoredLimit, timeZone: string, now: number) {
  const window = periodWindow(limit.period, new Date(now), timeZone);
  const inWindow = (instant: number) =>
    (window.start === null || instant >= window.start.getTime()) &&
    (window.end === null || instant < window.end.getTime());
  const inScope = (grantId: string) => limit.grantId === undefined || limit.grantId === grantId;
  const ledger = await store.database.selectFrom('ledger').selectAll().execute();
  const open = await store.database.selectFrom('reservations').selectAll().execute();
  let spent = 0;
  for (const row of ledger) {
    if (!inScope(row.grant_id) || !inWindow(Number(row.started_at))) continue;
    spent +=
      limit.kind === 'money'
        ? Number(row.cost_micros)
        : Math.min(Number(row.input_tokens) + Number(row.output_tokens), Number(row.reserved_tokens));
  }
  let reserved = 0;
  for (const row of open) {
    if (!inScope(row.grant_id) || !inWindow(Number(row.created_at))) continue;
    reserved += limit.kind === 'money' ? Number(row.money_micros) : Number(row.tokens);
  }
  return { key: window.key, spent, reserved };
}

type Operation =
  | { type: 'plan'; app: number; worstMicros: number; worstTokens: number }
  | { type: 'reserve'; pick: number }
  | { type: 'settle'; pick: number; fraction: number }
  | { type: 'burst'; app: number; calls: number; worstMicros: number; capDelta: number | null }
  | { type: 'cap'; delta: number | null }
  | { type: 'grant-money'; app: number; period: Period; delta: number | null }
  | { type: 'grant-tokens'; app: number; period: Period; delta: number | null }
  | { type: 'zone' }
  | { type: 'advance'; milliseconds: number };

const periods = fc.constantFrom<Period>('day', 'week', 'month', 'year', 'total');
const delta = fc.option(fc.integer({ min: -150, max: 900 }), { nil: null, freq: 5 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    arbitrary: fc.record({
      type: fc.constant('plan' as const),
      app: fc.integer({ min: 0, max: 1 }),
      worstMicros: fc.integer({ min: 1, max: 400 }),
      worstTokens: fc.integer({ min: 1, max: 300 }),
    }),
    weight: 5,
  },
  { arbitrary: fc.record({ type: fc.constant('reserve' as const), pick: fc.nat() }), weight: 5 },
  {
    arbitrary: fc.record({
      type: fc.constant('settle' as const),
      pick: fc.nat(),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      type: fc.constant('burst' as const),
      app: fc.integer({ min: 0, max: 1 }),
      calls: fc.integer({ min: 2, max: 8 }),
      worstMicros: fc.integer({ min: 1, max: 300 }),
      capDelta: delta,
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ type: fc.constant('cap' as const), delta }), weight: 2 },
  {
    arbitrary: fc.record({
      type: fc.constant('grant-money' as const),
      app: fc.integer({ min: 0, max: 1 }),
      period: periods,
      delta,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      type: fc.constant('grant-tokens' as const),
      app: fc.integer({ min: 0, max: 1 }),
      period: periods,
      delta,
    }),
    weight: 1,
  },
  { arbitrary: fc.constant({ type: 'zone' as const }), weight: 1 },
  {
    arbitrary: fc.record({
      type: fc.constant('advance' as const),
      milliseconds: fc.integer({ min: 1, max: 4 * 24 * 3_600_000 }),
    }),
    weight: 2,
  },
);

class Run {
  now: number;
  sequence = 0;
  planned: PlannedCall[] = [];
  open: OpenCall[] = [];
  accepted = 0;
  refused = 0;
  replanned = 0;
  /** In a burst the wallet cap moves among concurrent reservations, so it is checked after it. */
  inBurst = false;
  /** What the month held when the cap was last set, and the cap then set. */
  lastCap: { usage: number; cap: number | null } | undefined;

  constructor(start: number) {
    this.now = start;
  }

  async plan(app: number, worstMicros: number, worstTokens: number): Promise<PlannedCall> {
    const grantId = APPS[app] as string;
    const context = await findGrantWithWallet(store, grantId);
    if (!context?.wallet) throw new Error('no grant context');
    this.sequence += 1;
    return {
      id: `call-${this.sequence}`,
      app,
      worstMicros,
      worstTokens,
      plannedAt: this.now,
      holds: holdsFor(
        context.grant,
        context.wallet,
        { moneyMicros: worstMicros, tokens: worstTokens },
        new Date(this.now),
      ),
      versions: { grant: context.grant.limitsVersion, wallet: context.wallet.limitsVersion },
    };
  }

  /** Reserves as the gateway does: planned again from the stored limits when they changed. */
  async reserve(call: PlannedCall): Promise<void> {
    let current = call;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const { limits: before, timeZone } = await storedLimits();
      const outcome = await reserve(store, {
        id: current.id,
        grantId: APPS[current.app] as string,
        accountId: ACCOUNT,
        clientId: `client-${APPS[current.app]}`,
        providerId: 'openai',
        model: 'gpt-4.1-mini',
        holds: current.holds,
        moneyMicros: current.worstMicros,
        tokens: current.worstTokens,
        now: this.now,
        deadline: this.now + 600_000,
        endpoint: 'chat.completions',
        stream: false,
        clientAddress: null,
        limitsVersion: current.versions,
      });
      if (!outcome.ok && outcome.reason === 'limits_changed') {
        // Planned against limits that changed: plan again at the same instant, as the gateway does.
        this.replanned += 1;
        const again = await this.plan(current.app, current.worstMicros, current.worstTokens);
        current = { ...again, id: current.id, plannedAt: current.plannedAt };
        continue;
      }
      const inScope = before.filter(
        (limit) => limit.grantId === APPS[current.app] || (limit.grantId === undefined && !this.inBurst),
      );
      if (outcome.ok) {
        this.accepted += 1;
        this.open.push({ ...current, plannedAt: this.now });
        for (const limit of inScope) {
          const { spent, reserved, key } = await usageOf(limit, timeZone, this.now);
          expect(
            spent + reserved,
            `${limit.subject} ${limit.kind} ${key}: ${spent} spent + ${reserved} reserved over ${limit.cap}`,
          ).toBeLessThanOrEqual(limit.cap);
        }
      } else {
        expect(outcome.reason).toBe('limit_reached');
        this.refused += 1;
        // The limits before and after the refusal: in a burst the cap may have moved between.
        const after = (await storedLimits()).limits;
        let overflows = false;
        for (const limit of [...before, ...after]) {
          if (limit.grantId !== undefined && limit.grantId !== APPS[current.app]) continue;
          const { spent, reserved } = await usageOf(limit, timeZone, this.now);
          const amount = limit.kind === 'money' ? current.worstMicros : current.worstTokens;
          if (spent + reserved + amount > limit.cap) overflows = true;
        }
        expect(overflows, `refused ${current.id} though every limit had room`).toBe(true);
      }
      return;
    }
    throw new Error('planned five times and the limits kept changing');
  }

  async settle(call: OpenCall, fraction: number): Promise<void> {
    const micros = Math.floor(call.worstMicros * fraction);
    const tokens = Math.floor(call.worstTokens * fraction);
    const settled = await settle(store, {
      reservationId: call.id,
      moneyMicros: micros,
      tokens,
      ledger: {
        input_tokens: tokens,
        cached_input_tokens: 0,
        cache_write_tokens: 0,
        output_tokens: 0,
        status: 'ok',
        http_status: 200,
        error_code: null,
        latency_ms: 1,
        started_at: call.plannedAt,
        ended_at: this.now,
        first_byte_ms: null,
        upstream_request_id: null,
      },
    });
    expect(settled?.billedMicros).toBe(micros);
  }

  async setCap(capDelta: number | null): Promise<void> {
    let cap: number | null = null;
    if (capDelta !== null) {
      const { timeZone } = await storedLimits();
      const month = await usageOf(
        { subject: `wallet:${ACCOUNT}`, kind: 'money', period: 'month', cap: 0, grantId: undefined },
        timeZone,
        this.now,
      );
      cap = Math.max(1, month.spent + month.reserved + capDelta);
      this.lastCap = { usage: month.spent + month.reserved, cap };
    } else this.lastCap = { usage: 0, cap: null };
    expect(await updateWalletSettings(store, ACCOUNT, { monthlyCapMicros: cap }, this.now)).toBe(true);
  }

  async editGrant(app: number, kind: 'money' | 'tokens', period: Period, limitDelta: number | null) {
    const grantId = APPS[app] as string;
    const grant = await findGrant(store, grantId);
    if (!grant) throw new Error('no grant');
    const { timeZone } = await storedLimits();
    const usage = await usageOf({ subject: grantId, kind, period, cap: 0, grantId }, timeZone, this.now);
    const amount = limitDelta === null ? undefined : Math.max(1, usage.spent + usage.reserved + limitDelta);
    const details = structuredClone(grant.details) as ApprovedAiAllowance;
    if (kind === 'money') {
      const others = (details.budget?.limits ?? []).filter((limit) => limit.period !== period);
      const limits =
        amount === undefined ? others : [...others, { amount: (amount / 1_000_000).toFixed(6), period }];
      if (limits.length === 0) delete details.budget;
      else details.budget = { currency: 'USD', limits } as NonNullable<ApprovedAiAllowance['budget']>;
    } else {
      const others = (details.tokens?.limits ?? []).filter((limit) => limit.period !== period);
      const limits = amount === undefined ? others : [...others, { tokens: amount, period }];
      if (limits.length === 0) delete details.tokens;
      else details.tokens = { ...details.tokens, limits } as NonNullable<ApprovedAiAllowance['tokens']>;
    }
    const changed = await replaceGrantDetails(store, {
      grantId,
      accountId: ACCOUNT,
      previous: grant.details,
      details,
      now: this.now,
    });
    expect(changed).toBe(true);
  }

  async switchZone(): Promise<void> {
    const { timeZone } = await storedLimits();
    const next = timeZone === ZONES[0] ? ZONES[1] : ZONES[0];
    expect(await updateWalletSettings(store, ACCOUNT, { timeZone: next }, this.now)).toBe(true);
  }

  /** Every counter of a limit as it stands equals the ledger and the open calls of its period. */
  async checkCounters(): Promise<void> {
    const { limits, timeZone } = await storedLimits();
    for (const limit of limits) {
      const { key, spent, reserved } = await usageOf(limit, timeZone, this.now);
      const counter = await store.database
        .selectFrom('usage_counters')
        .selectAll()
        .where('subject', '=', limit.subject)
        .where('kind', '=', limit.kind)
        .where('period_key', '=', key)
        .executeTakeFirst();
      expect({ limit: `${limit.subject} ${limit.kind} ${key}`, spent: Number(counter?.spent ?? 0) }).toEqual({
        limit: `${limit.subject} ${limit.kind} ${key}`,
        spent,
      });
      expect(Number(counter?.reserved ?? 0), `${limit.subject} ${key} reserved`).toBe(reserved);
    }
  }
}

describe('limits set, raised, lowered or removed while two apps call (MTR-18, MTR-34, MTR-35)', () => {
  it('never lets a call past a limit, never refuses one that fits, and keeps counters exact', async () => {
    let accepted = 0;
    let refused = 0;
    let replanned = 0;
    await fc.assert(
      fc.asyncProperty(
        // Any instant of 2026–2027, so every hour of the day in both zones, and year rollover.
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 11, 31) }),
        fc.array(operation, { minLength: 10, maxLength: 45 }),
        async (start, operations) => {
          await resetWallet(start);
          const run = new Run(start);
          for (const step of operations) {
            switch (step.type) {
              case 'plan':
                run.planned.push(await run.plan(step.app, step.worstMicros, step.worstTokens));
                break;
              case 'reserve': {
                const call = run.planned.splice(step.pick % Math.max(1, run.planned.length), 1)[0];
                if (call) await run.reserve(call);
                break;
              }
              case 'settle': {
                const call = run.open.splice(step.pick % Math.max(1, run.open.length), 1)[0];
                if (call) await run.settle(call, step.fraction);
                break;
              }
              case 'burst': {
                // Calls planned together and reserved at once, with the cap moving among them.
                const calls: PlannedCall[] = [];
                for (let index = 0; index < step.calls; index += 1) {
                  calls.push(await run.plan(step.app, step.worstMicros, step.worstMicros));
                }
                const half = Math.floor(calls.length / 2);
                run.inBurst = true;
                await Promise.all([
                  ...calls.slice(0, half).map((call) => run.reserve(call)),
                  run.setCap(step.capDelta),
                  ...calls.slice(half).map((call) => run.reserve(call)),
                ]);
                run.inBurst = false;
                // Calls reserved before the cap was set fit the month as it was then; every call
                // after it fit the new cap; so the month ends within the larger of the two.
                const { timeZone } = await storedLimits();
                const month = await usageOf(
                  {
                    subject: `wallet:${ACCOUNT}`,
                    kind: 'money',
                    period: 'month',
                    cap: 0,
                    grantId: undefined,
                  },
                  timeZone,
                  run.now,
                );
                if (run.lastCap?.cap != null) {
                  expect(month.spent + month.reserved).toBeLessThanOrEqual(
                    Math.max(run.lastCap.cap, run.lastCap.usage),
                  );
                }
                break;
              }
              case 'cap':
                await run.setCap(step.delta);
                break;
              case 'grant-money':
                await run.editGrant(step.app, 'money', step.period, step.delta);
                break;
              case 'grant-tokens':
                await run.editGrant(step.app, 'tokens', step.period, step.delta);
                break;
              case 'zone':
                await run.switchZone();
                break;
              case 'advance':
                run.now += step.milliseconds;
                // Planned calls are stale once time moved on; the gateway plans each at its start.
                run.planned = [];
                break;
            }
            await run.checkCounters();
          }
          accepted += run.accepted;
          refused += run.refused;
          replanned += run.replanned;
        },
      ),
      { seed: 20261203, numRuns: 200 },
    );
    // The property must have exercised both outcomes, or it proved nothing.
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(20);
    // And calls planned against limits that then changed were planned again (MTR-34).
    expect(replanned).toBeGreaterThan(5);
  }, 120_000);
});
