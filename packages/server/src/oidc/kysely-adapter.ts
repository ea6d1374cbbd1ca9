import type { Store } from '@allowance/store';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OidcRecordSealing } from './oidc-record-sealing.js';

const seconds = () => Math.floor(Date.now() / 1000);

/**
 * oidc-provider's storage for every model it keeps (sessions, interactions, codes, refresh tokens,
 * device codes, grants, registered clients, replay detection …), in one dialect-neutral table.
 * Records are found by a keyed hash of their id, uid or user code and their payloads are sealed
 * (spec SEC-14, see oidc-record-sealing.ts), so the table holds no usable token: each lookup
 * costs one HMAC, and each record read one AES-GCM opening. Expired rows are invisible at once and
 * purged by {@link purgeExpired}.
 */
export function kyselyAdapter(
  store: Store,
  records: OidcRecordSealing,
  hooks: { onGrantDestroyed?: (grantId: string) => Promise<void> } = {},
): new (
  model: string,
) => Adapter {
  const database = store.database;
  const columns = ['id', 'payload', 'expires_at', 'consumed_at'] as const;

  const live = (
    model: string,
    row: { id: string; payload: string; expires_at: number | null; consumed_at: number | null } | undefined,
  ) => {
    if (!row || (row.expires_at !== null && Number(row.expires_at) <= seconds())) return undefined;
    const payload = records.open(model, row.id, row.payload);
    if (payload && row.consumed_at !== null) payload.consumed = Number(row.consumed_at);
    return payload;
  };

  return class KyselyAdapter implements Adapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const sealed = records.row(
        this.model,
        id,
        payload,
        typeof expiresIn === 'number' ? seconds() + expiresIn : null,
      );
      const { model: _model, id: _id, consumed_at: _consumed, ...row } = sealed;
      // consumed_at is left alone on update: re-saving a consumed code must not revive it.
      await database
        .insertInto('oidc_models')
        .values(sealed)
        .onConflict((conflict) => conflict.columns(['model', 'id']).doUpdateSet(row))
        .execute();
    }

    async find(id: string) {
      return live(
        this.model,
        await database
          .selectFrom('oidc_models')
          .select(columns)
          .where('model', '=', this.model)
          .where('id', '=', records.index(this.model, 'id', id))
          .executeTakeFirst(),
      );
    }

    async findByUid(uid: string) {
      return live(
        this.model,
        await database
          .selectFrom('oidc_models')
          .select(columns)
          .where('model', '=', this.model)
          .where('uid', '=', records.index(this.model, 'uid', uid))
          .executeTakeFirst(),
      );
    }

    async findByUserCode(userCode: string) {
      return live(
        this.model,
        await database
          .selectFrom('oidc_models')
          .select(columns)
          .where('model', '=', this.model)
          .where('user_code', '=', records.index(this.model, 'userCode', userCode))
          .executeTakeFirst(),
      );
    }

    async consume(id: string): Promise<void> {
      await database
        .updateTable('oidc_models')
        .set({ consumed_at: seconds() })
        .where('model', '=', this.model)
        .where('id', '=', records.index(this.model, 'id', id))
        .where('consumed_at', 'is', null)
        .execute();
    }

    async destroy(id: string): Promise<void> {
      await database
        .deleteFrom('oidc_models')
        .where('model', '=', this.model)
        .where('id', '=', records.index(this.model, 'id', id))
        .execute();
      // oidc-provider destroys a Grant when it revokes it (refresh token or code replay, RFC 7009
      // revocation) and awaits this call before answering, so the wallet's grant is dead by then.
      if (this.model === 'Grant') await hooks.onGrantDestroyed?.(id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      // The grant id is kept as is: it is not a secret (see oidc-record-sealing.ts).
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
