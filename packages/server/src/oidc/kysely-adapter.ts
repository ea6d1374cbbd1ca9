import type { Store } from '@allowance/store';
import type { Adapter, AdapterPayload } from 'oidc-provider';

const seconds = () => Math.floor(Date.now() / 1000);

/**
 * oidc-provider's storage for every model it keeps (sessions, interactions, codes, refresh tokens,
 * device codes, grants, registered clients, replay detection …), in one dialect-neutral table.
 * Expired rows are invisible at once and purged by {@link purgeExpired}.
 */
export function kyselyAdapter(
  store: Store,
  hooks: { onGrantDestroyed?: (grantId: string) => Promise<void> } = {},
): new (
  model: string,
) => Adapter {
  const database = store.database;
  const live = (
    row: { payload: string; expires_at: number | null; consumed_at: number | null } | undefined,
  ) => {
    if (!row || (row.expires_at !== null && Number(row.expires_at) <= seconds())) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (row.consumed_at !== null) payload.consumed = Number(row.consumed_at);
    return payload;
  };
  const columns = ['payload', 'expires_at', 'consumed_at'] as const;

  return class KyselyAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const row = {
        payload: JSON.stringify(payload),
        grant_id: payload.grantId ?? null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expires_at: typeof expiresIn === 'number' ? seconds() + expiresIn : null,
      };
      // consumed_at is left alone on update: re-saving a consumed code must not revive it.
      await database
        .insertInto('oidc_models')
        .values({ model: this.model, id, consumed_at: null, ...row })
        .onConflict((conflict) => conflict.columns(['model', 'id']).doUpdateSet(row))
        .execute();
    }

    async find(id: string) {
      return live(
        await database
          .selectFrom('oidc_models')
          .select(columns)
          .where('model', '=', this.model)
          .where('id', '=', id)
          .executeTakeFirst(),
      );
    }

    async findByUid(uid: string) {
      return live(
        await database
          .selectFrom('oidc_models')
          .select(columns)
          .where('model', '=', this.model)
          .where('uid', '=', uid)
          .executeTakeFirst(),
      );
    }

    async findByUserCode(userCode: string) {
      return live(
        await database
          .selectFrom('oidc_models')
          .select(columns)
          .where('model', '=', this.model)
          .where('user_code', '=', userCode)
          .executeTakeFirst(),
      );
    }

    async consume(id: string): Promise<void> {
      await database
        .updateTable('oidc_models')
        .set({ consumed_at: seconds() })
        .where('model', '=', this.model)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .execute();
    }

    async destroy(id: string): Promise<void> {
      await database.deleteFrom('oidc_models').where('model', '=', this.model).where('id', '=', id).execute();
      // oidc-provider destroys a Grant when it revokes it (refresh token or code replay, RFC 7009
      // revocation) and awaits this call before answering, so the wallet's grant is dead by then.
      if (this.model === 'Grant') await hooks.onGrantDestroyed?.(id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await database
        .deleteFrom('oidc_models')
        .where('model', '=', this.model)
        .where('grant_id', '=', grantId)
        .execute();
    }
  };
}

/** Deletes rows oidc-provider no longer sees; returns how many. */
export async function purgeExpired(store: Store): Promise<number> {
  const result = await store.database
    .deleteFrom('oidc_models')
    .where('expires_at', '<=', seconds())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
