import {
  currencyCode,
  formatMoney,
  isValidTimeZone,
  MAX_MONEY_MICROS,
  moneyString,
  type PriceTable,
  parseMoney,
  priceTableSchema,
} from '@allowance/protocol';
import type { Form } from '../pages/form-body.js';

/** A value read from a settings form, or what is wrong with it (errors are data, shown as is). */
export type Reading<T> = { ok: true; value: T } | { ok: false; problem: string; problemDetails?: string[] };

const field = (form: Form, name: string) => (form.get(name) ?? '').trim();

// Not positiveMoneyString.safeParse: its refinement parses even text the pattern refused, and throws.
const isPositiveAmount = (text: unknown): text is string =>
  moneyString.safeParse(text).success && parseMoney(text as string) > 0;

/** An IANA time zone name the runtime knows, such as `Europe/Paris`. */
export function readTimeZone(form: Form): Reading<string> {
  const timeZone = field(form, 'time_zone');
  return timeZone !== '' && timeZone.length <= 64 && isValidTimeZone(timeZone)
    ? { ok: true, value: timeZone }
    : {
        ok: false,
        problem: `"${timeZone}" is not a time zone this wallet knows. Use a name such as Europe/Paris.`,
      };
}

/** An ISO 4217 code such as `EUR`; lower case is accepted and raised. */
export function readCurrency(form: Form): Reading<string> {
  const currency = field(form, 'currency').toUpperCase();
  return currencyCode.safeParse(currency).success
    ? { ok: true, value: currency }
    : { ok: false, problem: `"${currency}" is not an ISO 4217 currency code such as USD or EUR.` };
}

/** A positive amount of money, in micros. */
export function readAmount(form: Form, name: string, label: string): Reading<number> {
  const amount = field(form, name);
  if (!isPositiveAmount(amount)) {
    return { ok: false, problem: `${label}: "${amount}" is not an amount above zero such as 50.00.` };
  }
  const micros = parseMoney(amount);
  return micros <= MAX_MONEY_MICROS
    ? { ok: true, value: micros }
    : { ok: false, problem: `${label} is too large.` };
}

/** The stored overrides, or none when what is stored no longer validates. */
export function storedPriceTable(stored: unknown): PriceTable {
  const parsed = priceTableSchema.safeParse(stored);
  return parsed.success ? parsed.data : {};
}

// Model ids are printable ASCII, so "__proto__" is one; never let it near an object's prototype.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const canonical = (amount: string) => formatMoney(parseMoney(amount));

/**
 * The overrides with one model's price added or replaced, validated as a whole with the
 * protocol's price table schema. Amounts are per million tokens; cached input and cache write
 * may be left empty (they then cost as much as input).
 */
export function withPriceOverride(stored: unknown, form: Form): Reading<PriceTable> {
  const provider = field(form, 'provider');
  const model = field(form, 'model');
  if (UNSAFE_KEYS.has(provider) || UNSAFE_KEYS.has(model)) {
    return { ok: false, problem: 'That provider or model id cannot be used.' };
  }
  const price: Record<string, string> = {
    currency: field(form, 'currency').toUpperCase(),
    input: field(form, 'input'),
    output: field(form, 'output'),
  };
  for (const optional of ['cached_input', 'cache_write']) {
    if (field(form, optional) !== '') price[optional] = field(form, optional);
  }
  const current = storedPriceTable(stored);
  const candidate = {
    ...current,
    [provider]: { ...(Object.hasOwn(current, provider) ? current[provider] : {}), [model]: price },
  };
  const parsed = priceTableSchema.safeParse(candidate);
  if (!parsed.success) {
    return {
      ok: false,
      problem: 'That price was not saved:',
      problemDetails: parsed.error.issues.map((issue) => {
        const [, , name] = issue.path;
        const where = issue.path.length <= 1 ? 'provider' : name === undefined ? 'model' : String(name);
        return `${where}: ${issue.message}`;
      }),
    };
  }
  const entry = parsed.data[provider]?.[model];
  if (entry) {
    entry.input = canonical(entry.input);
    entry.output = canonical(entry.output);
    if (entry.cached_input !== undefined) entry.cached_input = canonical(entry.cached_input);
    if (entry.cache_write !== undefined) entry.cache_write = canonical(entry.cache_write);
  }
  return { ok: true, value: parsed.data };
}

/** The overrides without one model's price: the shipped default, if any, applies again. */
export function withoutPriceOverride(stored: unknown, provider: string, model: string): Reading<PriceTable> {
  const current = storedPriceTable(stored);
  const models = Object.hasOwn(current, provider) ? current[provider] : undefined;
  if (!models || !Object.hasOwn(models, model))
    return { ok: false, problem: 'There is no such price of yours.' };
  const remaining = Object.fromEntries(Object.entries(models).filter(([name]) => name !== model));
  const table = Object.fromEntries(Object.entries(current).filter(([name]) => name !== provider));
  return { ok: true, value: Object.keys(remaining).length > 0 ? { ...table, [provider]: remaining } : table };
}

/** The stored exchange rates, keeping only well-formed entries. */
export function storedExchangeRates(stored: unknown): Record<string, string> {
  if (typeof stored !== 'object' || stored === null) return {};
  return Object.fromEntries(
    Object.entries(stored).filter(
      ([currency, rate]) => currencyCode.safeParse(currency).success && isPositiveAmount(rate),
    ),
  );
}

/**
 * The exchange rates with one rate set: `rate` wallet units for one unit of `currency`, used to
 * convert prices given in that currency. A rate into the wallet's own currency makes no sense.
 */
export function withExchangeRate(
  stored: unknown,
  form: Form,
  walletCurrency: string,
): Reading<Record<string, string>> {
  const currency = readCurrency(form);
  if (!currency.ok) return currency;
  if (currency.value === walletCurrency) {
    return { ok: false, problem: `${walletCurrency} is the wallet’s own currency: it needs no rate.` };
  }
  const rate = readAmount(form, 'rate', 'Rate');
  if (!rate.ok) return rate;
  return { ok: true, value: { ...storedExchangeRates(stored), [currency.value]: formatMoney(rate.value) } };
}

/** The exchange rates without one currency's rate. */
export function withoutExchangeRate(stored: unknown, currency: string): Reading<Record<string, string>> {
  const rates = storedExchangeRates(stored);
  if (!Object.hasOwn(rates, currency)) return { ok: false, problem: 'There is no such exchange rate.' };
  return { ok: true, value: Object.fromEntries(Object.entries(rates).filter(([code]) => code !== currency)) };
}
