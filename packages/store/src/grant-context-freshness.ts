import { CompiledQuery, type Kysely } from 'kysely';
import { directRunner } from './direct-statements.js';
import type { Database } from './schema.js';

// The gateway reads a grant with its wallet and keys on every call (grant-context.ts), and that
// read was the costliest statement of a call (BENCHMARKS.md, "Profiling and fixes"). What it reads changes rarely, so it may be
// kept between calls, but only while nothing could have changed it: a kept copy must never let a
// revoked grant, a lowered limit or a replaced key through. Two things tell:
// - this process's own writes: every statement that may write those tables counts as a change
//   when it is prepared to run (see `changesGrantContext`);
// - any other connection's commits, from another process or another store in this one: SQLite's
//   `PRAGMA data_version` changes whenever another connection commits to the file.
// The reservation checks the grant's status again inside its own transaction (REV-5), so a copy
// only ever saves a read, and the race it leaves is the one an uncached read has too.

/** Tables whose rows the grant context never includes; writes to them change nothing it holds. */
const UNRELATED_TABLES = new Set([
  'usage_counters',
  'reservations',
  'ledger',
  'rate_buckets',
  'dpop_proofs',
  'confirmations',
  'oidc_models',
  'web_sessions',
  'signing_keys',
]);

const TRANSACTION_CONTROL = /^(?:begin|commit|end|rollback|savepoint|release)\b/;
const WRITE_TARGET =
  /^(?:(?:insert|replace)(?:\s+or\s+\w+)?\s+into|update(?:\s+or\s+\w+)?|delete\s+from)\s+"?(\w+)"?/;

/**
 * Whether running `sql` may change a grant, a wallet or a provider key. Reads and transaction
 * control do not, nor do writes to the metering tables; anything else (other writes, `with`
 * statements, schema changes) counts as a change, so that a statement this does not know can
 * only cost a read, never serve a stale grant. The schema has no triggers.
 */
export function changesGrantContext(sql: string): boolean {
  const statement = sql.trimStart().toLowerCase();
  if (statement.startsWith('select') || TRANSACTION_CONTROL.test(statement)) return false;
  if (statement.startsWith('pragma')) return statement.includes('=') || statement.includes('(');
  const target = WRITE_TARGET.exec(statement)?.[1];
  return target === undefined || !UNRELATED_TABLES.has(target);
}

/** Counts this process's writes to one connection that may change a grant context. */
export interface ContextWrites {
  count: number;
}

const writesByDatabase = new WeakMap<Kysely<Database>, ContextWrites>();

/** Lets grant contexts read through `database` be kept while `writes` does not move. */
export function trackContextWrites(database: Kysely<Database>, writes: ContextWrites): void {
  writesByDatabase.set(database, writes);
}

/** Where a kept grant context stands: equal stamps mean nothing it holds can have changed. */
export interface ContextStamp {
  writes: number;
  dataVersion: number;
}

const DATA_VERSION = CompiledQuery.raw('pragma data_version');

/**
 * The current stamp, or undefined when `database` does not track its writes (then nothing may
 * be kept). Take it before reading what it stamps: a change that lands between the two then
 * makes the copy look older than it is, never newer.
 */
export async function contextStamp(database: Kysely<Database>): Promise<ContextStamp | undefined> {
  const writes = writesByDatabase.get(database);
  if (!writes) return undefined;
  const count = writes.count;
  const { rows } =
    directRunner(database)?.(DATA_VERSION.sql, DATA_VERSION.parameters) ??
    (await database.executeQuery(DATA_VERSION));
  const dataVersion = (rows[0] as { data_version?: number } | undefined)?.data_version;
  return dataVersion === undefined ? undefined : { writes: count, dataVersion };
}
