// The books must balance: after a drill, the ledger, the per-period totals and the open
// reservations agree exactly, and no limit was passed. Used by `npm run drill` and by the
// drill tests; each finding is a sentence, and an empty list means the books balance.
import { sql } from 'kysely';

/**
 * Audits a wallet database (a Kysely instance over the wallet's SQLite file) for `grants`:
 * - no counter holds spent + reserved above its cap, and no grant's ledger total passes a cap;
 * - each counter's `reserved` is exactly what the open reservations hold against it;
 * - each grant's money counters' `spent` equals the sum of its ledger costs, and its token
 *   counters' `spent` the sum of its ledger tokens (a drill runs inside one period);
 * - with `quiet`, no reservation is open and nothing is reserved.
 */
export async function auditBooks(database, { grants, quiet = true }) {
  const findings = [];
  const counters = await database
    .selectFrom('usage_counters')
    .select(['subject', 'kind', 'period_key', 'cap', 'spent', 'reserved'])
    .execute();
  const reservations = await database.selectFrom('reservations').select(['id', 'holds']).execute();
  const held = new Map();
  for (const reservation of reservations) {
    for (const hold of JSON.parse(reservation.holds)) {
      const key = `${hold.subject}|${hold.kind}|${hold.periodKey}`;
      held.set(key, (held.get(key) ?? 0) + hold.amount);
    }
  }
  if (quiet && reservations.length > 0)
    findings.push(`${reservations.length} reservations are still open after the drill`);
  const ledger = await database
    .selectFrom('ledger')
    .select([
      'grant_id',
      sql`count(*)`.as('calls'),
      sql`coalesce(sum(cost_micros), 0)`.as('cost'),
      sql`coalesce(sum(input_tokens + cached_input_tokens + cache_write_tokens + output_tokens), 0)`.as(
        'tokens',
      ),
    ])
    .groupBy('grant_id')
    .execute();
  const totals = new Map(ledger.map((row) => [row.grant_id, row]));
  for (const counter of counters) {
    const label = `${counter.subject} ${counter.kind} ${counter.period_key}`;
    const [cap, spent, reserved] = [counter.cap, counter.spent, counter.reserved].map(Number);
    if (spent + reserved > cap) findings.push(`${label}: spent ${spent} + reserved ${reserved} > cap ${cap}`);
    const expectedHeld = held.get(`${counter.subject}|${counter.kind}|${counter.period_key}`) ?? 0;
    if (reserved !== expectedHeld)
      findings.push(`${label}: reserved ${reserved}, but the open reservations hold ${expectedHeld}`);
    if (!grants.includes(counter.subject)) continue;
    const total = totals.get(counter.subject);
    const fromLedger = Number(counter.kind === 'money' ? (total?.cost ?? 0) : (total?.tokens ?? 0));
    if (spent !== fromLedger) findings.push(`${label}: spent ${spent}, but the ledger sums to ${fromLedger}`);
    if (fromLedger > cap) findings.push(`${label}: the ledger sums to ${fromLedger}, above the cap ${cap}`);
  }
  for (const grant of grants) {
    if (!counters.some((counter) => counter.subject === grant))
      findings.push(`grant ${grant} has no counters: no call was metered`);
  }
  return findings;
}

/** Every call the app saw succeed has exactly one ledger row, under the id the gateway sent it. */
export async function auditCalls(database, callIds) {
  const findings = [];
  if (callIds.length === 0) return findings;
  const found = new Set();
  for (let start = 0; start < callIds.length; start += 500) {
    const rows = await database
      .selectFrom('ledger')
      .select('id')
      .where('id', 'in', callIds.slice(start, start + 500))
      .execute();
    for (const row of rows) found.add(row.id);
  }
  const missing = callIds.filter((id) => !found.has(id));
  if (missing.length > 0)
    findings.push(`${missing.length} answered calls have no ledger row (first: ${missing[0]})`);
  return findings;
}

/** The ledger's rows by status, for the drill's report. */
export async function ledgerByStatus(database) {
  const rows = await database
    .selectFrom('ledger')
    .select(['status', sql`count(*)`.as('calls')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.calls)]));
}
