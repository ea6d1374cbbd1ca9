// Crash drill: kill -9 the wallet at random moments while streamed calls are in flight, restart
// it, many times. Checks that every reservation a crash left open is settled exactly once (as
// `recovered`, at its full amount), that the ledger, the period totals and the reservations then
// agree exactly, and that every call the app saw complete is in the ledger.
import { auditBooks, auditCalls, ledgerByStatus } from './audit.mjs';
import { drillAgent, gatewayCall } from './gateway-call.mjs';
import { reservationsDrained } from './run-pool.mjs';

/** Streams long enough to be cut by the kill, short enough to finish within the deadline. */
export const CRASH_RULES = [{ tokensPerSecond: 200, responseTokens: 40 }];

/** A grant with room for every call of the drill: the crash, not the budget, is under test. */
export const CRASH_ALLOWANCE = {
  providers: ['openai'],
  models: ['gpt-4.1-mini'],
  budget: { currency: 'USD', limits: [{ amount: '5.00', period: 'day' }] },
  tokens: { limits: [{ tokens: 10_000_000, period: 'month' }] },
};

/**
 * `wallet` has `gateway`, `crash()` (SIGKILL) and `restart()`; its reservation deadline must be
 * short (a second or two) so the drill can wait for recovery. `token()` gives a live access
 * token (tokens are checked against the issuer's keys, which survive restarts).
 */
export async function crashDrill({
  wallet,
  database,
  grantId,
  token,
  cycles = 10,
  callsPerCycle = 12,
  random = Math.random,
}) {
  const findings = [];
  const completed = [];
  const orphans = new Set();
  let cut = 0;
  for (let cycle = 0; cycle < cycles; cycle += 1) {
    const agent = drillAgent(callsPerCycle);
    const bearer = await token();
    const calls = Array.from({ length: callsPerCycle }, (_, index) =>
      // Staggered starts: at the kill some calls are reserving, some streaming, some settling.
      new Promise((resolve) => setTimeout(resolve, index * 15)).then(() =>
        gatewayCall({ gateway: wallet.gateway, token: bearer, model: 'gpt-4.1-mini', stream: true, agent }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(random() * 700)));
    await wallet.crash();
    const outcomes = await Promise.all(calls);
    agent.destroy();
    for (const outcome of outcomes) {
      if (outcome.completed && outcome.callId) completed.push(outcome.callId);
      else cut += 1;
    }
    // Everything open now belongs to a dead process (this kill's, or an earlier one's not yet recovered).
    for (const row of await database.selectFrom('reservations').select('id').execute()) orphans.add(row.id);
    await wallet.restart();
  }
  if (orphans.size === 0) findings.push('no kill caught a call in flight: the drill proved nothing');
  const stillOpen = await reservationsDrained(database, 15_000);
  if (stillOpen > 0) findings.push(`${stillOpen} reservations were never recovered`);
  const byStatus = await ledgerByStatus(database);
  const recovered = await database
    .selectFrom('ledger')
    .select('id')
    .where('status', '=', 'recovered')
    .execute();
  const recoveredIds = new Set(recovered.map((row) => row.id));
  const lost = [...orphans].filter((id) => !recoveredIds.has(id));
  const extra = [...recoveredIds].filter((id) => !orphans.has(id));
  if (lost.length > 0) findings.push(`${lost.length} reservations left by the kills were not recovered`);
  if (extra.length > 0) findings.push(`${extra.length} calls were recovered though no kill orphaned them`);
  findings.push(
    ...(await auditBooks(database, { grants: [grantId] })),
    ...(await auditCalls(database, completed)),
  );
  return {
    did: `${cycles} kill -9 + restart cycles with ${callsPerCycle} streamed calls each: ${completed.length} calls completed, ${cut} cut by a kill, ${orphans.size} reservations orphaned by the kills; ledger ${JSON.stringify(byStatus)}`,
    checked:
      'every reservation a kill left open was recovered exactly once; none left; spent equals the ledger per period; reserved equals open holds; no cap passed; every completed call has its ledger row',
    findings,
  };
}
