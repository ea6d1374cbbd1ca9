import type { Kysely, Migration } from 'kysely';
import { resyncAccountCounters } from './limit-counters.js';
import type { Database } from './schema.js';

// A version on each grant and wallet that every change of a limit (a grant's budgets, token
// limits or expiry; the wallet cap or time zone) moves on, so that a reservation planned against
// the limits as they stood before the change is refused and planned again (spec MTR-34). Then
// every counter of a limit in its current period is brought in line with the ledger, since a
// counter created after spend was made in its period started from zero (spec MTR-35).
export const limitVersions: Migration = {
  async up(database: Kysely<unknown>) {
    for (const table of ['grants', 'wallets'] as const) {
      await database.schema
        .alterTable(table)
        .addColumn('limits_version', 'integer', (column) => column.notNull().defaultTo(0))
        .execute();
    }
    const typed = database as unknown as Kysely<Database>;
    const wallets = await typed.selectFrom('wallets').select('account_id').execute();
    for (const wallet of wallets) await resyncAccountCounters(typed, wallet.account_id, Date.now());
  },
};
