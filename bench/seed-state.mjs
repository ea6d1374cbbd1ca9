// Fills a stopped wallet's database with the state of a busy wallet: thousands of grants with
// their per-period totals, and a million ledger rows spread over the last weeks (none in the
// anomaly detector's last minute, as on a wallet whose history is long). Plain SQL through
// better-sqlite3, in one transaction per table.
import Database from 'better-sqlite3';

// better-sqlite3 aborts the process on Node 24.19+ when the collector finalizes its objects
// (see packages/store/src/retained-sqlite.ts): keep every one reachable until the process ends.
const retained = [];

/** Copies `grantId` into `grants` grants and writes `ledgerRows` rows, `ownShare` of them on `grantId`. */
export function seedState(sqlitePath, { grantId, grants = 10_000, ledgerRows = 1_000_000, ownShare = 0.1 }) {
  const database = new Database(sqlitePath);
  retained.push(database);
  database.exec('PRAGMA journal_mode = WAL');
  const prepare = (text) => {
    const statement = database.prepare(text);
    retained.push(statement);
    return statement;
  };
  const template = prepare('SELECT * FROM grants WHERE id = ?').get(grantId);
  if (!template) throw new Error(`no grant ${grantId} to copy`);
  const columns = Object.keys(template);
  const insertGrant = prepare(
    `INSERT INTO grants (${columns.join(', ')}) VALUES (${columns.map((name) => `@${name}`).join(', ')})`,
  );
  const counters = prepare('SELECT * FROM usage_counters WHERE subject = ?').all(grantId);
  const insertCounter = prepare(
    'INSERT OR REPLACE INTO usage_counters (subject, kind, period_key, cap, spent, reserved) VALUES (?, ?, ?, ?, ?, 0)',
  );
  const ids = [];
  database.transaction(() => {
    for (let index = 0; index < grants; index += 1) {
      const id = `gr_seed_${index}`;
      ids.push(id);
      insertGrant.run({ ...template, id, oidc_grant_id: null });
      for (const counter of counters) {
        // Old periods too: a grant a year old has a row per day it was used.
        insertCounter.run(id, counter.kind, counter.period_key, counter.cap, index % 1000);
        insertCounter.run(id, counter.kind, `${counter.period_key}-old`, counter.cap, index % 1000);
      }
    }
  })();
  const account = template.account_id;
  const client = template.client_id;
  const insertLedger = prepare(
    `INSERT INTO ledger (id, grant_id, account_id, client_id, provider_id, model, input_tokens,
       cached_input_tokens, cache_write_tokens, output_tokens, cost_micros, status, http_status,
       error_code, latency_ms, started_at, ended_at)
     VALUES (?, ?, ?, ?, 'openai', 'gpt-4.1-mini', 20, 0, 0, 32, 60, 'ok', 200, NULL, 5, ?, ?)`,
  );
  const now = Date.now();
  const span = 30 * 24 * 3600 * 1000;
  const own = Math.floor(ledgerRows * ownShare);
  const batch = 50_000;
  for (let start = 0; start < ledgerRows; start += batch) {
    database.transaction(() => {
      for (let index = start; index < Math.min(ledgerRows, start + batch); index += 1) {
        const grant = index < own ? grantId : ids[index % ids.length];
        // Spread over thirty days, ending ten minutes ago.
        const at = now - 600_000 - Math.floor((index / ledgerRows) * span);
        insertLedger.run(`call_seed_${index}`, grant, account, client, at, at + 5);
      }
    })();
  }
  database.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const count = (table) => prepare(`SELECT count(*) AS n FROM ${table}`).get().n;
  const result = { grants: count('grants'), ledger: count('ledger'), counters: count('usage_counters') };
  database.close();
  return result;
}
