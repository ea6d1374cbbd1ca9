// Turns the benchmark's numbers into the summary (ratios against the peers, pass/miss per target)
// and writes BENCHMARKS.md (between markers, keeping the hand-written notes) and the JSON file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './stats.mjs';

const START = '<!-- bench:start (written by npm run bench) -->';
const END = '<!-- bench:end -->';
const MB = 1024 * 1024;

/**
 * The targets, checked against one run's summary: `value` and `met` for `allowance serve`
 * (as before the replica was measured), `replica: { value, met }` for the `allowance gateway`
 * replica when the run measured one.
 */
export function checkTargets(summary) {
  const serve = checkGoals(summary.targets.allowance);
  const replica = summary.targets.replica && checkGoals(summary.targets.replica);
  return serve.map((check, index) =>
    replica ? { ...check, replica: { value: replica[index].value, met: replica[index].met } } : check,
  );
}

/** The goals against one Allowance target's figures. */
function checkGoals(allowance) {
  const checks = [
    ['added latency, concurrency 1, p50', allowance.json_c1.added_p50_ms, '≤ 0.3 ms', (v) => v <= 0.3],
    ['added latency, concurrency 1, p99', allowance.json_c1.added_p99_ms, '≤ 1 ms', (v) => v <= 1],
    ['throughput c50 / bare proxy', allowance.json_c50.rps_vs_bare, '≥ 0.5', (v) => v >= 0.5],
    ['throughput c50 / Portkey', allowance.json_c50.rps_vs_portkey, '≥ 3×', (v) => v >= 3],
    ['added time to first token, p99', allowance.stream.added_ttft_p99_ms, '≤ 1 ms', (v) => v <= 1],
    ['peak RSS', allowance.peak_rss_mb, '≤ 150 MB', (v) => v <= 150],
  ];
  return checks.map(([name, value, target, pass]) => ({
    name,
    value,
    target,
    met: value !== null && value !== undefined && pass(value),
  }));
}

const cell = (value, unit = '') => (value === null || value === undefined ? '–' : `${value}${unit}`);

/** The markdown block for one run. */
export function markdown(summary, checks) {
  const names = {
    direct: 'direct',
    bare: 'bare undici proxy',
    portkey: 'Portkey 1.15.2',
    allowance: 'Allowance serve',
    replica: 'Allowance replica',
  };
  const rows = Object.entries(summary.targets).map(([key, target]) => {
    const { json_c1: c1, json_c50: c50, stream } = target;
    return `| ${names[key]} | ${cell(c1.p50_ms)} | ${cell(c1.p99_ms)} | ${cell(c1.added_p50_ms)} / ${cell(c1.added_p99_ms)} | ${cell(c50.rps)} | ${cell(c50.rps_vs_bare, '×')} | ${cell(c50.rps_vs_portkey, '×')} | ${cell(c50.p99_ms)} | ${cell(c50.cpu_us_per_call)} | ${cell(stream.ttft_p50_ms)} / ${cell(stream.ttft_p99_ms)} | ${cell(stream.added_ttft_p99_ms)} | ${cell(stream.ttlt_p50_ms)} / ${cell(stream.ttlt_p99_ms)} | ${cell(target.peak_rss_mb)} | ${target.errors} |`;
  });
  const m = summary.machine;
  const hasReplica = checks.some((check) => check.replica);
  const met = (value) => (value ? 'yes' : '**no**');
  return [
    START,
    `## Latest run — ${summary.finished_at}`,
    '',
    `Command: \`${summary.command}\` (${summary.settings.rounds} rounds × ${summary.settings.seconds} s per target and scenario, targets interleaved and rotated each round; latency percentiles over every sample of every round, throughput the median of the rounds).`,
    '',
    `Machine: ${m.cpus} × ${m.cpu_model}, ${m.memory_gb} GB, ${m.platform}, Node ${m.node}. Load average (1/5/15 min) ${m.load_before.join(' / ')} before, ${m.load_after.join(' / ')} after: other work shared the machine. The load generator, the simulator and every target run on this one machine.`,
    '',
    'Scenarios: `POST /v1/chat/completions` (gpt-4.1-mini, 32 output tokens) as JSON with autocannon at concurrency 1 and 50, and streamed (SSE, 32 tokens paced at 2 000 tokens/s) by one client back to back. Allowance runs `allowance serve` (authorization server and gateway in one process) with a real grant (day and month budgets, a daily token limit) and a Bearer access token from the OAuth flow: every call is verified, checked, reserved, forwarded, settled and written to the ledger. "Allowance replica" is `allowance gateway` as a separate process on its own port beside it: the same data directory (SQLite in WAL mode, shared by both processes), the same issuer and gateway URL (so the same grant and token), verifying tokens with the issuer\'s JWKS fetched over HTTP from the serve process. Both get the same gateway options; the burst-anomaly limit is raised for the run, since a benchmark *is* a burst.',
    '',
    '| target | c1 p50 ms | c1 p99 ms | added c1 p50 / p99 ms | c50 req/s | vs bare | vs Portkey | c50 p99 ms | c50 CPU µs a call | TTFT p50 / p99 ms | added TTFT p99 ms | TTLT p50 / p99 ms | peak RSS MB | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '"added" is the target minus direct at the same percentile. Peak RSS is the process\'s high-water mark (`VmHWM`); "c50 CPU µs a call" is the user and system time of the process, all its threads, over the c50 runs, divided by the requests it answered. For "direct" both are the simulator\'s. CPU a call moves far less than throughput when other work shares the machine.',
    '',
    ...(hasReplica
      ? [
          '| target (issue 8) | goal | serve | met | replica | met |',
          '|---|---|---|---|---|---|',
          ...checks.map(
            (check) =>
              `| ${check.name} | ${check.target} | ${cell(check.value)} | ${met(check.met)} | ${cell(check.replica?.value)} | ${met(check.replica?.met)} |`,
          ),
        ]
      : [
          '| target (issue 8) | Allowance | goal | met |',
          '|---|---|---|---|',
          ...checks.map(
            (check) => `| ${check.name} | ${cell(check.value)} | ${check.target} | ${met(check.met)} |`,
          ),
        ]),
    '',
    `Raw figures: [\`bench/results/latest.json\`](bench/results/latest.json).`,
    END,
  ].join('\n');
}

/** Writes the JSON file and replaces the generated block of BENCHMARKS.md, keeping the rest. */
export function writeReport({ summary, checks, markdownPath, jsonPath }) {
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify({ ...summary, checks }, null, 2)}\n`);
  const block = markdown(summary, checks);
  const existing = existsSync(markdownPath) ? readFileSync(markdownPath, 'utf8') : '';
  const start = existing.indexOf(START);
  const end = existing.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${existing.slice(0, start)}${block}${existing.slice(end + END.length)}`
      : `# Benchmarks\n\n\`npm run bench\` rewrites the block below; the notes after it are kept.\n\n${block}\n${existing}`;
  writeFileSync(markdownPath, next);
  formatWithBiome([markdownPath, jsonPath]);
}

/** Bytes as megabytes with one decimal. */
export const megabytes = (bytes) => (bytes === undefined ? null : round(bytes / MB, 1));

/**
 * Formats written files the way `npm run lint` expects (Biome formats Markdown tables and JSON),
 * so a fresh run leaves the checkout lint-clean. A missing Biome only leaves them unformatted.
 */
export function formatWithBiome(paths) {
  const biome = fileURLToPath(new URL('../../node_modules/.bin/biome', import.meta.url));
  spawnSync(biome, ['format', '--write', ...paths], { stdio: 'ignore' });
}
