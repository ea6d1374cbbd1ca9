import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from './database.js';
import { rememberDpopProof, sweepDpopProofs } from './dpop-proofs.js';
import { temporaryStore } from './test-support.js';

type TestStore = Awaited<ReturnType<typeof temporaryStore>>;
let store: TestStore;

beforeEach(async () => {
  store = await temporaryStore();
});
afterEach(async () => {
  await store.close();
});

describe('the shared DPoP replay record', () => {
  it('accepts a proof once, refuses it until its window ends, then forgets it', async () => {
    expect(await rememberDpopProof(store, 'jkt:jti-1', 1_000, 0)).toBe(true);
    expect(await rememberDpopProof(store, 'jkt:jti-1', 1_500, 500)).toBe(false);
    expect(await rememberDpopProof(store, 'jkt:jti-2', 1_000, 500)).toBe(true);
    expect(await rememberDpopProof(store, 'jkt:jti-1', 2_000, 1_000)).toBe(true);
    expect(await sweepDpopProofs(store, 1_000)).toBe(1);
    expect(await rememberDpopProof(store, 'jkt:jti-1', 3_000, 2_100)).toBe(true);
  });

  it('is shared by every connection to the database, as gateway replicas share it', async () => {
    const replica = await openStore({ sqlite: store.path });
    try {
      const answers = await Promise.all([
        rememberDpopProof(store, 'jkt:raced', 10_000, 0),
        rememberDpopProof(replica, 'jkt:raced', 10_000, 0),
      ]);
      expect(answers.filter(Boolean)).toHaveLength(1);
      expect(await rememberDpopProof(replica, 'jkt:raced', 10_000, 1)).toBe(false);
    } finally {
      await replica.close();
    }
  });
});
