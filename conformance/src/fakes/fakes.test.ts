import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProviderSim, startProviderSim } from '@allowance/provider-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import type { RunReport } from '../model/types.js';
import { runConformance } from '../runner/run-conformance.js';
import {
  ALLOWANCE_KNOWN_FAILURES,
  type RunningAllowance,
  startAllowance,
} from '../self-test/start-allowance.js';
import { FAKES, type FakeScratch } from './breakages.js';
import { type BreakingProxy, startBreakingProxy } from './breaking-proxy.js';

// Proof that the suite can fail: Allowance behind a proxy that breaks one MUST at a time. Each
// fake must make exactly its own checks fail, in the modules that expose it, and nothing else.

let proxy: BreakingProxy;
let wallet: RunningAllowance;
let sim: ProviderSim;
let runs = 0;
const scratchDirectory = mkdtempSync(join(tmpdir(), 'allowance-fakes-'));
const scratch: FakeScratch = {
  database: join(scratchDirectory, 'fake-database.bin'),
  log: join(scratchDirectory, 'fake.log'),
};

async function run(modules: readonly string[]): Promise<RunReport> {
  runs += 1;
  const config = parseConfig({
    ...wallet.config,
    // A fresh test user per run, so that each run's driver signs up from scratch.
    user: { email: `fake-${runs}@allowance.test`, password: 'conformance-password-42' },
    modules,
    artefacts: { database: [wallet.dataDirectory, scratch.database], logs: [wallet.logFile, scratch.log] },
  });
  try {
    return await runConformance(config, { simulator: sim, writeReports: false });
  } finally {
    for (const file of [scratch.database, scratch.log]) rmSync(file, { force: true });
  }
}

const unexpectedFailures = (report: RunReport) =>
  report.results
    .filter((result) => result.result === 'fail' && !result.knownFailure)
    .map((result) => `${result.module}.${result.check}`)
    .sort();

beforeAll(async () => {
  proxy = await startBreakingProxy();
  wallet = await startAllowance({ publicPort: proxy.port });
  proxy.target = wallet.listenPort;
  sim = await startProviderSim({ host: '127.0.0.1', port: 0 });
}, 30_000);

afterAll(async () => {
  await wallet?.close();
  await proxy?.close();
  await sim?.close();
  rmSync(scratchDirectory, { recursive: true, force: true });
});

describe('the suite against deliberately broken wallets', () => {
  it('passes the faithful proxy, apart from the wallet known failures', async () => {
    proxy.breakage = undefined;
    const modules = [...new Set(FAKES.flatMap((fake) => fake.modules))];
    const report = await run(modules);
    expect(unexpectedFailures(report)).toEqual([]);
    expect(report.totals.pass).toBeGreaterThan(50);
  }, 60_000);

  for (const fake of FAKES) {
    it(`${fake.name} (${fake.breaks}) fails exactly its checks`, async () => {
      proxy.breakage = fake.breakage(sim, scratch);
      try {
        const report = await run(fake.modules);
        // A check the wallet already fails is reported as known, whatever the fake does to it.
        const expected = fake.expectedFailures.filter((name) => !(name in ALLOWANCE_KNOWN_FAILURES));
        expect(unexpectedFailures(report)).toEqual(expected.sort());
      } finally {
        proxy.breakage = undefined;
      }
    }, 60_000);
  }

  it('has at least ten fakes, each breaking something different', () => {
    expect(FAKES.length).toBeGreaterThanOrEqual(10);
    expect(new Set(FAKES.map((fake) => fake.breaks)).size).toBe(FAKES.length);
  });
});
