import { sql } from 'kysely';
import type { Store } from './database.js';
import { LEGACY_OIDC_MODELS_TABLE } from './migration-0008-sealed-oidc-models.js';
import type { OidcModelsTable } from './schema.js';

/** What the rewrite of the rows migration 0008 moved aside did. */
export interface LegacyOidcModelsRewrite {
  /** Rows now kept in their sealed form. */
  rewritten: number;
  /** Rows dropped instead (expired ones, say). */
  dropped: number;
}

const CHECKPOINT_ATTEMPTS = 100;
/** Pause between attempts: the reader holding the old snapshot needs a moment, not a busy loop. */
const CHECKPOINT_PAUSE_MS = 20;

/**
 * Finishes migration 0008 (spec SEC-14): turns every row it moved aside, as oidc-provider's
 * adapter once kept them (ids, uids and user codes in clear, JSON payloads), into the form
 * `rewrite` gives (keyed hashes, sealed payloads; `undefined` drops the row), then rewrites the
 * database files so that no copy of the old rows survives: the deleted rows' bytes in freed
 * pages, older page images in the write-ahead log. Also scrubs what earlier deletions of plain
 * rows left behind, so it runs once even when there was no row to move. Only the authorization
 * server calls it, since only it holds the master key; it is a no-op once done.
 *
 * The scrub is a VACUUM, which rebuilds the whole file once: it takes as long as copying the
 * database and needs that much free disk space.
 *
 * @returns what was done, or `undefined` when nothing was left to do.
 */
export async function rewriteLegacyOidcModels(
  store: Store,
  rewrite: (row: OidcModelsTable) => OidcModelsTable | undefined,
): Promise<LegacyOidcModelsRewrite | undefined> {
  if (!(await legacyTableExists(store))) return undefined;
  const result = await store.writeTransaction(async (transaction) => {
    const legacy = transaction.withTables<{ [LEGACY_OIDC_MODELS_TABLE]: OidcModelsTable }>();
    const rows = await legacy.selectFrom(LEGACY_OIDC_MODELS_TABLE).selectAll().execute();
    let rewritten = 0;
    for (const row of rows) {
      const sealed = rewrite(row);
      if (!sealed) continue;
      await transaction
        .insertInto('oidc_models')
        .values(sealed)
        .onConflict((conflict) => conflict.columns(['model', 'id']).doNothing())
        .execute();
      rewritten += 1;
    }
    await legacy.deleteFrom(LEGACY_OIDC_MODELS_TABLE).execute();
    return { rewritten, dropped: rows.length - rewritten };
  });
  // The deleted rows' bytes stay in the file's free space until VACUUM rebuilds it, and the WAL
  // keeps older images of its pages until it is truncated. The legacy table, empty by now, is
  // the marker that this is still to do: it goes last, so a failure here is retried at the next
  // start.
  await sql`vacuum`.execute(store.database);
  await truncateWriteAheadLog(store);
  // The table's one page, rebuilt empty by the VACUUM, holds nothing worth scrubbing again.
  await store.database.schema.dropTable(LEGACY_OIDC_MODELS_TABLE).execute();
  return result;
}

// SQLite only, as the store is today: a PostgreSQL store would look the table up in its own
// catalogue and scrub with VACUUM FULL, and has no WAL file of its own to truncate.

async function legacyTableExists(store: Store): Promise<boolean> {
  const found = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' and name = ${LEGACY_OIDC_MODELS_TABLE}`.execute(
    store.database,
  );
  return found.rows.length > 0;
}

/** Copies the whole WAL into the database and truncates it to nothing. */
async function truncateWriteAheadLog(store: Store): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const { rows } = await sql<{ busy: number }>`pragma wal_checkpoint(truncate)`.execute(store.database);
    // busy_timeout has already waited for readers; a reader still holding an old snapshot (the
    // checkpoint worker, briefly) just means trying again.
    if (rows[0]?.busy === 0) return;
    if (attempt === CHECKPOINT_ATTEMPTS)
      throw new Error(
        'Could not truncate the write-ahead log after sealing oidc-provider records; restart to retry.',
      );
    await new Promise((resolve) => setTimeout(resolve, CHECKPOINT_PAUSE_MS));
  }
}
