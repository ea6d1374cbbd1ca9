#!/usr/bin/env node
// A quick before/after for gateway changes: Allowance and the simulator directly, JSON calls at
// concurrency 1 and 50, QUICK_SECONDS (5) each, QUICK_ROUNDS (2) rounds; QUICK_REPLICA=1 measures
// an `allowance gateway` replica beside the wallet instead of `allowance serve`; QUICK_PROFILE=1
// starts the measured process with --cpu-prof (bench/results/profiles), QUICK_NODE_ARGS adds node
// options to it. Not the published bench: `npm run bench`.
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { jsonLoad } from './lib/load.mjs';
import { cpuTimeMs, peakRss } from './lib/processes.mjs';
import { median, percentile, round } from './lib/stats.mjs';
import {
  connectApp,
  generousAllowance,
  startReplica,
  startSimulator,
  startWallet,
  userWithKeys,
} from './lib/wallet.mjs';

const SECONDS = Number(process.env.QUICK_SECONDS ?? 5);
const ROUNDS = Number(process.env.QUICK_ROUNDS ?? 2);
const REPLICA = process.env.QUICK_REPLICA === '1';
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const MODEL = 'gpt-4.1-mini';
const BODY = {
  model: MODEL,
  messages: [{ role: 'user', content: 'Say hello in a few words.' }],
  max_tokens: 64,
};
const load = () => loadavg().map((value) => round(value, 2));
const loadBefore = load();

const sim = await startSimulator();
await sim.setRules([{ responseTokens: 32 }]);
const nodeArgs = [
  ...(process.env.QUICK_PROFILE === '1' ? ['--cpu-prof', '--cpu-prof-dir', here('results/profiles')] : []),
  // e.g. QUICK_NODE_ARGS="--max-old-space-size=64"
  ...(process.env.QUICK_NODE_ARGS ? process.env.QUICK_NODE_ARGS.split(' ') : []),
];
// Only the measured process gets the profile and node options.
const wallet = await startWallet({
  gatewayOptions: { anomalyBurstCalls: 1_000_000_000, anomalySpendMicros: 1_000_000_000_000 },
  nodeArgs: REPLICA ? [] : nodeArgs,
});
// The replica reads the wallet's config file, so it gets the same raised burst limit.
const replica = REPLICA ? await startReplica(wallet, { nodeArgs }) : undefined;
const measured = replica ?? wallet;
const browser = await userWithKeys(wallet, sim, 'quick@example.com');
const app = await connectApp(wallet, browser, generousAllowance(MODEL));
const targets = {
  direct: {
    url: `${sim.baseURL('openai')}/chat/completions`,
    headers: async () => ({ authorization: `Bearer ${sim.apiKey('openai')}` }),
  },
  allowance: {
    url: `${measured.gateway}/v1/chat/completions`,
    headers: async () => ({ authorization: `Bearer ${await app.token()}` }),
  },
};
const results = { direct: { c1: [], c50: [] }, allowance: { c1: [], c50: [] } };
// The measured process's CPU time over its c50 runs, per call: the least noisy figure here.
const allowanceCpu = { ms: 0, calls: 0 };
for (const name of Object.keys(targets)) {
  await jsonLoad({
    url: targets[name].url,
    headers: await targets[name].headers(),
    body: BODY,
    connections: 10,
    seconds: 1,
  });
}
for (let round_ = 0; round_ < ROUNDS; round_ += 1) {
  for (const name of Object.keys(targets)) {
    for (const [key, connections] of [
      ['c1', 1],
      ['c50', 50],
    ]) {
      const cpuBefore = cpuTimeMs(measured.process.pid);
      const run = await jsonLoad({
        url: targets[name].url,
        headers: await targets[name].headers(),
        body: BODY,
        connections,
        seconds: SECONDS,
      });
      results[name][key].push(run);
      if (name === 'allowance' && key === 'c50') {
        allowanceCpu.ms += cpuTimeMs(measured.process.pid) - cpuBefore;
        allowanceCpu.calls += run.requests;
      }
    }
  }
}
const rss = peakRss(measured.process.pid);
await replica?.stop();
await wallet.close();
await sim.stop();
const summary = (name) => {
  const c1 = results[name].c1.flatMap((run) => run.latencies);
  const c50 = results[name].c50.flatMap((run) => run.latencies);
  return {
    c1_p50: round(percentile(c1, 50)),
    c1_p99: round(percentile(c1, 99)),
    c50_rps: round(median(results[name].c50.map((run) => run.rps)), 0),
    c50_p99: round(percentile(c50, 99), 2),
    errors: [...results[name].c1, ...results[name].c50].reduce((sum, run) => sum + run.errors, 0),
  };
};
const direct = summary('direct');
const allowance = summary('allowance');
process.stdout.write(
  `${JSON.stringify({ measured: REPLICA ? 'replica' : 'serve', load_before: loadBefore, load_after: load(), direct, allowance, added_c1_p50: round(allowance.c1_p50 - direct.c1_p50), added_c1_p99: round(allowance.c1_p99 - direct.c1_p99), c50_vs_direct: round(allowance.c50_rps / direct.c50_rps, 3), c50_cpu_us_per_call: round((allowanceCpu.ms * 1000) / allowanceCpu.calls, 0), allowance_peak_rss_mb: round((rss ?? 0) / 1024 / 1024, 1) }, null, 2)}\n`,
);
