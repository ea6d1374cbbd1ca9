import type { Kysely, Migration } from 'kysely';

// The owner's choice, per provider credential, that its provider is on their private network
// (spec SEC-8 rule 2): 1 lets the gateway send that key to a private address, 0 (every key stored
// before this migration) does not. Never a default of 1: the choice is the owner's to make.
export const credentialNetwork: Migration = {
  async up(database: Kysely<unknown>) {
    await database.schema
      .alterTable('provider_credentials')
      .addColumn('private_network', 'integer', (column) => column.notNull().defaultTo(0))
      .execute();
  },
};
