import type { Kysely, Migration } from 'kysely';

// The owner's own thresholds for suspending a grant that behaves like a leaked token (spec
// SEC-4): null in a column means the wallet's default.
export const anomalyPolicy: Migration = {
  async up(database: Kysely<unknown>) {
    for (const column of [
      'anomaly_burst_calls',
      'anomaly_burst_seconds',
      'anomaly_spend_micros',
      'anomaly_spend_seconds',
    ]) {
      await database.schema.alterTable('wallets').addColumn(column, 'bigint').execute();
    }
  },
};
