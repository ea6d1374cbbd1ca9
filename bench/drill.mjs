#!/usr/bin/env node
// npm run drill: the reliability drills at full size against a wallet and a simulator running as
// child processes. Each prints what it did and what it checked; the exit code is 1 on any
// finding. DRILL_SCALE (default 1) multiplies the number of calls and crash cycles.
import { openStore } from '@allowance/store';
import { CRASH_ALLOWANCE, CRASH_RULES, crashDrill } from './drills/crash.mjs';
import { OVERSPEND_ALLOWANCES, OVERSPEND_RULES, overspendDrill } from './drills/overspend.mjs';
import {
  FAULT_ALLOWANCE,
  FAULT_GATEWAY_OPTIONS,
  FAULT_RULES,
  upstreamFaultsDrill,
} from './drills/upstream-faults.mjs';
import { currentRss } from './lib/processes.mjs';
import { connectApp, startSimulator, startWallet, userWithKeys } from './lib/wallet.mjs';

const SCALE = Number(process.env.DRILL_SCALE ?? 1);
const only = process.argv.slice(2);
// The drills are bursts by design; the anomaly detector would suspend their grants.
const NO_BURST_LIMIT = { anomalyBurstCalls: 1_000_000_000, anomalySpendMicros: 1_000_000_000_000 };

/** A fresh simulator and wallet for one drill, a user with keys, and apps for `allowances`. */
async function setUp(gatewayOptions, allowances, nodeArgs = []) {
  const sim = await startSimulator();
  const wallet = await startWallet({
    gatewayOptions: { ...NO_BURST_LIMIT, ...gatewayOptions },
    logLevel: 'fatal',
    nodeArgs,
  });
  const browser = await userWithKeys(wallet, sim, 'drill@example.com');
  const apps = [];
  for (const allowance of allowances) apps.push(await connectApp(wallet, browser, allowance));
  const store = await openStore({ sqlite: wallet.sqlite });
  return {
    sim,
    wallet,
    apps,
    store,
    async close() {
      await store.close();
      await wallet.close();
      await sim.stop();
    },
  };
}

const DRILLS = {
  async overspend() {
    const setup = await setUp({}, OVERSPEND_ALLOWANCES);
    try {
      await setup.sim.setRules(OVERSPEND_RULES);
      const apps = await Promise.all(
        setup.apps.map(async (app) => ({ grantId: app.grantId, token: await app.token() })),
      );
      return await overspendDrill({
        gateway: setup.wallet.gateway,
        database: setup.store.database,
        apps,
        calls: 4000 * SCALE,
        concurrency: 250,
      });
    } finally {
      await setup.close();
    }
  },
  async crash() {
    const setup = await setUp({ reservationDeadlineSeconds: 2 }, [CRASH_ALLOWANCE]);
    try {
      await setup.sim.setRules(CRASH_RULES);
      const [app] = setup.apps;
      return await crashDrill({
        wallet: setup.wallet,
        database: setup.store.database,
        grantId: app.grantId,
        token: () => app.token(),
        cycles: 25 * SCALE,
        callsPerCycle: 16,
      });
    } finally {
      await setup.close();
    }
  },
  async 'upstream-faults'() {
    // A capped heap turns a leak into a crash within the drill, instead of into slow growth that
    // V8's lazy collection would hide (uncapped, the heap grows while memory is free).
    const setup = await setUp(FAULT_GATEWAY_OPTIONS, [FAULT_ALLOWANCE], ['--max-old-space-size=96']);
    try {
      await setup.sim.setRules(FAULT_RULES);
      const [app] = setup.apps;
      return await upstreamFaultsDrill({
        gateway: setup.wallet.gateway,
        database: setup.store.database,
        grantId: app.grantId,
        token: () => app.token(),
        rss: () => currentRss(setup.wallet.process.pid) ?? 0,
        rounds: 5,
        calls: 600 * SCALE,
        concurrency: 100,
      });
    } finally {
      await setup.close();
    }
  },
};

let failed = false;
for (const [name, drill] of Object.entries(DRILLS)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`\n▶ ${name} drill\n`);
  const started = performance.now();
  const report = await drill();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`  did:     ${report.did}\n  checked: ${report.checked}\n`);
  if (report.findings.length === 0) process.stdout.write(`  ✓ no discrepancy (${seconds} s)\n`);
  else {
    failed = true;
    for (const finding of report.findings.slice(0, 20)) process.stdout.write(`  ✗ ${finding}\n`);
    if (report.findings.length > 20) process.stdout.write(`  … and ${report.findings.length - 20} more\n`);
  }
}
process.exitCode = failed ? 1 : 0;
