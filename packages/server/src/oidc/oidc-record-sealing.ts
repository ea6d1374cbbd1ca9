import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { createSealer, type OidcModelsTable, type Sealer } from '@allowance/store';
import type { AdapterPayload } from 'oidc-provider';

/** The fields oidc-provider looks records up by. */
export type IndexedField = 'id' | 'uid' | 'userCode';

/**
 * How oidc-provider's records are kept in `oidc_models` (spec SEC-14): a copy of the database
 * must not yield a token, code, session id or client secret. Every value a record is looked up
 * by is stored as an HMAC-SHA-256 under a key derived from the master key, and every payload is
 * sealed (AES-256-GCM under the master key, bound to its model and row). The exception is the
 * Grant, kept under the wallet's grant id with a JSON payload: the grant id is an identifier
 * that every access token, ledger row and dashboard link carries, the payload holds what the
 * grants table holds in clear, and the dashboard moves its expiry (grant-revocation.ts).
 */
export interface OidcRecordSealing {
  /** The keyed hash a record is found by: one HMAC, so lookups stay cheap. */
  index(model: string, field: IndexedField, value: string): string;
  /** The row that keeps `payload` as record `id` of `model`. */
  row(
    model: string,
    id: string,
    payload: AdapterPayload,
    expiresAt: number | null,
    consumedAt?: number | null,
  ): OidcModelsTable;
  /**
   * A stored row's payload, or `undefined` when it does not open: tampered with, copied from
   * another row, or sealed under another master key. Such a record is as good as absent.
   */
  open(model: string, storedId: string, payload: string): AdapterPayload | undefined;
}

/** Records of this model are not sealed; see {@link OidcRecordSealing}. */
const PLAIN_MODEL = 'Grant';

/**
 * The sealing of oidc-provider's records under the wallet's master key: payloads sealed with it
 * (AES-256-GCM, see `createSealer`), indexes keyed with HKDF-SHA-256 of it under the info label
 * `allowance oidc record index`, a key used for nothing else.
 */
export function oidcRecordSealing(masterKey: Uint8Array): OidcRecordSealing {
  const indexKey = hkdfSync('sha256', masterKey, new Uint8Array(0), 'allowance oidc record index', 32);
  return createOidcRecordSealing({ sealer: createSealer(masterKey), indexKey: new Uint8Array(indexKey) });
}

/**
 * The sealing of oidc-provider's records under given keys ({@link oidcRecordSealing} derives them).
 *
 * @param indexKey 32 bytes derived from the master key for this purpose alone (HKDF, its own
 *   info label), so that the index reveals nothing about the sealing key and the reverse.
 * @example
 * const records = createOidcRecordSealing({ sealer: createSealer(masterKey), indexKey });
 * const row = records.row('RefreshToken', token, payload, expiresAt);
 */
export function createOidcRecordSealing(keys: { sealer: Sealer; indexKey: Uint8Array }): OidcRecordSealing {
  if (keys.indexKey.byteLength !== 32) throw new RangeError('The oidc record index key must be 32 bytes.');
  const indexKey: KeyObject = createSecretKey(keys.indexKey);
  const { sealer } = keys;
  // The model and field are part of what is hashed, so equal values of two kinds never collide.
  const index = (model: string, field: IndexedField, value: string) =>
    model === PLAIN_MODEL && field === 'id'
      ? value
      : createHmac('sha256', indexKey)
          .update(`${model}\u0000${field}\u0000`)
          .update(value)
          .digest('base64url');
  const context = (model: string, storedId: string) => `oidc-record:${model}:${storedId}`;
  return {
    index,
    row(model, id, payload, expiresAt, consumedAt = null) {
      const storedId = index(model, 'id', id);
      const json = JSON.stringify(payload);
      return {
        model,
        id: storedId,
        payload: model === PLAIN_MODEL ? json : sealer.seal(json, context(model, storedId)),
        // Not a secret: every access token carries it, and revocation reaches a grant's tokens by it.
        grant_id: payload.grantId ?? null,
        user_code: payload.userCode ? index(model, 'userCode', payload.userCode) : null,
        uid: payload.uid ? index(model, 'uid', payload.uid) : null,
        expires_at: expiresAt,
        consumed_at: consumedAt,
      };
    },
    open(model, storedId, payload) {
      try {
        const json = model === PLAIN_MODEL ? payload : sealer.unseal(payload, context(model, storedId));
        return JSON.parse(json) as AdapterPayload;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The sealed form of a row as the adapter kept it before migration 0008 (id, uid and user code
 * in clear, JSON payload), or `undefined` to drop it: expired, or unreadable. Live records keep
 * working after the upgrade, refresh tokens and registered clients included.
 */
export function sealLegacyRow(
  records: OidcRecordSealing,
  row: OidcModelsTable,
  nowSeconds: number,
): OidcModelsTable | undefined {
  if (row.expires_at !== null && Number(row.expires_at) <= nowSeconds) return undefined;
  let payload: AdapterPayload;
  try {
    payload = JSON.parse(row.payload) as AdapterPayload;
  } catch {
    return undefined;
  }
  return records.row(
    row.model,
    row.id,
    payload,
    row.expires_at === null ? null : Number(row.expires_at),
    row.consumed_at === null ? null : Number(row.consumed_at),
  );
}
