/**
 * Money as the spec writes it (Part 3 §3.12, Part 6 §6.2), reimplemented here on purpose rather
 * than imported from the reference wallet, so that a bug there cannot hide itself from the suite.
 */

const MONEY = /^(0|[1-9][0-9]{0,8})(\.[0-9]{1,6})?$/;
const CANONICAL = /^(0|[1-9][0-9]*)\.[0-9]{2}([0-9]{0,3}[1-9])?$/;

/** Parses a money string into micros, or returns `undefined` when it is not valid. */
export function parseMoney(text: string): bigint | undefined {
  const match = MONEY.exec(text);
  if (!match) return undefined;
  const fraction = (match[2] ?? '.').slice(1).padEnd(6, '0');
  return BigInt(match[1] ?? '0') * 1_000_000n + BigInt(fraction === '' ? '0' : fraction);
}

/** The canonical string for an amount of micros (spec [MTR-2]). */
export function formatMoney(micros: bigint): string {
  const units = micros / 1_000_000n;
  let fraction = (micros % 1_000_000n).toString().padStart(6, '0');
  while (fraction.length > 2 && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${units}.${fraction}`;
}

/** Whether a string is a canonical money string. */
export function isCanonicalMoney(text: unknown): text is string {
  return typeof text === 'string' && CANONICAL.test(text) && parseMoney(text) !== undefined;
}

/** Prices in micros per million tokens. */
export interface Price {
  readonly input: bigint;
  readonly cachedInput: bigint;
  readonly cacheWrite: bigint;
  readonly output: bigint;
}

/** A usage record in the four counts of Part 6 §6.2. */
export interface UsageRecord {
  readonly input: number;
  readonly cachedInput: number;
  readonly cacheWrite: number;
  readonly output: number;
}

/** Cost of a usage record: one exact sum, rounded up once ([MTR-12]). */
export function costOf(usage: UsageRecord, price: Price): bigint {
  const sum =
    BigInt(usage.input) * price.input +
    BigInt(usage.cachedInput) * price.cachedInput +
    BigInt(usage.cacheWrite) * price.cacheWrite +
    BigInt(usage.output) * price.output;
  return (sum + 999_999n) / 1_000_000n;
}

/** The shipped default prices (Part 3 §3.14.1) of the models the suite calls, in USD. */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  'openai/gpt-4.1-mini': { input: 400_000n, cachedInput: 100_000n, cacheWrite: 400_000n, output: 1_600_000n },
  'openai/gpt-4.1-nano': { input: 100_000n, cachedInput: 25_000n, cacheWrite: 100_000n, output: 400_000n },
  'openai/text-embedding-3-small': { input: 20_000n, cachedInput: 20_000n, cacheWrite: 20_000n, output: 0n },
  'anthropic/claude-haiku-4-5': {
    input: 1_000_000n,
    cachedInput: 100_000n,
    cacheWrite: 1_250_000n,
    output: 5_000_000n,
  },
};
