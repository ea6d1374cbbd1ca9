import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countO200kTokens } from './openai-token-count.js';
import { generateTokens } from './text-generator.js';

describe('generateTokens', () => {
  it('emits exactly one o200k token per entry, so the count of the text is the count asked for', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 120 }),
        (seed, count) => {
          const tokens = generateTokens(seed, count);
          expect(tokens).toHaveLength(count);
          for (const token of tokens) expect(countO200kTokens(token)).toBe(1);
          expect(countO200kTokens(tokens.join(''))).toBe(count);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is deterministic, and a shorter answer is a prefix of a longer one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 100 }),
        (seed, count) => {
          const long = generateTokens(seed, count + 20);
          expect(generateTokens(seed, count + 20)).toEqual(long);
          expect(generateTokens(seed, count)).toEqual(long.slice(0, count));
        },
      ),
    );
  });

  it('reads like sentences and differs between seeds', () => {
    const text = generateTokens(42, 60).join('');
    expect(text).toMatch(/^[A-Z][a-z]* /);
    expect(text).toContain('. ');
    expect(generateTokens(43, 60).join('')).not.toBe(text);
  });
});
