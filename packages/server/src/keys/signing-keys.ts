import { randomBytes } from 'node:crypto';
import type { Sealer, Store } from '@allowance/store';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

const SIGNING_ALGORITHM = 'ES256';
const sealContext = (kid: string) => `signing-key:${kid}`;

/**
 * The keys oidc-provider signs with, newest first (it signs with the first key of the right
 * algorithm). Generated on first start and kept sealed in the database. A retired key stays in
 * the list, and so in the published JWKS, until every token it signed has expired.
 */
export async function loadSigningKeys(
  store: Store,
  sealer: Sealer,
  options: { now: number; tokenLifetimeSeconds: number },
): Promise<JWK[]> {
  const active = await store.database
    .selectFrom('signing_keys')
    .select('kid')
    .where('retired_at', 'is', null)
    .executeTakeFirst();
  if (!active) await createSigningKey(store, sealer, options.now);
  // Tokens signed just before retirement live at most one token lifetime; keep a minute's slack.
  const keepSince = options.now - (options.tokenLifetimeSeconds + 60) * 1000;
  const rows = await store.database
    .selectFrom('signing_keys')
    .selectAll()
    .where((where) => where.or([where('retired_at', 'is', null), where('retired_at', '>', keepSince)]))
    .execute();
  rows.sort((a, b) =>
    a.retired_at === null ? -1 : b.retired_at === null ? 1 : Number(b.created_at) - Number(a.created_at),
  );
  return rows.map((row) => JSON.parse(sealer.unseal(row.sealed_private_jwk, sealContext(row.kid))) as JWK);
}

/** Retires the signing key and makes a new one; the old public key stays published for a while. */
export async function rotateSigningKey(store: Store, sealer: Sealer, now: number): Promise<string> {
  await store.database
    .updateTable('signing_keys')
    .set({ retired_at: now })
    .where('retired_at', 'is', null)
    .execute();
  return createSigningKey(store, sealer, now);
}

async function createSigningKey(store: Store, sealer: Sealer, now: number): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const kid = randomBytes(12).toString('base64url');
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  await store.database
    .insertInto('signing_keys')
    .values({
      kid,
      alg: SIGNING_ALGORITHM,
      sealed_private_jwk: sealer.seal(JSON.stringify(privateJwk), sealContext(kid)),
      public_jwk: JSON.stringify(publicJwk),
      created_at: now,
      retired_at: null,
    })
    .execute();
  return kid;
}
