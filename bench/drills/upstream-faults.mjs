// Upstream-fault drill: under concurrent load the simulator drops streams and JSON bodies, hangs,
// answers 429 and 500, one fault per model. Checks that every call ends in a clean refusal in the
// provider API's shape or a settlement, that nothing stays reserved, that the books balance, and
// that the wallet's memory stops growing from one round to the next.
import { auditBooks, auditCalls, ledgerByStatus } from './audit.mjs';
import { drillAgent, gatewayCall } from './gateway-call.mjs';
import { reservationsDrained, runPool } from './run-pool.mjs';

/** What each model does at the simulator, and what the app may see for it. */
const FAULTS = {
  'gpt-4.1-mini': { rule: { tokensPerSecond: 1000, responseTokens: 16 }, allowed: ['200'] },
  'gpt-4.1': { rule: { fault: { status: 500 } }, allowed: ['502 upstream_error'] },
  'gpt-4o-mini': { rule: { fault: { status: 429 } }, allowed: ['429 rate_limited'] },
  'gpt-4o': { rule: { hang: true }, allowed: ['504 upstream_timeout'] },
  // A dropped stream is billed for what was produced (200, cut short); a dropped JSON body is a 502.
  'gpt-4.1-nano': {
    rule: { dropAfterTokens: 3, tokensPerSecond: 1000 },
    allowed: ['200', '502 upstream_error'],
  },
};
const MODELS = Object.keys(FAULTS);

/** The simulator's rules for the drill. */
export const FAULT_RULES = MODELS.map((model) => ({ provider: 'openai', model, ...FAULTS[model].rule }));

/** A grant for every model of the drill, with room for all its calls. */
export const FAULT_ALLOWANCE = {
  providers: ['openai'],
  models: MODELS,
  budget: { currency: 'USD', limits: [{ amount: '50.00', period: 'day' }] },
};

/** Gateway options the drill needs: a hang must end in a timeout within the drill's time. */
export const FAULT_GATEWAY_OPTIONS = { upstreamHeadersTimeoutMs: 1000, upstreamBodyTimeoutMs: 1000 };

/**
 * Runs `rounds` rounds of `calls` calls; `rss()` reads the wallet process's resident memory.
 * Memory may grow while caches and pools warm up (round 1), not after.
 */
export async function upstreamFaultsDrill({
  gateway,
  database,
  grantId,
  token,
  rss,
  rounds = 4,
  calls = 600,
  concurrency = 100,
}) {
  const findings = [];
  const answered = [];
  const seen = new Map();
  const memory = [];
  for (let round = 0; round < rounds; round += 1) {
    const agent = drillAgent(concurrency);
    const bearer = await token();
    const outcomes = await runPool(calls, concurrency, (index) => {
      const model = MODELS[index % MODELS.length];
      return gatewayCall({ gateway, token: bearer, model, stream: index % 2 === 1, agent }).then(
        (outcome) => ({
          model,
          outcome,
        }),
      );
    });
    agent.destroy();
    for (const { model, outcome } of outcomes) {
      const seenAs = outcome.status === 200 ? '200' : `${outcome.status} ${outcome.code}`;
      const key = `${model} → ${seenAs}${outcome.status === 200 && !outcome.completed ? ' (cut short)' : ''}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (!FAULTS[model].allowed.includes(seenAs)) findings.push(`${model}: the app saw ${seenAs}`);
      if (outcome.status === 200 && outcome.callId) answered.push(outcome.callId);
    }
    await reservationsDrained(database);
    memory.push(Math.round(rss() / 1024 / 1024));
  }
  const open = await reservationsDrained(database);
  if (open > 0) findings.push(`${open} reservations leaked`);
  findings.push(
    ...(await auditBooks(database, { grants: [grantId] })),
    ...(await auditCalls(database, answered)),
  );
  // After the first round, a leak shows as growth round after round; allow some allocator noise.
  const growth = memory[memory.length - 1] - memory[1];
  if (memory.length > 2 && growth > 40)
    findings.push(`the wallet grew by ${growth} MB from round 2 to round ${rounds}: ${memory.join(', ')} MB`);
  return {
    did: `${rounds} rounds of ${calls} calls at concurrency ${concurrency}, streamed and not, over five models each with one upstream behaviour (normal, 500, 429, hang, drop): ${[...seen].map(([key, count]) => `${key} ×${count}`).join('; ')}; ledger ${JSON.stringify(await ledgerByStatus(database))}; wallet RSS after each round ${memory.join(', ')} MB`,
    checked:
      'every call answered 200 or a clean refusal in the provider shape (502/429/504, never a 500); no reservation leaked; spent equals the ledger; reserved equals open holds; every answered call has its ledger row; the wallet, run with a 96 MB heap cap so a leak would crash it, stays up and its RSS flat after the first round',
    findings,
  };
}
