import { randomBytes } from 'node:crypto';
import type { Store } from './database.js';
import type { ConfirmationsTable } from './schema.js';

/** Where a confirmation stands: its stored status, or `expired` once past its expiry. */
export type ConfirmationState = ConfirmationsTable['status'] | 'expired';

/** One call held back for the user's approval (spec 06-metering §6.10). */
export interface ConfirmationRecord {
  id: string;
  grantId: string;
  accountId: string;
  clientId: string;
  providerId: string;
  model: string;
  /** The worst-case cost the user is asked about, in micros of the wallet currency. */
  estimatedMaxMicros: number;
  status: ConfirmationsTable['status'];
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  usedAt: number | null;
  callId: string | null;
}

/** The call a confirmation is for: a retry must match it to use an approval (spec MTR-32, MTR-33). */
export interface ConfirmedCall {
  grantId: string;
  providerId: string;
  model: string;
  /** The retry's own worst case; it may not exceed what the user approved. */
  estimatedMaxMicros: number;
}

const toRecord = (row: ConfirmationsTable): ConfirmationRecord => ({
  id: row.id,
  grantId: row.grant_id,
  accountId: row.account_id,
  clientId: row.client_id,
  providerId: row.provider_id,
  model: row.model,
  estimatedMaxMicros: Number(row.estimated_max_micros),
  status: row.status,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
  decidedAt: row.decided_at === null ? null : Number(row.decided_at),
  usedAt: row.used_at === null ? null : Number(row.used_at),
  callId: row.call_id,
});

/** A new confirmation id: unguessable, since it names the page where a call is approved. */
export function newConfirmationId(): string {
  return `cf_${randomBytes(16).toString('base64url')}`;
}

/** A confirmation's state at `now`: a pending or approved one that has expired is `expired`. */
export function confirmationState(
  confirmation: Pick<ConfirmationRecord, 'status' | 'expiresAt'>,
  now: number,
): ConfirmationState {
  if (confirmation.status === 'used') return 'used';
  return confirmation.expiresAt <= now ? 'expired' : confirmation.status;
}

/** Records a pending confirmation and returns it. */
export async function createConfirmation(
  store: Store,
  confirmation: ConfirmedCall & {
    id?: string;
    accountId: string;
    clientId: string;
    now: number;
    expiresAt: number;
  },
): Promise<ConfirmationRecord> {
  const row: ConfirmationsTable = {
    id: confirmation.id ?? newConfirmationId(),
    grant_id: confirmation.grantId,
    account_id: confirmation.accountId,
    client_id: confirmation.clientId,
    provider_id: confirmation.providerId,
    model: confirmation.model,
    estimated_max_micros: confirmation.estimatedMaxMicros,
    status: 'pending',
    created_at: confirmation.now,
    expires_at: confirmation.expiresAt,
    decided_at: null,
    used_at: null,
    call_id: null,
  };
  await store.database.insertInto('confirmations').values(row).execute();
  return toRecord(row);
}

/** A confirmation by id, of any account: callers check the account or grant it belongs to. */
export async function findConfirmation(store: Store, id: string): Promise<ConfirmationRecord | undefined> {
  const row = await store.database
    .selectFrom('confirmations')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row && toRecord(row);
}

/** The account's confirmations still waiting for a decision, oldest first. */
export async function listPendingConfirmations(
  store: Store,
  accountId: string,
  now: number,
): Promise<ConfirmationRecord[]> {
  const rows = await store.database
    .selectFrom('confirmations')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .orderBy('created_at', 'asc')
    .execute();
  return rows.map(toRecord);
}

/**
 * The user's decision on one of their confirmations. Takes effect only while it is pending and
 * unexpired, and only for the account it belongs to; returns whether it did.
 */
export async function decideConfirmation(
  store: Store,
  decision: { id: string; accountId: string; decision: 'approved' | 'denied'; now: number },
): Promise<boolean> {
  const result = await store.database
    .updateTable('confirmations')
    .set({ status: decision.decision, decided_at: decision.now })
    .where('id', '=', decision.id)
    .where('account_id', '=', decision.accountId)
    .where('status', '=', 'pending')
    .where('expires_at', '>', decision.now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Uses an approval for one call (spec MTR-32): flips it `approved` → `used` in one conditional
 * UPDATE, only when it is unexpired and was approved for this grant, provider and model at a
 * worst case no lower than this call's. Of any number of concurrent retries naming it, in any
 * number of processes, exactly one gets `true`.
 */
export async function useConfirmation(
  store: Store,
  use: ConfirmedCall & { id: string; callId: string; now: number },
): Promise<boolean> {
  const result = await store.database
    .updateTable('confirmations')
    .set({ status: 'used', used_at: use.now, call_id: use.callId })
    .where('id', '=', use.id)
    .where('status', '=', 'approved')
    .where('grant_id', '=', use.grantId)
    .where('provider_id', '=', use.providerId)
    .where('model', '=', use.model)
    .where('estimated_max_micros', '>=', use.estimatedMaxMicros)
    .where('expires_at', '>', use.now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Gives an approval back when the call that used it was refused before anything was held (its
 * reservation failed): the spec keeps the confirmation unconsumed then (§6.10). Only the call
 * that used it can give it back.
 */
export async function restoreConfirmation(
  store: Store,
  use: { id: string; callId: string },
): Promise<boolean> {
  const result = await store.database
    .updateTable('confirmations')
    .set({ status: 'approved', used_at: null, call_id: null })
    .where('id', '=', use.id)
    .where('status', '=', 'used')
    .where('call_id', '=', use.callId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Drops confirmations that expired more than `keepMs` ago (default a day): once expired they
 * can neither be decided nor used, and the day's grace keeps them visible to a user who
 * follows a late link. Returns how many.
 */
export async function purgeExpiredConfirmations(
  store: Store,
  now: number,
  keepMs = 86_400_000,
): Promise<number> {
  const result = await store.database
    .deleteFrom('confirmations')
    .where('expires_at', '<=', now - keepMs)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
