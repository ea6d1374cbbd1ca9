import { findGrant, revokeGrant, type Store } from '@allowance/store';

/**
 * Revokes a grant for its owner: marked revoked first (the gateway refuses it from the next
 * request), then every oidc-provider artefact of it deleted, so its refresh tokens stop working.
 */
export async function revokeWalletGrant(
  dependencies: { store: Store; now: () => number },
  grantId: string,
  accountId: string,
): Promise<boolean> {
  const grant = await findGrant(dependencies.store, grantId);
  if (!grant || grant.accountId !== accountId) return false;
  const revoked = await revokeGrant(
    dependencies.store,
    grantId,
    'revoked by the user',
    dependencies.now(),
    accountId,
  );
  await dependencies.store.database.deleteFrom('oidc_models').where('grant_id', '=', grantId).execute();
  await dependencies.store.database
    .deleteFrom('oidc_models')
    .where('model', '=', 'Grant')
    .where('id', '=', grantId)
    .execute();
  return revoked;
}

/**
 * Moves the expiry of oidc-provider's Grant behind a wallet grant to the wallet grant's, so a
 * grant the user extended can still be refreshed until its new expiry, and a shortened one
 * cannot be refreshed past it. The wallet grant stays the authority: the gateway checks it.
 */
export async function alignAuthorizationGrantExpiry(
  store: Store,
  grantId: string,
  expiresAt: number,
): Promise<void> {
  const row = await store.database
    .selectFrom('oidc_models')
    .select('payload')
    .where('model', '=', 'Grant')
    .where('id', '=', grantId)
    .executeTakeFirst();
  if (!row) return;
  const exp = Math.ceil(expiresAt / 1000);
  const payload = { ...(JSON.parse(row.payload) as Record<string, unknown>), exp };
  await store.database
    .updateTable('oidc_models')
    .set({ payload: JSON.stringify(payload), expires_at: exp })
    .where('model', '=', 'Grant')
    .where('id', '=', grantId)
    .execute();
}
