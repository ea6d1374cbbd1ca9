import { createSealer, generateMasterKey, openStore } from '@allowance/store';
import { describe, expect, it } from 'vitest';
import { loadSigningKeys, rotateSigningKey } from './signing-keys.js';

describe('signing keys', () => {
  it('creates one key on first start, keeps it, and keeps a retired key published for a token lifetime', async () => {
    await using store = await openStore({ sqlite: ':memory:' });
    const sealer = createSealer(generateMasterKey());
    const options = { now: 1_000_000, tokenLifetimeSeconds: 300 };
    const [first, ...others] = await loadSigningKeys(store, sealer, options);
    expect(others).toEqual([]);
    expect(first).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(first?.d).toBeTypeOf('string');
    expect((await loadSigningKeys(store, sealer, options)).map((key) => key.kid)).toEqual([first?.kid]);

    const sealed = await store.database
      .selectFrom('signing_keys')
      .select('sealed_private_jwk')
      .executeTakeFirstOrThrow();
    expect(sealed.sealed_private_jwk).not.toContain(first?.d);

    const newKid = await rotateSigningKey(store, sealer, 2_000_000);
    const afterRotation = await loadSigningKeys(store, sealer, { ...options, now: 2_000_000 });
    expect(afterRotation.map((key) => key.kid)).toEqual([newKid, first?.kid]);
    const later = await loadSigningKeys(store, sealer, { ...options, now: 2_000_000 + 361_000 });
    expect(later.map((key) => key.kid)).toEqual([newKid]);
  });
});
