import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { type Kysely, Kysely as KyselyDatabase, Migrator, type Transaction } from 'kysely';
import { ConnectionGate, GatedSqliteDialect } from './connection-gate.js';
import { runDirectly, runStatement, whenFree } from './direct-statements.js';
import { type ContextWrites, trackContextWrites } from './grant-context-freshness.js';
import { migrationProvider } from './migrations.js';
import { retainedSqlite } from './retained-sqlite.js';
import type { Database } from './schema.js';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';

/** Where the wallet keeps its state. */
export type StoreLocation = { sqlite: string };

/** An open database with its migrations applied. Close it when done. */
export interface Store extends AsyncDisposable {
  readonly database: Kysely<Database>;
  readonly dialect: 'sqlite';
  /**
   * Runs `work` in a transaction that holds the write lock from its first statement, so that a
   * read-then-write inside it cannot interleave with another writer, even one in another process
   * sharing the same SQLite file (BEGIN IMMEDIATE; plain BEGIN leaves a window between the read
   * snapshot and the write lock).
   */
  writeTransaction<T>(work: (transaction: Kysely<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the wallet database and brings its schema up to date.
 *
 * @example
 * await using store = await openStore({ sqlite: './data/allowance.sqlite' });
 */
export async function openStore(location: StoreLocation): Promise<Store> {
  if (location.sqlite !== ':memory:') mkdirSync(dirname(location.sqlite), { recursive: true });
  const connection = new SqliteDatabase(location.sqlite);
  // WAL lets readers run while one writer writes; busy_timeout makes a second process wait for
  // the write lock instead of failing at once.
  // exec rather than pragma(): pragma() prepares a statement the collector would later finalize
  // (see retained-sqlite.ts).
  connection.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;');
  const writes: ContextWrites = { count: 0 };
  const sqlite = retainedSqlite(connection, () => {
    writes.count += 1;
  });
  const gate = new ConnectionGate();
  const database = new KyselyDatabase<Database>({
    dialect: new GatedSqliteDialect({ database: sqlite }, gate),
  });
  await migrate(database);
  trackContextWrites(database, writes);
  // The one connection as a Kysely session, for transactions to run on while they hold the gate.
  const session = await database.connection().execute(async (held) => held);
  runDirectly(database, whenFree(sqlite, gate));
  runDirectly(session, (sql, parameters) => runStatement(sqlite, sql, parameters));
  const checkpointer =
    location.sqlite === ':memory:'
      ? undefined
      : await checkpointInBackground(location.sqlite, connection, database);
  const close = async () => {
    await checkpointer?.close();
    await database.destroy();
  };

  const store: Store = {
    database,
    dialect: 'sqlite',
    async writeTransaction(work) {
      // The whole transaction runs with the connection to itself: taken at once when free, and
      // without Kysely's executor around BEGIN and COMMIT (direct-statements.ts).
      if (!gate.tryTake()) await gate.take();
      try {
        runStatement(sqlite, 'begin immediate', []);
        try {
          const result = await work(session);
          runStatement(sqlite, 'commit', []);
          return result;
        } catch (error) {
          // SQLite may have rolled back already (a full disk, say): then a ROLLBACK would fail
          // and hide the error that matters.
          if (connection.inTransaction) runStatement(sqlite, 'rollback', []);
          throw error;
        }
      } finally {
        gate.release();
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  return store;
}

/**
 * Moves SQLite's WAL checkpoints off the event loop (see wal-checkpointer.ts). Should the worker
 * fail, the connection checkpoints automatically again, as SQLite does by default.
 */
async function checkpointInBackground(
  path: string,
  connection: SqliteDatabase.Database,
  database: Kysely<Database>,
): Promise<WalCheckpointer | undefined> {
  const automatic = () => {
    if (connection.open) connection.exec('PRAGMA wal_autocheckpoint = 1000;');
  };
  // The WAL file is reused from its start after each restart; after a burst, cut it back to 64 MB.
  connection.exec('PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864;');
  try {
    return await startWalCheckpointer(path, {
      exclusive: (work) => database.connection().execute(work),
      fallBack: automatic,
    });
  } catch {
    automatic();
    return undefined;
  }
}

async function migrate(database: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db: database, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    const name = failed ? ` (${failed.migrationName})` : '';
    throw new Error(`Could not bring the database schema up to date${name}: ${String(error)}`, {
      cause: error,
    });
  }
}

/** A transaction or the database itself: the functions of this package accept either. */
export type Executor = Kysely<Database> | Transaction<Database>;
