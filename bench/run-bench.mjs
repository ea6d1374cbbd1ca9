#!/usr/bin/env node
// npm run bench: the same load against the same provider simulator through nothing, a bare
// undici proxy, the Portkey gateway, Allowance's gateway in `allowance serve` and an `allowance
// gateway` replica beside it, interleaved and repeated; writes BENCHMARKS.md and
// bench/results/latest.json. Settings: BENCH_ROUNDS (3), BENCH_SECONDS (3), BENCH_PROFILE=1 to
// start the wallet and the replica with --cpu-prof (profiles in bench/results/profiles).
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { jsonLoad, streamLoad } from './lib/load.mjs';
import { cpuTimeMs, freePort, peakRss, startNode } from './lib/processes.mjs';
import { progress } from './lib/progress.mjs';
import { checkTargets, megabytes, writeReport } from './lib/report.mjs';
import { median, percentile, round } from './lib/stats.mjs';
import {
  connectApp,
  generousAllowance,
  startReplica,
  startSimulator,
  startWallet,
  userWithKeys,
} from './lib/wallet.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const PROFILE = process.env.BENCH_PROFILE === '1';
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const PORTKEY_BIN = here('../node_modules/@portkey-ai/gateway/build/start-server.js');
const MODEL = 'gpt-4.1-mini';
const JSON_BODY = {
  model: MODEL,
  messages: [{ role: 'user', content: 'Say hello in a few words.' }],
  max_tokens: 64,
};
const STREAM_BODY = { ...JSON_BODY, stream: true };
const STREAM_RULES = [{ tokensPerSecond: 2000, responseTokens: 32 }];
const JSON_RULES = [{ responseTokens: 32 }];
const loadBefore = loadavg().map((value) => round(value, 2));

progress('starting the provider simulator, the bare proxy, Portkey, the wallet and its replica');
const sim = await startSimulator();
const barePort = await freePort();
const bare = await startNode([here('bare-proxy.mjs'), '--port', String(barePort), '--upstream', sim.url], {
  ready: 'bare proxy listening',
  name: 'bare proxy',
});
const portkeyPort = await freePort();
const portkey = await startNode([PORTKEY_BIN, '--headless', `--port=${portkeyPort}`], {
  ready: 'Ready for connections',
  name: 'Portkey',
});
const nodeArgs = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', here('results/profiles')] : [];
const wallet = await startWallet({
  // A benchmark is exactly the burst the anomaly detector suspends a grant for.
  gatewayOptions: { anomalyBurstCalls: 1_000_000_000, anomalySpendMicros: 1_000_000_000_000 },
  nodeArgs,
});
// Reads the wallet's config file, so it gets the same raised burst limit.
const replica = await startReplica(wallet, { nodeArgs });
const browser = await userWithKeys(wallet, sim, 'bench@example.com');
const app = await connectApp(wallet, browser, generousAllowance(MODEL));

const simKey = { authorization: `Bearer ${sim.apiKey('openai')}` };
const TARGETS = {
  direct: { url: `${sim.baseURL('openai')}/chat/completions`, headers: async () => simKey },
  bare: { url: `http://127.0.0.1:${barePort}/openai/v1/chat/completions`, headers: async () => simKey },
  portkey: {
    url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
    headers: async () => ({
      ...simKey,
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': sim.baseURL('openai'),
    }),
  },
  allowance: {
    url: `${wallet.gateway}/v1/chat/completions`,
    headers: async () => ({ authorization: `Bearer ${await app.token()}` }),
  },
  // The same grant and token as `allowance`: the replica shares the wallet's data and audience.
  replica: {
    url: `${replica.gateway}/v1/chat/completions`,
    headers: async () => ({ authorization: `Bearer ${await app.token()}` }),
  },
};
const names = Object.keys(TARGETS);
const SCENARIOS = [
  { key: 'json_c1', rules: JSON_RULES, run: (target, headers) => json(target, headers, 1) },
  { key: 'json_c50', rules: JSON_RULES, run: (target, headers) => json(target, headers, 50) },
  {
    key: 'stream',
    rules: STREAM_RULES,
    run: (target, headers) =>
      streamLoad({ url: target.url, headers, body: STREAM_BODY, concurrency: 1, seconds: SECONDS }),
  },
];
const json = (target, headers, connections) =>
  jsonLoad({ url: target.url, headers, body: JSON_BODY, connections, seconds: SECONDS });

// Every target answers correctly before anything is timed, and is warmed up alike.
await sim.setRules(JSON_RULES);
for (const name of names) {
  progress(`warming up ${name}`);
  const warm = await jsonLoad({
    url: TARGETS[name].url,
    headers: await TARGETS[name].headers(),
    body: JSON_BODY,
    connections: 10,
    seconds: 1,
  });
  if (warm.requests === 0 || warm.errors > warm.requests / 10)
    throw new Error(`${name} does not answer the benchmark's call (${warm.errors} errors)`);
}

