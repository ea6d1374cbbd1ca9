import { randomBytes } from 'node:crypto';
import type { ApprovedAiAllowance, GrantStatus } from '@allowance/protocol';
import type { Store } from './database.js';
import { preparedQuery } from './prepared-query.js';

/** The wallet's record of what a user allowed an app: the unit of revocation. */
export interface GrantRecord {
  id: string;
  accountId: string;
  clientId: string;
  details: ApprovedAiAllowance;
  status: GrantStatus;
  statusReason: string | null;
  remember: boolean;
  /** CIDR blocks the app may call from; empty means any address. */
  ipAllowlist: string[];
  /** Whether every token of this grant must be DPoP-bound (spec DPOP-3), whatever the client. */
  requireDpop: boolean;
  createdAt: number;
  /** The last change by the user (status, limits, addresses). */
  updatedAt: number;
  expiresAt: number;
  /** Moves on every change of the details; a reservation planned at another version is refused (spec MTR-34). */
  limitsVersion: number;
  /** When the app first got a token for it; null while it never has (its code exchange failed). */
  firstTokenAt: number | null;
}

/** A grant's row as stored. */
export type GrantRow = {
  id: string;
  account_id: string;
  client_id: string;
  details: string;
  status: GrantStatus;
  status_reason: string | null;
  remember: number;
  ip_allowlist: string;
  require_dpop: number;
  created_at: number;
  updated_at: number;
  expires_at: number;
  limits_version: number;
  first_token_at: number | null;
};

/** A stored row as the record callers see. */
export const toRecord = (row: GrantRow): GrantRecord => ({
  id: row.id,
  accountId: row.account_id,
  clientId: row.client_id,
  details: JSON.parse(row.details) as ApprovedAiAllowance,
  status: row.status,
  statusReason: row.status_reason,
  remember: row.remember === 1,
  ipAllowlist: JSON.parse(row.ip_allowlist) as string[],
  requireDpop: row.require_dpop === 1,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
  expiresAt: Number(row.expires_at),
  limitsVersion: Number(row.limits_version),
  firstTokenAt: row.first_token_at === null ? null : Number(row.first_token_at),
});

/** The columns {@link toRecord} reads. */
export const columns = [
  'id',
  'account_id',
  'client_id',
  'details',
  'status',
  'status_reason',
  'remember',
  'ip_allowlist',
  'require_dpop',
  'created_at',
  'updated_at',
  'expires_at',
  'limits_version',
  'first_token_at',
] as const;

/** A new grant id. oidc-provider's Grant takes the same id, so its tokens carry ours. */
export function newGrantId(): string {
  return `gr_${randomBytes(16).toString('base64url')}`;
}

/** Records an approval. */
export async function createGrant(
  store: Store,
  grant: {
    id: string;
    accountId: string;
    clientId: string;
    details: ApprovedAiAllowance;
    remember: boolean;
    /** The user asked, on the consent screen, for DPoP-bound tokens only. */
    requireDpop?: boolean;
    now: number;
    /** When its app got its first token, for a grant recorded after the fact; none at consent. */
    firstTokenAt?: number;
  },
): Promise<void> {
  await store.database
    .insertInto('grants')
    .values({
      id: grant.id,
      account_id: grant.accountId,
      client_id: grant.clientId,
      oidc_grant_id: grant.id,
      details: JSON.stringify(grant.details),
      status: 'active',
      status_reason: null,
      require_dpop: grant.requireDpop ? 1 : 0,
      ip_allowlist: '[]',
      remember: grant.remember ? 1 : 0,
      created_at: grant.now,
      updated_at: grant.now,
      expires_at: Date.parse(grant.details.expires_at),
      first_token_at: grant.firstTokenAt ?? null,
    })
    .execute();
}

/** Records that the grant's app got its first token; later tokens change nothing. */
export async function markGrantConnected(store: Store, grantId: string, now: number): Promise<void> {
  await store.database
    .updateTable('grants')
    .set({ first_token_at: now })
    .where('id', '=', grantId)
    .where('first_token_at', 'is', null)
    .execute();
}

/** A grant by id. */
export async function findGrant(store: Store, id: string): Promise<GrantRecord | undefined> {
  const row = (await grantById(store.database, { id })).rows[0];
  return row && toRecord(row);
}

// The gateway reads the grant on every call, uncached (spec REV-6): built once (BENCHMARKS.md, "Profiling and fixes").
const grantById = preparedQuery<{ id: string }, GrantRow>((database, slot) =>
  database.selectFrom('grants').select(columns).where('id', '=', slot('id')),
);

/**
 * An account's connected apps' grants, newest first: an approval whose app never got a token (its
 * code exchange was refused) is no connected app, and is left out.
 */
export async function listGrants(store: Store, accountId: string): Promise<GrantRecord[]> {
  const rows = await store.database
    .selectFrom('grants')
    .select(columns)
    .where('account_id', '=', accountId)
    .where('first_token_at', 'is not', null)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(toRecord);
}

/** The live remembered grant of this account for this client, if any. */
export async function findRememberedGrant(
  store: Store,
  accountId: string,
  clientId: string,
  now: number,
): Promise<GrantRecord | undefined> {
  const row = await store.database
    .selectFrom('grants')
    .select(columns)
    .where('account_id', '=', accountId)
    .where('client_id', '=', clientId)
    .where('remember', '=', 1)
    .where('status', '=', 'active')
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return row && toRecord(row);
}

/**
 * Marks a grant revoked, at once and for good; returns whether it was live. Limited to the
 * account when one is given, so one user cannot revoke another's grant by guessing ids.
 */
export async function revokeGrant(
  store: Store,
  id: string,
  reason: string,
  now: number,
  accountId?: string,
): Promise<boolean> {
  let update = store.database
    .updateTable('grants')
    .set({ status: 'revoked', status_reason: reason, updated_at: now })
    .where('id', '=', id)
    .where('status', '!=', 'revoked');
  if (accountId !== undefined) update = update.where('account_id', '=', accountId);
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Sets the CIDR blocks one of the account's grants may be used from (empty: any address). */
export async function setGrantAllowlist(
  store: Store,
  grantId: string,
  accountId: string,
  blocks: string[],
  now: number,
): Promise<boolean> {
  const result = await store.database
    .updateTable('grants')
    .set({ ip_allowlist: JSON.stringify(blocks), updated_at: now })
    .where('id', '=', grantId)
    .where('account_id', '=', accountId)
    .where('status', '!=', 'revoked')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Sets whether one of the account's grants accepts DPoP-bound tokens only (spec DPOP-3). Turning
 * it on takes effect at once at the gateway, for tokens already issued as well.
 */
export async function setGrantRequireDpop(
  store: Store,
  grantId: string,
  accountId: string,
  requireDpop: boolean,
  now: number,
): Promise<boolean> {
  const result = await store.database
    .updateTable('grants')
    .set({ require_dpop: requireDpop ? 1 : 0, updated_at: now })
    .where('id', '=', grantId)
    .where('account_id', '=', accountId)
    .where('status', '!=', 'revoked')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
