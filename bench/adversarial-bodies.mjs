#!/usr/bin/env node
// Does one app's hostile request hold up everyone else? `allowance serve` with a real grant and
// token; a probe fetches `GET /.well-known/oauth-authorization-server` back to back, alone and
// while ATTACKERS (2) clients send adversarial bodies to /v1/chat/completions with a valid token:
// 4 MiB of one character, 100 000 tiny messages, long runs of emoji and of CJK, 20 000 levels of
// nesting; and beside each, the same body refused as soon as it is parsed: the cost of parsing. The grant's max_input_per_request refuses every one of them at step 8, after the input
// estimate was counted (the cost measured), so none reaches the simulator. ADVERSARIAL_SECONDS
// (3) per scenario, ADVERSARIAL_ROUNDS (2) rounds, scenarios interleaved. Loopback only; writes
// its block in BENCHMARKS.md and bench/results/adversarial.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { progress } from './lib/progress.mjs';
import { formatWithBiome } from './lib/report.mjs';
import { percentile, round } from './lib/stats.mjs';
import { connectApp, generousAllowance, startSimulator, startWallet, userWithKeys } from './lib/wallet.mjs';

const SECONDS = Number(process.env.ADVERSARIAL_SECONDS ?? 3);
const ROUNDS = Number(process.env.ADVERSARIAL_ROUNDS ?? 2);
const ATTACKERS = Number(process.env.ADVERSARIAL_ATTACKERS ?? 2);
/** At most this many attack requests a scenario and round, whatever the time. */
const MAX_ATTACKS = 400;
const MODEL = 'gpt-4.1-mini';
const MAX_INPUT = 100_000;
const MEBIBYTE = 1024 * 1024;
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const load = () => loadavg().map((value) => round(value, 2));

const conversation = (content, model = `"${MODEL}"`) =>
  `{"model":${model},"max_tokens":16,"messages":[{"role":"user","content":${content}}]}`;
const tiny = Array.from({ length: 100_000 }, () => '{"role":"user","content":"hi"}').join(',');
const ATTACKS = {
  'one character, 4 MiB': (model) => conversation(JSON.stringify('a'.repeat(4 * MEBIBYTE - 100)), model),
  '100 000 tiny messages': (model = `"${MODEL}"`) =>
    `{"model":${model},"max_tokens":16,"messages":[${tiny}]}`,
  'emoji run, 4 MiB': (model) => conversation(JSON.stringify('😀'.repeat(MEBIBYTE - 32)), model),
  'CJK run, 4 MiB': (model) =>
    conversation(JSON.stringify('中'.repeat(Math.floor((4 * MEBIBYTE - 100) / 3))), model),
};
/**
 * Each body as sent, at most the default 4 MiB limit. Every attack has a twin whose `model` is a
 * number: refused at step 1 once parsed, it costs what reading and parsing the body costs, the
 * floor the attack is compared with.
 */
const SCENARIOS = {
  none: undefined,
  ...Object.fromEntries(
    Object.entries(ATTACKS).flatMap(([name, body]) => [
      [name, body()],
      [`${name}, refused once parsed`, body('0')],
    ]),
  ),
  'nesting, 20 000 levels': conversation(`${'['.repeat(20_000)}"x"${']'.repeat(20_000)}`),
};

const agent = new Agent({ keepAlive: true, maxSockets: ATTACKERS + 2 });

/** One HTTP exchange on loopback: its status and time in ms. */
function exchange(url, { method = 'GET', headers = {}, body } = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    const call = request(
      url,
      {
        method,
        agent,
        headers: body === undefined ? headers : { ...headers, 'content-length': body.length },
      },
      (response) => {
        response.resume();
        response.once('end', () => resolve({ status: response.statusCode, ms: performance.now() - started }));
        response.once('error', () => resolve({ status: 0, ms: performance.now() - started }));
      },
    );
    call.once('error', () => resolve({ status: 0, ms: performance.now() - started }));
    call.end(body);
  });
}

const sim = await startSimulator();
const wallet = await startWallet({ gatewayOptions: { anomalyBurstCalls: 1_000_000_000 } });
const loadBefore = load();
progress('connecting the app');
const generous = generousAllowance(MODEL);
const app = await connectApp(wallet, await userWithKeys(wallet, sim, 'adversary@example.com'), {
  ...generous,
  tokens: { ...generous.tokens, max_input_per_request: MAX_INPUT },
});
const metadataUrl = `${wallet.issuer}/.well-known/oauth-authorization-server`;
const attackUrl = `${wallet.gateway}/v1/chat/completions`;
const bodies = Object.fromEntries(
  Object.entries(SCENARIOS).map(([name, text]) => [name, text && Buffer.from(text, 'utf8')]),
);

// Warm both paths up, so the first scenario does not pay for the JIT.
for (let index = 0; index < 200; index += 1) await exchange(metadataUrl);

