import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from './database.js';
import { rewriteLegacyOidcModels } from './legacy-oidc-models.js';
import { LEGACY_OIDC_MODELS_TABLE } from './migration-0008-sealed-oidc-models.js';
import { migrations } from './migrations.js';
import { retainedSqlite } from './retained-sqlite.js';
import type { OidcModelsTable } from './schema.js';

let folder: string;
let path: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'allowance-migration-0008-'));
  path = join(folder, 'wallet.sqlite');
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const PLAIN_ROW: OidcModelsTable = {
  model: 'RefreshToken',
  id: 'plain-refresh-token-value-0123456789',
  payload: '{"jti":"plain-refresh-token-value-0123456789","grantId":"gr_1"}',
  grant_id: 'gr_1',
  user_code: null,
  uid: null,
  expires_at: 2_000_000_000,
  consumed_at: null,
};

/** A database as the release before migration 0008 left it, with one plain oidc-provider row. */
async function olderDatabase() {
  const database = new Kysely<{ oidc_models: OidcModelsTable }>({
    dialect: new SqliteDialect({ database: retainedSqlite(new SqliteDatabase(path)) }),
  });
  const older = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0008'));
  const { error } = await new Migrator({
    db: database,
    provider: { getMigrations: async () => older },
  }).migrateToLatest();
  if (error) throw error;
  await database.insertInto('oidc_models').values(PLAIN_ROW).execute();
  await database.destroy();
}

describe('0008-sealed-oidc-models (spec SEC-14)', () => {
  it('moves the plain rows aside untouched, for the server to seal, and leaves an empty table', async () => {
    await olderDatabase();
    const store = await openStore({ sqlite: path });
    try {
      expect(await store.database.selectFrom('oidc_models').selectAll().execute()).toEqual([]);
      const legacy = store.database.withTables<{ [LEGACY_OIDC_MODELS_TABLE]: OidcModelsTable }>();
      expect(await legacy.selectFrom(LEGACY_OIDC_MODELS_TABLE).selectAll().execute()).toEqual([PLAIN_ROW]);
      const indexes = await sql<{ name: string }>`
        select name from sqlite_master where type = 'index' and tbl_name = 'oidc_models' and sql is not null`.execute(
        store.database,
      );
      expect(indexes.rows.map((row) => row.name).sort()).toEqual([
        'oidc_models_expiry',
        'oidc_models_grant',
        'oidc_models_uid',
        'oidc_models_user_code',
      ]);

      const sealed = { ...PLAIN_ROW, id: 'keyed-hash', payload: 'v1.sealed' };
      expect(await rewriteLegacyOidcModels(store, () => sealed)).toEqual({ rewritten: 1, dropped: 0 });
      expect(await store.database.selectFrom('oidc_models').selectAll().execute()).toEqual([sealed]);
      const tables = await sql<{ name: string }>`
        select name from sqlite_master where name = ${LEGACY_OIDC_MODELS_TABLE}`.execute(store.database);
      expect(tables.rows).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
