import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from './database.js';
import { migrations } from './migrations.js';
import { retainedSqlite } from './retained-sqlite.js';

let folder: string;
let path: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'allowance-migrations-'));
  path = join(folder, 'wallet.sqlite');
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

/** Brings a new database file up to `last` (inclusive) only, as an older release left it. */
async function migrateUpTo(last: string) {
  const database = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: retainedSqlite(new SqliteDatabase(path)) }),
  });
  const older = Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= last));
  const { error } = await new Migrator({
    db: database,
    provider: { getMigrations: async () => older },
  }).migrateToLatest();
  if (error) throw error;
  return database;
}

describe('0006-compact-call-tables', () => {
  it('keeps every counter and open reservation while it rebuilds their tables', async () => {
    const older = await migrateUpTo('0005-ledger-fields');
    await sql`insert into usage_counters values ('gr_1', 'money', 'day:2026-12-01', 5000, 1200, 300)`.execute(
      older,
    );
    await sql`insert into reservations (id, grant_id, account_id, client_id, provider_id, model, holds,
      money_micros, tokens, created_at, deadline, endpoint, stream, client_address)
      values ('call_1', 'gr_1', 'acc_1', 'app', 'openai', 'gpt-4.1-mini', '[]', 300, 64, 1, 2,
      '/v1/chat/completions', 1, '127.0.0.1')`.execute(older);
    await older.destroy();

    const store = await openStore({ sqlite: path });
    try {
      expect(await store.database.selectFrom('usage_counters').selectAll().execute()).toEqual([
        {
          subject: 'gr_1',
          kind: 'money',
          period_key: 'day:2026-12-01',
          cap: 5000,
          spent: 1200,
          reserved: 300,
        },
      ]);
      expect(await store.database.selectFrom('reservations').selectAll().execute()).toEqual([
        {
          id: 'call_1',
          grant_id: 'gr_1',
          account_id: 'acc_1',
          client_id: 'app',
          provider_id: 'openai',
          model: 'gpt-4.1-mini',
          holds: '[]',
          money_micros: 300,
          tokens: 64,
          created_at: 1,
          deadline: 2,
          endpoint: '/v1/chat/completions',
          stream: 1,
          client_address: '127.0.0.1',
        },
      ]);
      const schema = await sql<{ type: string; name: string; sql: string | null }>`
        select type, name, sql from sqlite_master where tbl_name in ('usage_counters', 'reservations')`.execute(
        store.database,
      );
      const tables = schema.rows.filter((row) => row.type === 'table');
      expect(tables.map((row) => row.name).sort()).toEqual(['reservations', 'usage_counters']);
      for (const table of tables) expect(table.sql).toMatch(/without rowid\s*$/i);
      // No index beside the tables' own keys: the deadline index is gone.
      expect(schema.rows.filter((row) => row.type === 'index')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