const samples = Object.fromEntries(
  Object.keys(SCENARIOS).map((name) => [name, { probe: [], attacks: [], statuses: {} }]),
);
for (let round_ = 0; round_ < ROUNDS; round_ += 1) {
  // Rotate the order each round, so that noise on the shared machine falls on all alike.
  const names = Object.keys(SCENARIOS);
  const order = [...names.slice(round_ % names.length), ...names.slice(0, round_ % names.length)];
  for (const name of order) {
    progress(`round ${round_ + 1}/${ROUNDS}: ${name}`);
    const body = bodies[name];
    const until = performance.now() + SECONDS * 1000;
    const sample = samples[name];
    const headers = { authorization: `Bearer ${await app.token()}`, 'content-type': 'application/json' };
    let attacks = 0;
    const attacker = async () => {
      while (body && performance.now() < until && attacks < MAX_ATTACKS) {
        attacks += 1;
        const answer = await exchange(attackUrl, { method: 'POST', headers, body });
        sample.attacks.push(answer.ms);
        sample.statuses[answer.status] = (sample.statuses[answer.status] ?? 0) + 1;
      }
    };
    const probe = async () => {
      while (performance.now() < until) sample.probe.push((await exchange(metadataUrl)).ms);
    };
    await Promise.all([probe(), ...Array.from({ length: ATTACKERS }, attacker)]);
  }
}
progress.done();
await wallet.close();
await sim.stop();
agent.destroy();

const none = samples.none.probe;
const scenarios = Object.entries(samples).map(([name, sample]) => ({
  name,
  body_bytes: bodies[name]?.length ?? 0,
  probes: sample.probe.length,
  probe_p50_ms: round(percentile(sample.probe, 50)),
  probe_p99_ms: round(percentile(sample.probe, 99)),
  probe_max_ms: round(Math.max(...sample.probe)),
  probe_p99_vs_none: round(percentile(sample.probe, 99) / percentile(none, 99), 2),
  probe_p99_vs_parsed: samples[`${name}, refused once parsed`]
    ? round(percentile(sample.probe, 99) / percentile(samples[`${name}, refused once parsed`].probe, 99), 2)
    : null,
  attacks: sample.attacks.length,
  attack_p50_ms: round(percentile(sample.attacks, 50)),
  attack_statuses: sample.statuses,
}));
const result = {
  command: 'npm run bench:adversarial',
  finished_at: new Date().toISOString(),
  seconds: SECONDS,
  rounds: ROUNDS,
  attackers: ATTACKERS,
  load_before: loadBefore,
  load_after: load(),
  scenarios,
};
mkdirSync(here('results'), { recursive: true });
writeFileSync(here('results/adversarial.json'), `${JSON.stringify(result, null, 2)}\n`);

const START = '<!-- adversarial:start (written by npm run bench:adversarial) -->';
const END = '<!-- adversarial:end -->';
const statuses = (counts) =>
  Object.entries(counts)
    .map(([status, count]) => `${count} × ${status}`)
    .join(', ') || '–';
const block = [
  START,
  `## Adversarial bodies — ${result.finished_at}`,
  '',
  `\`npm run bench:adversarial\`: \`allowance serve\`; one probe fetches \`GET /.well-known/oauth-authorization-server\` back to back while ${ATTACKERS} clients send the body of the scenario to \`/v1/chat/completions\` (${MODEL}, counted with o200k_base) with a valid token, back to back, ${ROUNDS} × ${SECONDS} s per scenario, scenarios interleaved and rotated each round. The grant's \`max_input_per_request\` (${MAX_INPUT}) refuses every attack at step 8, after its input estimate was counted, so none reaches the simulator; each attack's twin with \`"model": 0\` is refused at step 1 once parsed, and costs what reading and parsing the body costs. Load average ${result.load_before.join(' / ')} before, ${result.load_after.join(' / ')} after; ratios are within this run.`,
  '',
  '| attack body | bytes | probe p50 ms | probe p99 ms | probe max ms | probe p99 / none | probe p99 / refused once parsed | attacks | attack p50 ms | attack answers |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...scenarios.map(
    (row) =>
      `| ${row.name} | ${row.body_bytes} | ${row.probe_p50_ms} | ${row.probe_p99_ms} | ${row.probe_max_ms} | ${row.probe_p99_vs_none}× | ${row.probe_p99_vs_parsed === null ? '–' : `${row.probe_p99_vs_parsed}×`} | ${row.attacks} | ${row.attack_p50_ms ?? '–'} | ${statuses(row.attack_statuses)} |`,
  ),
  END,
].join('\n');
const path = here('../BENCHMARKS.md');
const existing = readFileSync(path, 'utf8');
const start = existing.indexOf(START);
const end = existing.indexOf(END);
writeFileSync(
  path,
  start >= 0 && end > start
    ? `${existing.slice(0, start)}${block}${existing.slice(end + END.length)}`
    : `${existing.trimEnd()}\n\n${block}\n`,
);
formatWithBiome([path, here('results/adversarial.json')]);
process.stdout.write(`${block}\n\nWrote BENCHMARKS.md and bench/results/adversarial.json\n`);
