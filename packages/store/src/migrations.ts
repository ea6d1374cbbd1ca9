import { type Kysely, type Migration, type MigrationProvider, SqliteAdapter, sql } from 'kysely';
import { limitVersions } from './migration-0007-limit-versions.js';
import { sealedOidcModels } from './migration-0008-sealed-oidc-models.js';
import { credentialNetwork } from './migration-0009-credential-network.js';
import { anomalyPolicy } from './migration-0010-anomaly-policy.js';
import { grantFirstToken } from './migration-0011-grant-first-token.js';

// Every statement here is plain DDL that SQLite and PostgreSQL both accept: text, bigint and
// integer columns, composite primary keys, plain indexes; the one SQLite-only step says so.
// Never edit a migration that has shipped; add the next one.

const initial: Migration = {
  async up(database: Kysely<unknown>) {
    await database.schema
      .createTable('accounts')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('email', 'text', (column) => column.notNull().unique())
      .addColumn('password_hash', 'text', (column) => column.notNull())
      .addColumn('role', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();

    await database.schema
      .createTable('wallets')
      .addColumn('account_id', 'text', (column) => column.primaryKey())
      .addColumn('currency', 'text', (column) => column.notNull())
      .addColumn('time_zone', 'text', (column) => column.notNull())
      .addColumn('price_overrides', 'text', (column) => column.notNull())
      .addColumn('exchange_rates', 'text', (column) => column.notNull())
      .addColumn('monthly_cap_micros', 'bigint')
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();

    await database.schema
      .createTable('provider_credentials')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('account_id', 'text', (column) => column.notNull())
      .addColumn('provider_id', 'text', (column) => column.notNull())
      .addColumn('api', 'text', (column) => column.notNull())
      .addColumn('base_url', 'text', (column) => column.notNull())
      .addColumn('label', 'text', (column) => column.notNull())
      .addColumn('sealed_key', 'text', (column) => column.notNull())
      .addColumn('key_last_four', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addUniqueConstraint('provider_credentials_account_provider', ['account_id', 'provider_id'])
      .execute();

    await database.schema
      .createTable('grants')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('account_id', 'text', (column) => column.notNull())
      .addColumn('client_id', 'text', (column) => column.notNull())
      .addColumn('oidc_grant_id', 'text')
      .addColumn('details', 'text', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('status_reason', 'text')
      .addColumn('require_dpop', 'integer', (column) => column.notNull())
      .addColumn('ip_allowlist', 'text', (column) => column.notNull())
      .addColumn('remember', 'integer', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addColumn('expires_at', 'bigint', (column) => column.notNull())
      .execute();
    await database.schema
      .createIndex('grants_account')
      .on('grants')
      .columns(['account_id', 'created_at'])
      .execute();
    await database.schema.createIndex('grants_oidc_grant').on('grants').column('oidc_grant_id').execute();

    await database.schema
      .createTable('usage_counters')
      .addColumn('subject', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('period_key', 'text', (column) => column.notNull())
      .addColumn('cap', 'bigint', (column) => column.notNull())
      .addColumn('spent', 'bigint', (column) => column.notNull())
      .addColumn('reserved', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('usage_counters_key', ['subject', 'kind', 'period_key'])
      .execute();

    await database.schema
      .createTable('reservations')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('grant_id', 'text', (column) => column.notNull())
      .addColumn('account_id', 'text', (column) => column.notNull())
      .addColumn('client_id', 'text', (column) => column.notNull())
      .addColumn('provider_id', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('holds', 'text', (column) => column.notNull())
      .addColumn('money_micros', 'bigint', (column) => column.notNull())
      .addColumn('tokens', 'bigint', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('deadline', 'bigint', (column) => column.notNull())
      .execute();
    await database.schema
      .createIndex('reservations_deadline')
      .on('reservations')
      .column('deadline')
      .execute();

    await database.schema
      .createTable('ledger')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('grant_id', 'text', (column) => column.notNull())
      .addColumn('account_id', 'text', (column) => column.notNull())
      .addColumn('client_id', 'text', (column) => column.notNull())
      .addColumn('provider_id', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('input_tokens', 'bigint', (column) => column.notNull())
      .addColumn('cached_input_tokens', 'bigint', (column) => column.notNull())
      .addColumn('cache_write_tokens', 'bigint', (column) => column.notNull())
      .addColumn('output_tokens', 'bigint', (column) => column.notNull())
      .addColumn('cost_micros', 'bigint', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('http_status', 'integer', (column) => column.notNull())
      .addColumn('error_code', 'text')
      .addColumn('latency_ms', 'integer', (column) => column.notNull())
      .addColumn('started_at', 'bigint', (column) => column.notNull())
      .addColumn('ended_at', 'bigint', (column) => column.notNull())
      .execute();
    await database.schema
      .createIndex('ledger_account_time')
      .on('ledger')
      .columns(['account_id', 'started_at'])
      .execute();
    await database.schema
      .createIndex('ledger_grant_time')
      .on('ledger')
      .columns(['grant_id', 'started_at'])
      .execute();

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
      .addPrimaryKeyConstraint('oidc_models_key', ['model', 'id'])
      .execute();
    await database.schema.createIndex('oidc_models_grant').on('oidc_models').column('grant_id').execute();
    await database.schema
      .createIndex('oidc_models_user_code')
      .on('oidc_models')
      .column('user_code')
      .execute();
    await database.schema.createIndex('oidc_models_uid').on('oidc_models').column('uid').execute();
    await database.schema.createIndex('oidc_models_expiry').on('oidc_models').column('expires_at').execute();

    await database.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (column) => column.primaryKey())
      .addColumn('alg', 'text', (column) => column.notNull())
      .addColumn('sealed_private_jwk', 'text', (column) => column.notNull())
      .addColumn('public_jwk', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('retired_at', 'bigint')
      .execute();

    await database.schema
      .createTable('web_sessions')
      .addColumn('id_hash', 'text', (column) => column.primaryKey())
      .addColumn('account_id', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('expires_at', 'bigint', (column) => column.notNull())
      .execute();
  },
};

// Human confirmations of expensive calls (spec 06-metering §6.10): one row per call the gateway
// held back, decided by the user in the wallet and consumed by exactly one retried call.
const confirmations: Migration = {
  async up(database: Kysely<unknown>) {
    await database.schema
      .createTable('confirmations')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('grant_id', 'text', (column) => column.notNull())
      .addColumn('account_id', 'text', (column) => column.notNull())
      .addColumn('client_id', 'text', (column) => column.notNull())
      .addColumn('provider_id', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('estimated_max_micros', 'bigint', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('expires_at', 'bigint', (column) => column.notNull())
      .addColumn('decided_at', 'bigint')
      .addColumn('used_at', 'bigint')
      .addColumn('call_id', 'text')
      .execute();
    await database.schema
      .createIndex('confirmations_account_status')
      .on('confirmations')
      .columns(['account_id', 'status'])
      .execute();
    await database.schema.createIndex('confirmations_grant').on('confirmations').column('grant_id').execute();
  },
};

// DPoP proofs the gateways accepted (spec DPOP-13): one table all replicas share, so a proof
// replayed to another replica is refused as well.
const dpopProofs: Migration = {
  async up(database: Kysely<unknown>) {
    await database.schema
      .createTable('dpop_proofs')
      .addColumn('key_hash', 'text', (column) => column.primaryKey())
      .addColumn('expires_at', 'bigint', (column) => column.notNull())
      .execute();
    await database.schema.createIndex('dpop_proofs_expiry').on('dpop_proofs').column('expires_at').execute();
  },
};

// Per-grant request-rate buckets (spec MTR-28), shared by every gateway replica.
const rateBuckets: Migration = {
  async up(database: Kysely<unknown>) {
    await database.schema
      .createTable('rate_buckets')
      .addColumn('grant_id', 'text', (column) => column.primaryKey())
      .addColumn('units', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();
  },
};

// The ledger fields of spec 06-metering §6.6 (MTR-27) and its status names. The reservation
// keeps what the ledger row needs even when the row is written by crash recovery.
const ledgerFields: Migration = {
  async up(database: Kysely<unknown>) {
    for (const [table, column, type] of [
      ['ledger', 'endpoint', 'text'],
      ['ledger', 'stream', 'integer'],
      ['ledger', 'reserved_micros', 'bigint'],
      ['ledger', 'reserved_tokens', 'bigint'],
      ['reservations', 'endpoint', 'text'],
      ['reservations', 'stream', 'integer'],
    ] as const) {
      await database.schema
        .alterTable(table)
        .addColumn(column, type, (definition) => definition.notNull().defaultTo(type === 'text' ? '' : 0))
        .execute();
    }
    await database.schema
      .alterTable('ledger')
      .addColumn('period_keys', 'text', (definition) => definition.notNull().defaultTo('[]'))
      .execute();
    for (const [table, column, type] of [
      ['ledger', 'first_byte_ms', 'integer'],
      ['ledger', 'upstream_request_id', 'text'],
      ['ledger', 'client_address', 'text'],
      ['reservations', 'client_address', 'text'],
    ] as const) {
      await database.schema.alterTable(table).addColumn(column, type).execute();
    }
    const ledger = database as Kysely<{ ledger: { status: string; error_code: string | null } }>;
    await ledger
      .updateTable('ledger')
      .set({ status: 'client_disconnect' })
      .where('status', '=', 'aborted')
      .execute();
    await ledger
      .updateTable('ledger')
      .set({ status: 'upstream_timeout' })
      .where('status', '=', 'error')
      .where('error_code', '=', 'timeout')
      .execute();
    await ledger
      .updateTable('ledger')
      .set({ status: 'upstream_error' })
      .where('status', '=', 'error')
      .execute();
  },
};

// Every metered call writes three usage counters and one reservation, twice each (BENCHMARKS.md, "Profiling and fixes"). In
// SQLite a table keyed by text is a table b-tree plus a b-tree for its key; WITHOUT ROWID makes
// each a single b-tree, so a call dirties fewer pages. The reservations' deadline index goes too:
// only crash recovery reads the deadline, scanning the few reservations open at that moment.
// PostgreSQL has no rowid, so there the tables stay as they are.
const compactCallTables: Migration = {
  async up(database: Kysely<unknown>) {
    if (!(database.getExecutor().adapter instanceof SqliteAdapter)) return;
    await database.schema
      .createTable('usage_counters_compact')
      .addColumn('subject', 'text', (column) => column.notNull())
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('period_key', 'text', (column) => column.notNull())
      .addColumn('cap', 'bigint', (column) => column.notNull())
      .addColumn('spent', 'bigint', (column) => column.notNull())
      .addColumn('reserved', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('usage_counters_key', ['subject', 'kind', 'period_key'])
      .modifyEnd(sql`without rowid`)
      .execute();
    await database.schema
      .createTable('reservations_compact')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('grant_id', 'text', (column) => column.notNull())
      .addColumn('account_id', 'text', (column) => column.notNull())
      .addColumn('client_id', 'text', (column) => column.notNull())
      .addColumn('provider_id', 'text', (column) => column.notNull())
      .addColumn('model', 'text', (column) => column.notNull())
      .addColumn('holds', 'text', (column) => column.notNull())
      .addColumn('money_micros', 'bigint', (column) => column.notNull())
      .addColumn('tokens', 'bigint', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('deadline', 'bigint', (column) => column.notNull())
      .addColumn('endpoint', 'text', (column) => column.notNull().defaultTo(''))
      .addColumn('stream', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('client_address', 'text')
      .modifyEnd(sql`without rowid`)
      .execute();
    for (const [from, to, columns] of [
      ['usage_counters', 'usage_counters_compact', 'subject, kind, period_key, cap, spent, reserved'],
      [
        'reservations',
        'reservations_compact',
        'id, grant_id, account_id, client_id, provider_id, model, holds, money_micros, tokens, ' +
          'created_at, deadline, endpoint, stream, client_address',
      ],
    ] as const) {
      await sql`insert into ${sql.table(to)} (${sql.raw(columns)}) select ${sql.raw(columns)} from ${sql.table(from)}`.execute(
        database,
      );
      // Dropping the table drops its indexes with it.
      await database.schema.dropTable(from).execute();
      await database.schema.alterTable(to).renameTo(from).execute();
    }
  },
};

/** The migrations in order; the name sorts them. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-confirmations': confirmations,
  '0003-dpop-proofs': dpopProofs,
  '0004-rate-buckets': rateBuckets,
  '0005-ledger-fields': ledgerFields,
  '0006-compact-call-tables': compactCallTables,
  '0007-limit-versions': limitVersions,
  '0010-anomaly-policy': anomalyPolicy,
  '0011-grant-first-token': grantFirstToken,
  '0009-credential-network': credentialNetwork,
  '0008-sealed-oidc-models': sealedOidcModels,
};

/** Kysely's migrator reads the list from code, so a build carries its own migrations. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
};
