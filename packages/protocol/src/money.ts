import { z } from 'zod';

/** Micro-units in one unit of a currency: money is always an integer count of these. */
export const MICROS_PER_UNIT = 1_000_000;

/** The largest amount the wire format carries (999,999,999.999999), in micros. */
export const MAX_MONEY_MICROS = 999_999_999_999_999;

/**
 * The wire form of money: a decimal string with at most six fractional digits and no sign, no
 * exponent, no leading zeros. Never a JSON number, because a float cannot hold 0.1 exactly.
 */
export const MONEY_PATTERN = /^(0|[1-9][0-9]{0,8})(\.[0-9]{1,6})?$/;

/** zod schema for a decimal money string such as `"10.00"` or `"0.000250"`. */
export const moneyString = z
  .string()
  .regex(MONEY_PATTERN, 'must be a decimal amount with at most 6 fractional digits, such as "10.00"');

/** zod schema for a strictly positive decimal money string. */
// zod runs refinements even when the pattern already failed, so this one must not throw.
export const positiveMoneyString = moneyString.refine(
  (value) => MONEY_PATTERN.test(value) && parseMoney(value) > 0,
  'must be above zero',
);

/** ISO 4217 alphabetic currency code. */
export const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"');

/**
 * Parses a decimal money string into integer micro-units, exactly.
 *
 * @throws RangeError when the string is not a valid amount.
 * @example parseMoney('10.00') // 10_000_000
 */
export function parseMoney(value: string): number {
  const known = parsedAmounts.get(value);
  if (known !== undefined) return known;
  if (!MONEY_PATTERN.test(value)) {
    throw new RangeError(`not a money amount: ${JSON.stringify(value)}`);
  }
  const [whole = '0', fraction = ''] = value.split('.');
  // At most 9 + 6 digits, so the result is always a safe integer.
  const micros = Number(whole) * MICROS_PER_UNIT + Number(fraction.padEnd(6, '0'));
  if (parsedAmounts.size >= PARSED_LIMIT) parsedAmounts.clear();
  parsedAmounts.set(value, micros);
  return micros;
}

// The same few amounts (a grant's limits, the wallet's prices) are parsed several times on every
// metered call (BENCHMARKS.md, "Profiling and fixes"): each is parsed once and remembered, up to a bound.
const parsedAmounts = new Map<string, number>();
const PARSED_LIMIT = 4_096;

/**
 * Formats integer micro-units as a decimal string with at least two fractional digits and no
 * trailing zeros beyond them.
 *
 * @example formatMoney(1_500_000) // "1.50"
 * @example formatMoney(1_234) // "0.001234"
 */
export function formatMoney(micros: number): string {
  if (!Number.isSafeInteger(micros) || micros < 0) {
    throw new RangeError(`not a non-negative integer count of micros: ${micros}`);
  }
  const whole = Math.floor(micros / MICROS_PER_UNIT);
  const fraction = String(micros % MICROS_PER_UNIT)
    .padStart(6, '0')
    .replace(/0+$/, '')
    .padEnd(2, '0');
  return `${whole}.${fraction}`;
}

/** Integer division rounding up, for prices: the wallet never under-charges by rounding. */
export function ceilDivide(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n || numerator < 0n) {
    throw new RangeError('ceilDivide takes a non-negative numerator and a positive denominator');
  }
  return (numerator + denominator - 1n) / denominator;
}

/** Converts a bigint count of micros back to a number, refusing anything past the safe range. */
export function toSafeMicros(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`amount of ${value} micros exceeds the largest supported amount`);
  }
  return Number(value);
}
