import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  costOf,
  DEFAULT_PRICES,
  findPrice,
  priceTableSchema,
  type ResolvedPrice,
  worstCaseCost,
} from './prices.js';

const usd = { currency: 'USD' };

describe('prices', () => {
  it('ships a valid default table for OpenAI, Anthropic and DeepSeek', () => {
    expect(priceTableSchema.safeParse(DEFAULT_PRICES).success).toBe(true);
    expect(Object.keys(DEFAULT_PRICES).sort()).toEqual(['anthropic', 'deepseek', 'openai']);
  });

  it('prices a call exactly, rounding up once', () => {
    const price = findPrice(DEFAULT_PRICES, 'anthropic', 'claude-sonnet-4-5', usd);
    expect(price).toEqual({
      input: 3_000_000,
      cachedInput: 300_000,
      cacheWrite: 3_750_000,
      output: 15_000_000,
    });
    if (!price) return;
    // 1000 × 3 + 2000 × 0.30 + 100 × 3.75 + 500 × 15 = 3000 + 600 + 375 + 7500 = 11475 micros exactly.
    expect(
      costOf(price, { inputTokens: 1000, cachedInputTokens: 2000, cacheWriteTokens: 100, outputTokens: 500 }),
    ).toBe(11_475);
    // One token of DeepSeek input costs 0.28 micros: the call is billed 1 micro, never 0.
    const deepseek = findPrice(DEFAULT_PRICES, 'deepseek', 'deepseek-chat', usd);
    if (!deepseek) throw new Error('deepseek-chat must be priced');
    expect(
      costOf(deepseek, { inputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 }),
    ).toBe(1);
    expect(
      costOf(deepseek, { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 }),
    ).toBe(0);
  });

  it('treats a missing model, or a currency it cannot convert, as unpriced', () => {
    expect(findPrice(DEFAULT_PRICES, 'openai', 'gpt-unknown', usd)).toBeUndefined();
    expect(findPrice(DEFAULT_PRICES, 'acme', 'gpt-4.1-mini', usd)).toBeUndefined();
    expect(findPrice(DEFAULT_PRICES, 'openai', 'constructor', usd)).toBeUndefined();
    expect(findPrice(DEFAULT_PRICES, 'openai', 'gpt-4.1-mini', { currency: 'EUR' })).toBeUndefined();
  });

  it('converts with an exchange rate, rounding up', () => {
    const price = findPrice(DEFAULT_PRICES, 'openai', 'gpt-4.1-mini', {
      currency: 'EUR',
      exchangeRates: { USD: '0.923' },
    });
    // 0.40 USD × 0.923 = 0.3692 EUR; 0.10 × 0.923 = 0.0923; 1.60 × 0.923 = 1.4768
    expect(price).toEqual({ input: 369_200, cachedInput: 92_300, cacheWrite: 369_200, output: 1_476_800 });
  });

  const resolved: fc.Arbitrary<ResolvedPrice> = fc.record({
    input: fc.integer({ min: 0, max: 100_000_000 }),
    cachedInput: fc.integer({ min: 0, max: 100_000_000 }),
    cacheWrite: fc.integer({ min: 0, max: 100_000_000 }),
    output: fc.integer({ min: 0, max: 200_000_000 }),
  });
  const tokens = fc.integer({ min: 0, max: 2_000_000 });

  it('never charges less than the exact cost, and less than one micro more', () => {
    fc.assert(
      fc.property(
        resolved,
        tokens,
        tokens,
        tokens,
        tokens,
        (price, inputTokens, cachedInputTokens, cacheWriteTokens, outputTokens) => {
          const cost = BigInt(
            costOf(price, { inputTokens, cachedInputTokens, cacheWriteTokens, outputTokens }),
          );
          const exactTimesMillion =
            BigInt(inputTokens) * BigInt(price.input) +
            BigInt(cachedInputTokens) * BigInt(price.cachedInput) +
            BigInt(cacheWriteTokens) * BigInt(price.cacheWrite) +
            BigInt(outputTokens) * BigInt(price.output);
          expect(cost * 1_000_000n >= exactTimesMillion).toBe(true);
          expect((cost - 1n) * 1_000_000n < exactTimesMillion || cost === 0n).toBe(true);
        },
      ),
    );
  });

  it('bounds every possible actual cost by the worst case', () => {
    fc.assert(
      fc.property(
        resolved,
        tokens,
        tokens,
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (price, inputTokens, maxOutput, cachedShare, writeShare, outputShare) => {
          const cached = cachedShare % (inputTokens + 1);
          const written = writeShare % (inputTokens - cached + 1);
          const usage = {
            inputTokens: inputTokens - cached - written,
            cachedInputTokens: cached,
            cacheWriteTokens: written,
            outputTokens: outputShare % (maxOutput + 1),
          };
          expect(costOf(price, usage)).toBeLessThanOrEqual(worstCaseCost(price, inputTokens, maxOutput));
        },
      ),
    );
  });
});
