import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OVERSPEND_ALLOWANCES, OVERSPEND_RULES, overspendDrill } from '../../bench/drills/overspend.mjs';
import { connectApp, type Harness, startHarness, userWithKeys } from '../support/wallet-harness.js';

// The short version of `npm run drill overspend`: hundreds of concurrent calls on grants with
// tight limits, streamed and not, some abandoned. Exact money, never time, is asserted.
let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    gatewayOptions: { anomalyBurstCalls: 1_000_000_000, anomalySpendMicros: 1_000_000_000_000 },
  });
});
afterAll(async () => {
  await harness?.close();
});

describe('overspend drill', () => {
  it('never passes a limit, settles or refuses every call, and leaves no reservation', async () => {
    harness.sim.setRules(OVERSPEND_RULES);
    const browser = await userWithKeys(harness, 'overspend@example.com');
    const apps: { grantId: string; token: string }[] = [];
    for (const allowance of OVERSPEND_ALLOWANCES) {
      const { accessToken, grantId } = await connectApp(harness, browser, allowance);
      apps.push({ grantId, token: accessToken });
    }
    const report = await overspendDrill({
      gateway: harness.wallet.gateway,
      database: harness.store.database,
      apps,
      calls: 900,
      concurrency: 100,
    });
    expect(report.findings, report.did).toEqual([]);
  });
});