// The process each row measures: for "direct" the simulator, otherwise the target alone.
const pids = {
  direct: sim.pid,
  bare: bare.pid,
  portkey: portkey.pid,
  allowance: wallet.process.pid,
  replica: replica.process.pid,
};
const samples = Object.fromEntries(
  names.map((name) => [name, Object.fromEntries(SCENARIOS.map((scenario) => [scenario.key, []]))]),
);
for (let round_ = 0; round_ < ROUNDS; round_ += 1) {
  // Rotate the order each round so drift in machine load falls on every target alike.
  const order = names.map((_, index) => names[(index + round_) % names.length]);
  for (const scenario of SCENARIOS) {
    await sim.setRules(scenario.rules);
    for (const name of order) {
      progress(`round ${round_ + 1}/${ROUNDS} · ${scenario.key} · ${name}`);
      const headers = await TARGETS[name].headers();
      const cpuBefore = cpuTimeMs(pids[name]);
      const run = await scenario.run(TARGETS[name], headers);
      run.cpuMs = cpuTimeMs(pids[name]) - cpuBefore;
      samples[name][scenario.key].push(run);
    }
  }
}
progress('stopping');

const pooled = (runs, field) => runs.flatMap((run) => run[field]);
const summarize = (name) => {
  const c1 = samples[name].json_c1;
  const c50 = samples[name].json_c50;
  const stream = samples[name].stream;
  return {
    json_c1: {
      p50_ms: percentile(pooled(c1, 'latencies'), 50),
      p99_ms: percentile(pooled(c1, 'latencies'), 99),
      rps: median(c1.map((run) => run.rps)),
    },
    json_c50: {
      rps: median(c50.map((run) => run.rps)),
      p50_ms: percentile(pooled(c50, 'latencies'), 50),
      p99_ms: percentile(pooled(c50, 'latencies'), 99),
      // The process's own CPU time (all its threads) over every c50 round, per request.
      cpu_us_per_call:
        (c50.reduce((sum, run) => sum + run.cpuMs, 0) * 1000) /
        c50.reduce((sum, run) => sum + run.requests, 0),
    },
    stream: {
      ttft_p50_ms: percentile(pooled(stream, 'firstToken'), 50),
      ttft_p99_ms: percentile(pooled(stream, 'firstToken'), 99),
      ttlt_p50_ms: percentile(pooled(stream, 'lastToken'), 50),
      ttlt_p99_ms: percentile(pooled(stream, 'lastToken'), 99),
      calls_per_round: stream.map((run) => run.calls),
    },
    errors: Object.values(samples[name])
      .flat()
      .reduce((sum, run) => sum + run.errors, 0),
  };
};
const raw = Object.fromEntries(names.map((name) => [name, summarize(name)]));
const targets = {};
for (const name of names) {
  const t = raw[name];
  targets[name] = {
    json_c1: {
      p50_ms: round(t.json_c1.p50_ms),
      p99_ms: round(t.json_c1.p99_ms),
      added_p50_ms: round(t.json_c1.p50_ms - raw.direct.json_c1.p50_ms),
      added_p99_ms: round(t.json_c1.p99_ms - raw.direct.json_c1.p99_ms),
      rps: round(t.json_c1.rps, 0),
    },
    json_c50: {
      rps: round(t.json_c50.rps, 0),
      rps_vs_bare: round(t.json_c50.rps / raw.bare.json_c50.rps, 2),
      rps_vs_portkey: round(t.json_c50.rps / raw.portkey.json_c50.rps, 2),
      p50_ms: round(t.json_c50.p50_ms, 2),
      p99_ms: round(t.json_c50.p99_ms, 2),
      cpu_us_per_call: round(t.json_c50.cpu_us_per_call, 0),
    },
    stream: {
      ttft_p50_ms: round(t.stream.ttft_p50_ms),
      ttft_p99_ms: round(t.stream.ttft_p99_ms),
      added_ttft_p99_ms: round(t.stream.ttft_p99_ms - raw.direct.stream.ttft_p99_ms),
      ttlt_p50_ms: round(t.stream.ttlt_p50_ms, 2),
      ttlt_p99_ms: round(t.stream.ttlt_p99_ms, 2),
      calls_per_round: t.stream.calls_per_round,
    },
    peak_rss_mb: megabytes(peakRss(pids[name])),
    errors: t.errors,
  };
}

// The replica first: it is the wallet's client (JWKS) and shares its database.
await replica.stop();
await Promise.all([wallet.close(), portkey.stop(), bare.stop()]);
await sim.stop();

const summary = {
  command: 'npm run bench',
  finished_at: new Date().toISOString(),
  settings: { rounds: ROUNDS, seconds: SECONDS, profile: PROFILE },
  machine: {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
    memory_gb: round(totalmem() / 1024 ** 3, 1),
    platform: `${platform()} ${release()}`,
    node: process.versions.node,
    load_before: loadBefore,
    load_after: loadavg().map((value) => round(value, 2)),
  },
  targets,
};
const checks = checkTargets(summary);
writeReport({
  summary,
  checks,
  markdownPath: here('../BENCHMARKS.md'),
  jsonPath: here('results/latest.json'),
});
progress.done();
const verdict = (met) => (met ? 'met ' : 'MISS');
process.stdout.write('serve / replica\n');
for (const check of checks)
  process.stdout.write(
    `${verdict(check.met)} / ${verdict(check.replica.met)}  ${check.name}: ${check.value} / ${check.replica.value} (goal ${check.target})\n`,
  );
process.stdout.write('Wrote BENCHMARKS.md and bench/results/latest.json\n');
