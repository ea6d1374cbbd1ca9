import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH, nestedDeeperThan } from './json-nesting.js';

const deeper = (text: string, limit?: number) => nestedDeeperThan(Buffer.from(text, 'utf8'), limit);

/** The nesting depth of a parsed value, by an explicit stack. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return deepest;
}

describe('nestedDeeperThan (spec GW-7)', () => {
  it('counts open arrays and objects, at the limit and one past it', () => {
    const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expect(deeper(arrays(MAX_NESTING_DEPTH))).toBe(false);
    expect(deeper(arrays(MAX_NESTING_DEPTH + 1))).toBe(true);
    expect(deeper(arrays(2_000_000))).toBe(true);
    const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    expect(deeper(objects(MAX_NESTING_DEPTH))).toBe(false);
    expect(deeper(objects(MAX_NESTING_DEPTH + 1))).toBe(true);
    // Siblings do not add up.
    expect(deeper(JSON.stringify(Array.from({ length: 1_000 }, () => [[[]]])))).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(deeper(JSON.stringify({ text: '['.repeat(10_000) }))).toBe(false);
    expect(deeper(JSON.stringify({ text: `\\"${'{'.repeat(10_000)}"\\` }))).toBe(false);
    expect(deeper(JSON.stringify({ text: `中😀${'['.repeat(500)}` }), 4)).toBe(false);
    expect(deeper(`{"a":"\\\\"${'['.repeat(10)}`, 4)).toBe(true);
  });

  it('agrees with the depth of the parsed value for any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 0, max: 12 }), (value, limit) => {
        const text = JSON.stringify(value);
        expect(nestedDeeperThan(Buffer.from(text), limit)).toBe(depthOf(value) > limit);
      }),
      { seed: 20261203, numRuns: 500 },
    );
  });
});
