// Overspend drill: thousands of concurrent calls, streamed and not, some abandoned by the app,
// on several grants with tight limits. Checks that spend never passes any limit, that every call
// is either settled (one ledger row) or refused before it cost anything, and that no
// reservation is left behind.
import { auditBooks, auditCalls, ledgerByStatus } from './audit.mjs';
import { drillAgent, gatewayCall } from './gateway-call.mjs';
import { reservationsDrained, runPool } from './run-pool.mjs';

/** Limits tight enough that each grant runs out within the drill, one binding limit each. */
export const OVERSPEND_ALLOWANCES = [
  { budget: { currency: 'USD', limits: [{ amount: '0.01', period: 'total' }] } },
  { tokens: { limits: [{ tokens: 6000, period: 'total' }] } },
  {
    budget: {
      currency: 'USD',
      limits: [
        { amount: '0.008', period: 'day' },
        { amount: '1.00', period: 'total' },
      ],
    },
    tokens: { limits: [{ tokens: 1_000_000, period: 'day' }] },
  },
].map((limits) => ({ providers: ['openai'], models: ['gpt-4.1-mini'], ...limits }));

/** The simulator's pacing for the drill: short streams, so many calls overlap. */
export const OVERSPEND_RULES = [{ tokensPerSecond: 800, responseTokens: 24 }];

/** Refusals an exhausted grant may answer with; anything else is a finding. */
const REFUSALS = new Set(['budget_exhausted', 'token_budget_exhausted', 'grant_suspended']);

/**
 * Runs the drill against `gateway` for `apps` (`{ grantId, token }`, one per allowance above),
 * reading the wallet's database through `database`. Returns what it did and what it found.
 */
export async function overspendDrill({ gateway, database, apps, calls = 3000, concurrency = 200 }) {
  const agent = drillAgent(concurrency);
  const findings = [];
  const outcomes = await runPool(calls, concurrency, (index) => {
    const stream = index % 2 === 0;
    return gatewayCall({
      gateway,
      token: apps[index % apps.length].token,
      model: 'gpt-4.1-mini',
      stream,
      agent,
      // One streamed call in ten is abandoned by the app part-way.
      ...(stream && index % 10 === 0 && { abortAfterMs: 5 + (index % 40) }),
    });
  });
  agent.destroy();
  const open = await reservationsDrained(database);
  const answered = [];
  const refusedBy = new Map();
  let abandoned = 0;
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status === 200 && outcome.callId) answered.push(outcome.callId);
    if (outcome.status === 200 && !outcome.completed && !outcome.failed)
      findings.push(`call ${index} answered 200 but its stream ended without its cost`);
    if (outcome.status !== 200 && outcome.status !== 0) {
      if (!REFUSALS.has(outcome.code))
        findings.push(`call ${index} was answered ${outcome.status} ${outcome.code}, not a budget refusal`);
      const grant = apps[index % apps.length].grantId;
      refusedBy.set(grant, (refusedBy.get(grant) ?? 0) + 1);
    }
    if (outcome.failed) {
      abandoned += 1;
      if (index % 10 !== 0) findings.push(`call ${index} broke off though the app did not abandon it`);
    }
  }
  for (const app of apps) {
    if (!refusedBy.get(app.grantId))
      findings.push(
        `grant ${app.grantId} was never refused: its limit was not reached, the drill proved nothing`,
      );
  }
  const grants = apps.map((app) => app.grantId);
  findings.push(...(await auditBooks(database, { grants })), ...(await auditCalls(database, answered)));
  const did = `${calls} calls (half streamed, ${abandoned} abandoned by the app) at concurrency ${concurrency} on ${apps.length} grants with tight limits: ${answered.length} answered, ${[...refusedBy.values()].reduce((a, b) => a + b, 0)} refused; ledger ${JSON.stringify(await ledgerByStatus(database))}; ${open} reservations open after the drill`;
  return {
    did,
    checked:
      'no counter passed its cap; ledger totals equal the period totals per grant; reserved equals what open reservations hold; no reservation left; every answered call has its ledger row; every other call was a budget refusal',
    findings,
  };
}
