import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_ALLOWANCE, CRASH_RULES, crashDrill } from '../../bench/drills/crash.mjs';
import { connectApp, type Harness, startHarness, userWithKeys } from '../support/wallet-harness.js';

// The short version of `npm run drill crash`: kill -9 the wallet mid-stream a few times; the
// ledger, the period totals and the reservations must then agree exactly.
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    childProcess: true,
    gatewayOptions: {
      reservationDeadlineSeconds: 2,
      anomalyBurstCalls: 1_000_000_000,
      anomalySpendMicros: 1_000_000_000_000,
    },
  });
});
afterAll(async () => {
  await harness?.close();
});

describe('crash drill', () => {
  it('recovers every reservation a kill left open exactly once, and the books balance', async () => {
    harness.sim.setRules(CRASH_RULES);
    const browser = await userWithKeys(harness, 'crash@example.com');
    const { accessToken, grantId } = await connectApp(harness, browser, CRASH_ALLOWANCE);
    const report = await crashDrill({
      wallet: {
        gateway: harness.wallet.gateway,
        crash: () => harness.crash(),
        restart: () => harness.restart(),
      },
      database: harness.store.database,
      grantId,
      token: async () => accessToken,
      cycles: 3,
      callsPerCycle: 8,
      // Kill 135, 205 and 275 ms in: while calls are reserving, streaming and settling.
      random: (
        (draws) => () =>
          draws.shift() ?? 0.1
      )([0.05, 0.15, 0.25]),
    });
    expect(report.findings, report.did).toEqual([]);
  });
});
