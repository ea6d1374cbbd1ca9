import { type Kysely, type Migration, sql } from 'kysely';

// When a grant's app first got a token: an approval whose code exchange was refused (no DPoP
// proof, say) never did, and is no connected app. Grants from before were connected.
export const grantFirstToken: Migration = {
  async up(database: Kysely<unknown>) {
    await database.schema.alterTable('grants').addColumn('first_token_at', 'bigint').execute();
    await sql`update grants set first_token_at = created_at`.execute(database);
  },
};
