import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { runConformance } from '../runner/run-conformance.js';
import {
  ALLOWANCE_BROWSER_DRIVER,
  CHROMIUM,
  type RunningAllowance,
  startAllowance,
} from '../self-test/start-allowance.js';

// The generic driver, as another implementation would use it: headless Chromium signing in on
// Allowance's login page with selector steps, and pressing Approve or Deny. The test user and its
// provider keys are prepared by the operator interface, as an operator would.

let wallet: RunningAllowance;

beforeAll(async () => {
  wallet = await startAllowance();
}, 30_000);

afterAll(async () => {
  await wallet?.close();
});

describe.skipIf(!existsSync(CHROMIUM))('the browser-script consent driver', () => {
  it('drives login and consent in Chromium well enough for the consent and token modules', async () => {
    const user = { email: 'browser-driver@allowance.test', password: 'conformance-password-42' };
    const config = parseConfig({
      ...wallet.config,
      user,
      driver: ALLOWANCE_BROWSER_DRIVER,
      modules: ['consent', 'token', 'narrowing'],
    });
    // The operator interface prepares the test user and its keys, and stages the approvals the
    // narrowing checks fill in: with it, a browser that only clicks Approve can narrow.
    const report = await runConformance(config, { writeReports: false });
    const failed = report.results.filter((result) => result.result === 'fail' && !result.knownFailure);
    expect(failed.map((result) => `${result.module}.${result.check}: ${result.reason}`)).toEqual([]);
    const skipped = report.results
      .filter((result) => result.result === 'skip')
      .map((result) => `${result.module}.${result.check}`);
    // It cannot strip the CSRF token, and says so.
    expect(skipped).toEqual(['consent.csrf']);
    const passed = (name: string) =>
      report.results.some(
        (result) => `${result.module}.${result.check}` === name && result.result === 'pass',
      );
    expect(passed('narrowing.broader-budget-refused') && passed('narrowing.narrowed-reflected')).toBe(true);
    expect(report.totals.pass).toBeGreaterThan(8);
  }, 90_000);
});
