import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AiAllowance, aiAllowanceSchema } from './allowance-details.js';
import { formatMoney, parseMoney } from './money.js';
import { narrow } from './narrow.js';
import { PERIODS } from './periods.js';

const now = new Date('2026-11-23T12:00:00Z');
const requestedExpiry = '2027-06-30T00:00:00Z';

const amount = fc.integer({ min: 1, max: 1_000_000_000 }).map(formatMoney);
const periodsSubset = fc.subarray([...PERIODS], { minLength: 1, maxLength: 5 });

const requestArbitrary: fc.Arbitrary<AiAllowance> = fc
  .record({
    providers: fc.subarray(['openai', 'anthropic', 'deepseek', 'acme'], { minLength: 1 }),
    models: fc.subarray(
      ['gpt-4.1-mini', 'claude-sonnet-4-5', 'deepseek-chat', 'acme/gpt-4.1-mini', 'meta-llama/Llama-3'],
      {
        minLength: 1,
      },
    ),
    budget: fc.option(
      periodsSubset.chain((periods) =>
        fc.tuple(...periods.map((period) => amount.map((value) => ({ amount: value, period })))),
      ),
      { nil: undefined },
    ),
    maxInput: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
    maxOutput: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
    rate: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
    confirm: fc.option(amount, { nil: undefined }),
    scopes: fc.option(fc.subarray(['document:read', 'document:write', 'drafts:search']), { nil: undefined }),
    retention: fc.option(fc.constantFrom('none' as const, 'provider_default' as const), { nil: undefined }),
    expires: fc.boolean(),
  })
  .map((value) => {
    const detail: AiAllowance = {
      type: 'ai_allowance',
      providers: value.providers,
      models: value.models.filter((model) => !model.startsWith('acme/') || value.providers.includes('acme')),
    };
    if (detail.models.length === 0) detail.models = ['gpt-4.1-mini'];
    if (value.budget) detail.budget = { currency: 'USD', limits: value.budget };
    if (value.maxInput || value.maxOutput) {
      detail.tokens = { max_input_per_request: value.maxInput, max_output_per_request: value.maxOutput };
    }
    if (value.rate) detail.rate = { requests_per_minute: value.rate };
    if (value.confirm) detail.confirm_above = { amount: value.confirm };
    if (value.scopes) detail.scopes = value.scopes;
    if (value.retention) detail.retention = value.retention;
    if (value.expires) detail.expires_at = requestedExpiry;
    return aiAllowanceSchema.parse(JSON.parse(JSON.stringify(detail)));
  });

/** A narrowing the user may make on the consent screen: each choice only ever tightens. */
function narrowedFrom(requested: AiAllowance) {
  return fc
    .record({
      providers: fc.shuffledSubarray(requested.providers, { minLength: 1 }),
      keepModels: fc.array(fc.boolean(), {
        minLength: requested.models.length,
        maxLength: requested.models.length,
      }),
      lower: fc.double({ min: 0.01, max: 1, noNaN: true }),
      addDailyTokens: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
      expiresInDays: fc.integer({ min: 1, max: 200 }),
      strictRetention: fc.boolean(),
    })
    .map((choice) => {
      const lowerMoney = (value: string) =>
        formatMoney(Math.max(1, Math.floor(parseMoney(value) * choice.lower)));
      const lowerCount = (value: number) => Math.max(1, Math.floor(value * choice.lower));
      const usable = (providers: string[]) =>
        requested.models.filter((model) => {
          const prefix = model.split('/')[0] ?? '';
          return !requested.providers.includes(prefix) || providers.includes(prefix);
        });
      // Unticking every provider a kept model needs is not a choice the screen offers.
      const providers = usable(choice.providers).length > 0 ? choice.providers : requested.providers;
      const candidates = usable(providers);
      const kept = candidates.filter((_, index) => choice.keepModels[index]);
      const models = kept.length > 0 ? kept : candidates.slice(0, 1);
      const expiry = new Date(now.getTime() + choice.expiresInDays * 86_400_000);
      const latest = requested.expires_at && Date.parse(requested.expires_at) < expiry.getTime();
      return {
        ...requested,
        providers,
        models,
        budget: requested.budget && {
          ...requested.budget,
          limits: requested.budget.limits.map((limit) => ({ ...limit, amount: lowerMoney(limit.amount) })),
        },
        tokens: {
          ...(requested.tokens?.max_input_per_request && {
            max_input_per_request: lowerCount(requested.tokens.max_input_per_request),
          }),
          ...(requested.tokens?.max_output_per_request && {
            max_output_per_request: lowerCount(requested.tokens.max_output_per_request),
          }),
          ...(choice.addDailyTokens && {
            limits: [{ tokens: choice.addDailyTokens, period: 'day' as const }],
          }),
        },
        rate: requested.rate && { requests_per_minute: lowerCount(requested.rate.requests_per_minute) },
        confirm_above: requested.confirm_above && { amount: lowerMoney(requested.confirm_above.amount) },
        retention: choice.strictRetention ? 'none' : (requested.retention ?? 'provider_default'),
        expires_at: latest ? requested.expires_at : expiry.toISOString().replace('.000Z', 'Z'),
      };
    });
}

