import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '@allowance/store';

const hashOf = (value: string) => createHash('sha256').update(value).digest('base64url');

/** A signed-in browser. */
export interface WebSession {
  accountId: string;
  expiresAt: number;
}

/** Starts a session; returns the cookie value. Only its hash is stored. */
export async function startSession(
  store: Store,
  accountId: string,
  now: number,
  lifetimeSeconds: number,
): Promise<string> {
  const value = randomBytes(32).toString('base64url');
  await store.database
    .insertInto('web_sessions')
    .values({
      id_hash: hashOf(value),
      account_id: accountId,
      created_at: now,
      expires_at: now + lifetimeSeconds * 1000,
    })
    .execute();
  return value;
}

/** The live session behind a cookie value, or `undefined`. */
export async function findSession(
  store: Store,
  value: string | undefined,
  now: number,
): Promise<WebSession | undefined> {
  if (!value) return undefined;
  const row = await store.database
    .selectFrom('web_sessions')
    .select(['account_id', 'expires_at'])
    .where('id_hash', '=', hashOf(value))
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row && { accountId: row.account_id, expiresAt: Number(row.expires_at) };
}

/** Ends a session (sign-out). */
export async function endSession(store: Store, value: string | undefined): Promise<void> {
  if (value) await store.database.deleteFrom('web_sessions').where('id_hash', '=', hashOf(value)).execute();
}
