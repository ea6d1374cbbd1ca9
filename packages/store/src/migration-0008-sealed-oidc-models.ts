import type { Kysely, Migration } from 'kysely';

/** Where migration 0008 leaves the rows it could not rewrite, until the server rewrites them. */
export const LEGACY_OIDC_MODELS_TABLE = 'oidc_models_legacy';

// Spec SEC-14: oidc-provider's records used to be kept under the token, code or session id
// itself, with their payloads in clear. From this migration on, `oidc_models` holds them under a
// keyed hash with sealed payloads, and both need the master key, which never reaches
// migrations (openStore runs them, and the gateway, the CLI and the tests open stores without
// it). So this step only moves the old rows aside, into a table of their own, without touching
// their content; the authorization server, which has the key, rewrites them the first time it
// opens the database and then scrubs the database files (see legacy-oidc-models.ts).
// Plain DDL that SQLite and PostgreSQL both accept. The old indexes go first: in PostgreSQL their
// names would clash with the new table's, and their pages hold the plain ids too.
export const sealedOidcModels: Migration = {
  async up(database: Kysely<unknown>) {
    for (const index of [
      'oidc_models_grant',
      'oidc_models_user_code',
      'oidc_models_uid',
      'oidc_models_expiry',
    ])
      await database.schema.dropIndex(index).execute();
    await database.schema.alterTable('oidc_models').renameTo(LEGACY_OIDC_MODELS_TABLE).execute();

    // The columns keep their names and types; what they hold changed (see schema.ts).
    await database.schema
      .createTable('oidc_models')
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('id', 'text', (column) => column.notNull())
      .addColumn('payload', 'text', (column) => column.notNull())
      .addColumn('grant_id', 'text')
      .addColumn('user_code', 'text')
      .addColumn('uid', 'text')
      .addColumn('expires_at', 'bigint')
      .addColumn('consumed_at', 'bigint')
      .addPrimaryKeyConstraint('oidc_models_sealed_key', ['model', 'id'])
      .execute();
    await database.schema.createIndex('oidc_models_grant').on('oidc_models').column('grant_id').execute();
    await database.schema
      .createIndex('oidc_models_user_code')
      .on('oidc_models')
      .column('user_code')
      .execute();
    await database.schema.createIndex('oidc_models_uid').on('oidc_models').column('uid').execute();
    await database.schema.createIndex('oidc_models_expiry').on('oidc_models').column('expires_at').execute();
  },
};