type Widening = (detail: Record<string, unknown> & AiAllowance) => Record<string, unknown> | undefined;

/** Each of these makes an approval wider than the request in exactly one way (or does not apply). */
const widenings: Record<string, Widening> = {
  'adds a provider': (detail) => ({ ...detail, providers: [...detail.providers, 'mistral'] }),
  'adds a model': (detail) => ({ ...detail, models: [...detail.models, 'gpt-5'] }),
  'raises a budget limit': (detail) =>
    detail.budget && {
      ...detail,
      budget: {
        ...detail.budget,
        limits: detail.budget.limits.map((limit, index) =>
          index === 0 ? { ...limit, amount: formatMoney(parseMoney(limit.amount) + 1) } : limit,
        ),
      },
    },
  'drops a budget limit': (detail) =>
    detail.budget && detail.budget.limits.length > 1
      ? { ...detail, budget: { ...detail.budget, limits: detail.budget.limits.slice(1) } }
      : detail.budget && { ...detail, budget: undefined },
  'changes the currency': (detail) =>
    detail.budget && { ...detail, budget: { ...detail.budget, currency: 'EUR' } },
  'raises the output cap': (detail) =>
    detail.tokens?.max_output_per_request
      ? {
          ...detail,
          tokens: { ...detail.tokens, max_output_per_request: detail.tokens.max_output_per_request + 1 },
        }
      : undefined,
  'drops the input cap': (detail) =>
    detail.tokens?.max_input_per_request
      ? { ...detail, tokens: { ...detail.tokens, max_input_per_request: undefined } }
      : undefined,
  'raises the rate': (detail) =>
    detail.rate && { ...detail, rate: { requests_per_minute: detail.rate.requests_per_minute + 1 } },
  'raises the confirmation threshold': (detail) =>
    detail.confirm_above && {
      ...detail,
      confirm_above: { amount: formatMoney(parseMoney(detail.confirm_above.amount) + 1) },
    },
  'adds a scope': (detail) => ({ ...detail, scopes: [...(detail.scopes ?? []), 'admin:everything'] }),
  'relaxes retention': (detail) =>
    detail.retention === 'none' ? { ...detail, retention: 'provider_default' } : undefined,
  'extends the expiry': (detail) =>
    detail.expires_at === requestedExpiry ? { ...detail, expires_at: '2027-07-01T00:00:00Z' } : undefined,
  'adds an unknown member': (detail) => ({ ...detail, unlimited: true }),
};

describe('narrow', () => {
  it('accepts every narrowing a user can make', () => {
    fc.assert(
      fc.property(
        requestArbitrary.chain((requested) => fc.tuple(fc.constant(requested), narrowedFrom(requested))),
        ([requested, approved]) => {
          const result = narrow(requested, JSON.parse(JSON.stringify(approved)), { now });
          expect(result.ok ? [] : result.violations).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses every approval that is wider than the request in any one way', () => {
    const mutation = fc.constantFrom(...Object.entries(widenings));
    fc.assert(
      fc.property(requestArbitrary, mutation, (requested, [name, widen]) => {
        const base = { ...requested, expires_at: requested.expires_at ?? '2027-01-01T00:00:00Z' };
        const widened = widen(base);
        fc.pre(widened !== undefined);
        const result = narrow(requested, JSON.parse(JSON.stringify(widened)), { now });
        expect(result.ok, name).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('names each violation by its path', () => {
    const requested = aiAllowanceSchema.parse({
      type: 'ai_allowance',
      providers: ['openai', 'acme'],
      models: ['gpt-4.1-mini', 'acme/gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '10.00', period: 'month' }] },
      retention: 'none',
    });
    const result = narrow(
      requested,
      {
        type: 'ai_allowance',
        providers: ['openai'],
        models: ['acme/gpt-4.1-mini'],
        budget: { currency: 'USD', limits: [{ amount: '10.000001', period: 'month' }] },
        retention: 'provider_default',
        expires_at: '2026-11-01T00:00:00Z',
      },
      { now },
    );
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.violations.map((violation) => violation.path)).toEqual([
      'models',
      'budget.limits.month',
      'retention',
      'expires_at',
    ]);
  });

  it('holds the expiry to the wallet maximum', () => {
    const requested = aiAllowanceSchema.parse({
      type: 'ai_allowance',
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
    });
    const approved = { ...requested, retention: 'provider_default', expires_at: '2027-12-01T00:00:00Z' };
    expect(narrow(requested, approved, { now, latestExpiry: new Date('2027-02-21T12:00:00Z') }).ok).toBe(
      false,
    );
    expect(narrow(requested, approved, { now }).ok).toBe(true);
  });

  it('requires an expiry and a retention on an approval', () => {
    const requested = aiAllowanceSchema.parse({
      type: 'ai_allowance',
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
    });
    const result = narrow(requested, requested, { now });
    expect(result.ok ? [] : result.violations.map((violation) => violation.path)).toEqual([
      'retention',
      'expires_at',
    ]);
  });
});
