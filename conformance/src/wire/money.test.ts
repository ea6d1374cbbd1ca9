import { describe, expect, it } from 'vitest';
import { costOf, DEFAULT_PRICES, formatMoney, isCanonicalMoney, parseMoney } from './money.js';

describe("the suite's own money arithmetic (spec Part 3 §3.12, Part 6 §6.2)", () => {
  it('parses and formats canonically', () => {
    expect(parseMoney('10.5')).toBe(10_500_000n);
    expect(parseMoney('1e3')).toBeUndefined();
    expect(parseMoney('1000000000.00')).toBeUndefined();
    expect([10_000_000n, 1_500_000n, 1_234n, 66_000n, 0n].map(formatMoney)).toEqual([
      '10.00',
      '1.50',
      '0.001234',
      '0.066',
      '0.00',
    ]);
    expect(isCanonicalMoney('0.066')).toBe(true);
    expect(isCanonicalMoney('0.0660')).toBe(false);
    expect(isCanonicalMoney('10')).toBe(false);
  });

  it('reproduces the worked examples of the spec', () => {
    const mini = DEFAULT_PRICES['openai/gpt-4.1-mini'];
    const embedding = DEFAULT_PRICES['openai/text-embedding-3-small'];
    if (!mini || !embedding) throw new Error('missing prices');
    expect(formatMoney(costOf({ input: 1234, cachedInput: 0, cacheWrite: 0, output: 567 }, mini))).toBe(
      '0.001401',
    );
    expect(formatMoney(costOf({ input: 9, cachedInput: 0, cacheWrite: 0, output: 0 }, embedding))).toBe(
      '0.000001',
    );
  });
});
