import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { changesGrantContext } from './grant-context-freshness.js';

// better-sqlite3 12.x aborts the whole process on Node 24.19 and later when the garbage
// collector finalizes one of its Statement or Database objects at a moment Node has no current
// environment ("Assertion failed: (env) != nullptr" in RemoveEnvironmentCleanupHook; upstream
// closed the report without a fix, and 13.x, which needs Node 22, is no option while Node 20
// is supported). So their finalizers must never run: every connection and every prepared
// statement stays reachable for the life of the process. Statements are cached by SQL text,
// which the wallet's fixed set of queries keeps small, and which saves a prepare per query.
const retained = new Set<object>();

/**
 * Wraps a better-sqlite3 connection for Kysely so none of its native objects is ever collected.
 * `onContextWrite` runs each time a statement that may change a grant context is about to run
 * (Kysely prepares every statement just before it runs it; see grant-context-freshness.ts).
 */
export function retainedSqlite(
  connection: BetterSqlite3.Database,
  onContextWrite: () => void = () => {},
): SqliteDatabase {
  retained.add(connection);
  const statements = new Map<string, { statement: BetterSqlite3.Statement; changesContext: boolean }>();
  return {
    close() {
      connection.close();
    },
    prepare(sql: string): SqliteStatement {
      let entry = statements.get(sql);
      if (!entry) {
        entry = { statement: connection.prepare(sql), changesContext: changesGrantContext(sql) };
        statements.set(sql, entry);
        retained.add(entry.statement);
      }
      if (entry.changesContext) onContextWrite();
      return entry.statement as unknown as SqliteStatement;
    },
  };
}
