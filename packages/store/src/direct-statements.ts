import type { QueryResult, SqliteDatabase } from 'kysely';
import type { ConnectionGate } from './connection-gate.js';

// Every statement Kysely runs goes through its executor: a connection taken and released, with
// several promises and closures each time. better-sqlite3 itself is synchronous, so on the
// gateway's hot path that machinery was most of a statement's cost: ~4 KB of garbage a statement
// and ~10 KB a transaction, half of everything a metered call allocated (BENCHMARKS.md, "Profiling and fixes"). The store's
// prepared queries (prepared-query.ts) run their statement directly instead, when that is safe:
// - on the database itself, when the connection is free: the gate is taken and released around
//   the one synchronous statement, so nothing else can run in between;
// - on a transaction's session, whose holder already has the connection to itself.
// Otherwise (the connection is busy) they go through Kysely and wait their turn as before.

/** Runs one statement now and returns its result, or undefined when it cannot run now. */
export type DirectRun = (sql: string, parameters: readonly unknown[]) => QueryResult<unknown> | undefined;

const runners = new WeakMap<object, DirectRun>();

/** Lets prepared queries given `executor` run through `run`. */
export function runDirectly(executor: object, run: DirectRun): void {
  runners.set(executor, run);
}

/** How `executor` can run a statement directly, if it can. */
export function directRunner(executor: object): DirectRun | undefined {
  return runners.get(executor);
}

/** Runs a statement on the connection as Kysely's SQLite driver would, and returns its result. */
export function runStatement(
  sqlite: SqliteDatabase,
  sql: string,
  parameters: readonly unknown[],
): QueryResult<unknown> {
  const statement = sqlite.prepare(sql);
  if (statement.reader) return { rows: statement.all(parameters) };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
}

/** A runner for the database itself: only while the connection is free, and holding it. */
export function whenFree(sqlite: SqliteDatabase, gate: ConnectionGate): DirectRun {
  return (sql, parameters) => {
    if (!gate.tryTake()) return undefined;
    try {
      return runStatement(sqlite, sql, parameters);
    } finally {
      gate.release();
    }
  };
}
