import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney, MAX_MONEY_MICROS, moneyString, parseMoney, positiveMoneyString } from './money.js';

describe('money', () => {
  it('parses decimal strings into exact micros', () => {
    expect(parseMoney('10.00')).toBe(10_000_000);
    expect(parseMoney('0.1')).toBe(100_000);
    expect(parseMoney('0.000001')).toBe(1);
    expect(parseMoney('0')).toBe(0);
    expect(parseMoney('1234567.891234')).toBe(1_234_567_891_234);
  });

  it('formats with at least two fractional digits and no needless zeros', () => {
    expect(formatMoney(10_000_000)).toBe('10.00');
    expect(formatMoney(1_500_000)).toBe('1.50');
    expect(formatMoney(1_234)).toBe('0.001234');
    expect(formatMoney(0)).toBe('0.00');
    expect(formatMoney(120_000)).toBe('0.12');
    expect(formatMoney(123_400)).toBe('0.1234');
  });

  it('refuses what is not an exact amount', () => {
    for (const bad of ['1e3', '-1.00', '01.00', '1.', '.5', '1.0000001', ' 1', '1,00', 'NaN', '']) {
      expect(() => parseMoney(bad), bad).toThrow(RangeError);
      expect(moneyString.safeParse(bad).success, bad).toBe(false);
    }
    expect(() => parseMoney('1000000000.00')).toThrow(RangeError);
    // A schema never throws on bad input: it reports it.
    expect(positiveMoneyString.safeParse('ten').success).toBe(false);
    expect(positiveMoneyString.safeParse('0.00').success).toBe(false);
    expect(positiveMoneyString.safeParse('0.000001').success).toBe(true);
    expect(() => formatMoney(1.5)).toThrow(RangeError);
    expect(() => formatMoney(-1)).toThrow(RangeError);
  });

  it('round-trips every amount exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MONEY_MICROS }), (micros) => {
        const text = formatMoney(micros);
        expect(moneyString.safeParse(text).success).toBe(true);
        expect(parseMoney(text)).toBe(micros);
      }),
    );
  });

  it('parses any well-formed decimal to the value its digits say', () => {
    const decimal = fc
      .tuple(
        fc.bigInt({ min: 0n, max: 999_999_999n }),
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 6 }),
      )
      .map(([whole, fraction]) => ({ text: `${whole}.${fraction}`, whole, fraction }));
    fc.assert(
      fc.property(decimal, ({ text, whole, fraction }) => {
        const expected = whole * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
        expect(BigInt(parseMoney(text))).toBe(expected);
      }),
    );
  });
});
