import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from './database.js';
import { takeFromRateBucket } from './rate-buckets.js';
import { temporaryStore } from './test-support.js';

type TestStore = Awaited<ReturnType<typeof temporaryStore>>;
let store: TestStore;

beforeEach(async () => {
  store = await temporaryStore();
});
afterEach(async () => {
  await store.close();
});

describe('a grant’s request-rate bucket', () => {
  it('starts full, empties, and refills at the rate', async () => {
    const takes = [];
    for (let index = 0; index < 4; index += 1) takes.push(await takeFromRateBucket(store, 'g', 3, 0));
    // Three a minute: one request every 20 seconds once the bucket is empty.
    expect(takes).toEqual([0, 0, 0, 20_000]);
    expect(await takeFromRateBucket(store, 'g', 3, 10_000)).toBe(10_000);
    expect(await takeFromRateBucket(store, 'g', 3, 20_000)).toBe(0);
    expect(await takeFromRateBucket(store, 'g', 3, 20_001)).toBe(19_999);
    // Refilling never goes above the capacity, even after a long pause.
    const later = 10 * 60_000;
    const afterPause = [];
    for (let index = 0; index < 4; index += 1)
      afterPause.push(await takeFromRateBucket(store, 'g', 3, later));
    expect(afterPause.filter((wait) => wait === 0)).toHaveLength(3);
  });

  it('keeps each grant to its own bucket', async () => {
    expect(await takeFromRateBucket(store, 'a', 1, 0)).toBe(0);
    expect(await takeFromRateBucket(store, 'a', 1, 0)).toBe(60_000);
    expect(await takeFromRateBucket(store, 'b', 1, 0)).toBe(0);
  });

  it('never overdraws when replicas take at once', async () => {
    const replica = await openStore({ sqlite: store.path });
    try {
      const takes = await Promise.all(
        Array.from({ length: 60 }, (_, index) => takeFromRateBucket(index % 2 ? replica : store, 'g', 10, 0)),
      );
      expect(takes.filter((wait) => wait === 0)).toHaveLength(10);
    } finally {
      await replica.close();
    }
  });
});
