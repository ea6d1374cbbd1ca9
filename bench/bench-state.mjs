#!/usr/bin/env node
// npm run bench:state: reservation (a metered call: reserve, forward, settle) and
// GET /v1/allowance, timed on a wallet with one grant and again after seeding 10 000 grants
// and 1 000 000 ledger rows. They read and write per-period totals, never sums over the ledger,
// so the two columns should match. Writes bench/results/state.json and a block of BENCHMARKS.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { jsonLoad } from './lib/load.mjs';
import { progress } from './lib/progress.mjs';
import { formatWithBiome } from './lib/report.mjs';
import { median, percentile, round } from './lib/stats.mjs';
import { connectApp, generousAllowance, startSimulator, startWallet, userWithKeys } from './lib/wallet.mjs';
import { seedState } from './seed-state.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const REPEATS = Number(process.env.BENCH_ROUNDS ?? 3);
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const MODEL = 'gpt-4.1-mini';
const CALL = { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 64 };
const loadBefore = loadavg().map((value) => round(value, 2));

progress('starting the simulator and the wallet');
const sim = await startSimulator();
await sim.setRules([{ responseTokens: 32 }]);
const gatewayOptions = { anomalyBurstCalls: 1_000_000_000, anomalySpendMicros: 1_000_000_000_000 };
const wallet = await startWallet({ gatewayOptions });
const app = await connectApp(
  wallet,
  await userWithKeys(wallet, sim, 'state@example.com'),
  generousAllowance(MODEL),
);

/** Both operations, `REPEATS` times each, alternating; latency percentiles over all samples. */
async function measure(label) {
  const probe = await fetch(`${wallet.gateway}/v1/allowance`, {
    headers: { authorization: `Bearer ${await app.token()}` },
  });
  if (!probe.ok) throw new Error(`${label}: the wallet answered ${probe.status} ${await probe.text()}`);
  // Warm the JIT, the pools and SQLite's page cache alike before each state is timed.
  progress(`${label} · warming up`);
  const warm = { headers: { authorization: `Bearer ${await app.token()}` }, connections: 1, seconds: 2 };
  await jsonLoad({ ...warm, url: `${wallet.gateway}/v1/chat/completions`, body: CALL });
  await jsonLoad({ ...warm, url: `${wallet.gateway}/v1/allowance`, method: 'GET' });
  const runs = { reservation: [], allowance: [] };
  for (let repeat = 0; repeat < REPEATS; repeat += 1) {
    const headers = { authorization: `Bearer ${await app.token()}` };
    progress(`${label} · metered call (reserve + settle) · ${repeat + 1}/${REPEATS}`);
    runs.reservation.push(
      await jsonLoad({
        url: `${wallet.gateway}/v1/chat/completions`,
        headers,
        body: CALL,
        connections: 1,
        seconds: SECONDS,
      }),
    );
    progress(`${label} · GET /v1/allowance · ${repeat + 1}/${REPEATS}`);
    runs.allowance.push(
      await jsonLoad({
        url: `${wallet.gateway}/v1/allowance`,
        headers,
        method: 'GET',
        connections: 1,
        seconds: SECONDS,
      }),
    );
  }
  const summary = (list) => ({
    p50_ms: round(
      percentile(
        list.flatMap((run) => run.latencies),
        50,
      ),
    ),
    p99_ms: round(
      percentile(
        list.flatMap((run) => run.latencies),
        99,
      ),
    ),
    rps: round(median(list.map((run) => run.rps)), 0),
    errors: list.reduce((sum, run) => sum + run.errors, 0),
  });
  return { reservation: summary(runs.reservation), allowance: summary(runs.allowance) };
}

const empty = await measure('empty database');
progress('stopping the wallet and seeding 10 000 grants and 1 000 000 ledger rows');
await wallet.process.stop();
const seededAt = performance.now();
const rows = seedState(wallet.sqlite, { grantId: app.grantId });
const seedSeconds = round((performance.now() - seededAt) / 1000, 1);
await wallet.start();
const seeded = await measure('seeded database');
await wallet.close();
await sim.stop();
progress.done();

const result = {
  command: 'npm run bench:state',
  finished_at: new Date().toISOString(),
  load_before: loadBefore,
  load_after: loadavg().map((value) => round(value, 2)),
  seeded_rows: rows,
  seed_seconds: seedSeconds,
  empty,
  seeded,
  ratio_p50: {
    reservation: round(seeded.reservation.p50_ms / empty.reservation.p50_ms, 2),
    allowance: round(seeded.allowance.p50_ms / empty.allowance.p50_ms, 2),
  },
};
mkdirSync(here('results'), { recursive: true });
writeFileSync(here('results/state.json'), `${JSON.stringify(result, null, 2)}\n`);

const START = '<!-- state:start (written by npm run bench:state) -->';
const END = '<!-- state:end -->';
const line = (name, key) =>
  `| ${name} | ${empty[key].p50_ms} / ${empty[key].p99_ms} | ${seeded[key].p50_ms} / ${seeded[key].p99_ms} | ${result.ratio_p50[key]}× | ${empty[key].errors + seeded[key].errors} |`;
const block = [
  START,
  `## Scale of state — ${result.finished_at}`,
  '',
  `\`npm run bench:state\`: one client, back to back, ${REPEATS} × ${SECONDS} s per operation and state, through \`allowance serve\`. Seeded: ${rows.grants} grants, ${rows.ledger} ledger rows (10% on the measured grant), ${rows.counters} per-period counters, written in ${seedSeconds} s. Load average ${result.load_before.join(' / ')} before, ${result.load_after.join(' / ')} after.`,
  '',
  '| operation | empty: p50 / p99 ms | seeded: p50 / p99 ms | seeded / empty p50 | errors |',
  '|---|---|---|---|---|',
  line('metered call: verify, reserve, forward, settle, ledger row', 'reservation'),
  line('GET /v1/allowance', 'allowance'),
  END,
].join('\n');
const path = here('../BENCHMARKS.md');
const existing = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
const start = existing.indexOf(START);
const end = existing.indexOf(END);
writeFileSync(
  path,
  start >= 0 && end > start
    ? `${existing.slice(0, start)}${block}${existing.slice(end + END.length)}`
    : `${existing.trimEnd()}\n\n${block}\n`,
);
formatWithBiome([path, here('results/state.json')]);
process.stdout.write(
  `metered call p50 ${empty.reservation.p50_ms} → ${seeded.reservation.p50_ms} ms; /v1/allowance p50 ${empty.allowance.p50_ms} → ${seeded.allowance.p50_ms} ms\nWrote BENCHMARKS.md and bench/results/state.json\n`,
);
