import { describe, expect, it } from 'vitest';
import { memoryReplayCache } from './replay-cache.js';

function cacheAt(start: number, maxEntries?: number) {
  const clock = { now: start };
  const cache = memoryReplayCache({ now: () => clock.now, ...(maxEntries !== undefined && { maxEntries }) });
  return { cache, clock };
}

describe('memoryReplayCache', () => {
  it('says first seen once, then replay until the entry expires', () => {
    const { cache, clock } = cacheAt(1_000);
    expect(cache.remember('a', 2_000)).toBe(true);
    expect(cache.remember('a', 2_000)).toBe(false);
    expect(cache.remember('b', 2_000)).toBe(true);
    clock.now = 1_999;
    expect(cache.remember('a', 5_000)).toBe(false);
    clock.now = 2_000;
    expect(cache.remember('a', 5_000)).toBe(true);
    expect(cache.remember('a', 5_000)).toBe(false);
  });

  it('does not keep an entry that has already expired', () => {
    const { cache } = cacheAt(1_000);
    expect(cache.remember('a', 1_000)).toBe(true);
    expect(cache.remember('b', Number.NaN)).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('drops expired entries as time passes', () => {
    const { cache, clock } = cacheAt(0);
    for (let index = 0; index < 100; index++) cache.remember(`jti-${index}`, 1_000 + index);
    expect(cache.size).toBe(100);
    clock.now = 1_050;
    cache.remember('late', 10_000);
    expect(cache.size).toBe(50);
  });

  it('stays within maxEntries, evicting expired entries before live ones', () => {
    const { cache, clock } = cacheAt(0, 3);
    cache.remember('long', 10_000); // out of expiry order: blocks the cheap sweep from the oldest end
    cache.remember('short-1', 100);
    cache.remember('short-2', 100);
    clock.now = 500;
    expect(cache.remember('new', 10_000)).toBe(true);
    expect(cache.size).toBe(2);
    expect(cache.remember('long', 10_000)).toBe(false);
  });

  it('forgets the oldest live entry when every entry is live', () => {
    const { cache } = cacheAt(0, 3);
    for (const key of ['a', 'b', 'c', 'd']) expect(cache.remember(key, 10_000)).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.remember('d', 10_000)).toBe(false);
    expect(cache.remember('b', 10_000)).toBe(false);
    expect(cache.remember('a', 10_000)).toBe(true);
  });

  it('handles a flood at capacity quickly', () => {
    const { cache, clock } = cacheAt(0, 10_000);
    const started = performance.now();
    for (let index = 0; index < 100_000; index++) {
      clock.now = index;
      cache.remember(`jti-${index}`, index + 1_000_000);
    }
    expect(cache.size).toBe(10_000);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('refuses a bad maxEntries', () => {
    expect(() => memoryReplayCache({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => memoryReplayCache({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});
