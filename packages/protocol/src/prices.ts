import { z } from 'zod';
import { modelIdSchema, providerIdSchema } from './allowance-details.js';
import { ceilDivide, currencyCode, MICROS_PER_UNIT, moneyString, parseMoney, toSafeMicros } from './money.js';

/** Prices of one model, as decimal amounts per million tokens. */
export const modelPriceSchema = z.strictObject({
  currency: currencyCode,
  input: moneyString,
  /** Prompt tokens served from the provider's cache; defaults to `input`. */
  cached_input: moneyString.optional(),
  /** Prompt tokens written to the provider's cache (Anthropic); defaults to `input`. */
  cache_write: moneyString.optional(),
  output: moneyString,
});

/** Prices of one model, in the wire form. */
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** A price table: provider id → model id → price. */
export const priceTableSchema = z.record(providerIdSchema, z.record(modelIdSchema, modelPriceSchema));

/** A price table: provider id → model id → price. */
export type PriceTable = z.infer<typeof priceTableSchema>;

/** A model's prices resolved into the wallet currency, in micros per million tokens. */
export interface ResolvedPrice {
  input: number;
  cachedInput: number;
  cacheWrite: number;
  output: number;
}

/**
 * Token usage of one call, normalized across providers. `inputTokens` excludes cached and
 * cache-write tokens: OpenAI's `prompt_tokens` includes `cached_tokens`, Anthropic's
 * `input_tokens` excludes both cache counts, and adapters map both to this shape.
 */
export interface Usage {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
}

const TOKENS_PER_PRICE_UNIT = 1_000_000n;

const price = (
  currency: string,
  input: string,
  cachedInput: string,
  output: string,
  cacheWrite?: string,
): ModelPrice => ({
  currency,
  input,
  cached_input: cachedInput,
  ...(cacheWrite && { cache_write: cacheWrite }),
  output,
});

/**
 * Prices the wallet ships with, in USD per million tokens, from the providers' published price
 * lists. Models whose price we could not confirm are left out on purpose: users override or
 * extend the table, and a model missing here is unpriced, never free.
 */
export const DEFAULT_PRICES: PriceTable = {
  openai: {
    'gpt-5.1': price('USD', '1.25', '0.125', '10.00'),
    'gpt-5': price('USD', '1.25', '0.125', '10.00'),
    'gpt-5-mini': price('USD', '0.25', '0.025', '2.00'),
    'gpt-5-nano': price('USD', '0.05', '0.005', '0.40'),
    'gpt-4.1': price('USD', '2.00', '0.50', '8.00'),
    'gpt-4.1-mini': price('USD', '0.40', '0.10', '1.60'),
    'gpt-4.1-nano': price('USD', '0.10', '0.025', '0.40'),
    'gpt-4o': price('USD', '2.50', '1.25', '10.00'),
    'gpt-4o-mini': price('USD', '0.15', '0.075', '0.60'),
    o3: price('USD', '2.00', '0.50', '8.00'),
    'o4-mini': price('USD', '1.10', '0.275', '4.40'),
    'text-embedding-3-small': price('USD', '0.02', '0.02', '0.00'),
    'text-embedding-3-large': price('USD', '0.13', '0.13', '0.00'),
  },
  anthropic: {
    'claude-opus-4-5': price('USD', '5.00', '0.50', '25.00', '6.25'),
    'claude-opus-4-1': price('USD', '15.00', '1.50', '75.00', '18.75'),
    // Sonnet-tier price, unchanged since Claude 3.5 Sonnet.
    'claude-sonnet-4-6': price('USD', '3.00', '0.30', '15.00', '3.75'),
    'claude-sonnet-4-5': price('USD', '3.00', '0.30', '15.00', '3.75'),
    'claude-sonnet-4': price('USD', '3.00', '0.30', '15.00', '3.75'),
    'claude-haiku-4-5': price('USD', '1.00', '0.10', '5.00', '1.25'),
    'claude-3-5-haiku': price('USD', '0.80', '0.08', '4.00', '1.00'),
  },
  deepseek: {
    'deepseek-chat': price('USD', '0.28', '0.028', '0.42'),
    'deepseek-reasoner': price('USD', '0.28', '0.028', '0.42'),
  },
};

/** How to read a price table for one wallet. */
export interface PriceLookup {
  /** The wallet currency. */
  currency: string;
  /**
   * Optional exchange rates into the wallet currency: `{ USD: "0.92" }` means one USD is worth
   * 0.92 wallet units. A price in a currency with no rate is unpriced.
   */
  exchangeRates?: Readonly<Record<string, string>>;
}

/**
 * The price of a model at a provider, in the wallet currency, or `undefined` when it is
 * unpriced (missing from the table, or in a currency the wallet cannot convert).
 */
export function findPrice(
  table: PriceTable,
  provider: string,
  model: string,
  lookup: PriceLookup,
): ResolvedPrice | undefined {
  const entry = Object.hasOwn(table, provider) ? table[provider] : undefined;
  const modelPrice = entry && Object.hasOwn(entry, model) ? entry[model] : undefined;
  if (!modelPrice) return undefined;
  let convert = (micros: number) => micros;
  if (modelPrice.currency !== lookup.currency) {
    const rate = lookup.exchangeRates?.[modelPrice.currency];
    if (rate === undefined) return undefined;
    const rateMicros = BigInt(parseMoney(rate));
    // Converted prices round up, like costs: a conversion never makes a call cheaper.
    convert = (micros) => toSafeMicros(ceilDivide(BigInt(micros) * rateMicros, BigInt(MICROS_PER_UNIT)));
  }
  const input = convert(parseMoney(modelPrice.input));
  return {
    input,
    cachedInput: modelPrice.cached_input === undefined ? input : convert(parseMoney(modelPrice.cached_input)),
    cacheWrite: modelPrice.cache_write === undefined ? input : convert(parseMoney(modelPrice.cache_write)),
    output: convert(parseMoney(modelPrice.output)),
  };
}

/**
 * The cost of one call in micros: every token class priced, summed, divided by a million and
 * rounded up once, in exact integer arithmetic.
 *
 * @example costOf(findPrice(DEFAULT_PRICES, 'openai', 'gpt-4.1-mini', { currency: 'USD' })!, usage)
 */
export function costOf(resolved: ResolvedPrice, usage: Usage): number {
  for (const value of Object.values(usage)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a token count: ${value}`);
  }
  const total =
    BigInt(usage.inputTokens) * BigInt(resolved.input) +
    BigInt(usage.cachedInputTokens) * BigInt(resolved.cachedInput) +
    BigInt(usage.cacheWriteTokens) * BigInt(resolved.cacheWrite) +
    BigInt(usage.outputTokens) * BigInt(resolved.output);
  return toSafeMicros(ceilDivide(total, TOKENS_PER_PRICE_UNIT));
}

/**
 * The most a call can cost before it runs: every input token priced at the dearest input class
 * (an app can ask for cache writes, which cost more than plain input at Anthropic), and every
 * output token the call may produce.
 */
export function worstCaseCost(resolved: ResolvedPrice, inputTokens: number, maxOutputTokens: number): number {
  const dearestInput = Math.max(resolved.input, resolved.cachedInput, resolved.cacheWrite);
  return costOf(
    { ...resolved, input: dearestInput },
    { inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: maxOutputTokens },
  );
}
