import { describe, expect, it } from 'vitest';
import { allowance } from './allowance-builder.js';
import { InvalidAllowanceError } from './authorization-errors.js';

describe('the allowance builder', () => {
  it('builds the ai_allowance object of spec Part 3', () => {
    const built = allowance()
      .providers('anthropic', 'openai')
      .models('claude-sonnet-4-5', 'gpt-4.1-mini')
      .currency('EUR')
      .budget('10.00', 'month')
      .budget('1.00', 'day')
      .tokens({ maxInputPerRequest: 50_000, maxOutputPerRequest: 4000, perPeriod: { day: 2_000_000 } })
      .rate(60)
      .confirmAbove('0.50')
      .scopes('document:read', 'document:write')
      .retention('none')
      .expiresAt(new Date(Date.UTC(2026, 11, 31)))
      .build();
    expect(built).toEqual({
      type: 'ai_allowance',
      providers: ['anthropic', 'openai'],
      models: ['claude-sonnet-4-5', 'gpt-4.1-mini'],
      budget: {
        currency: 'EUR',
        limits: [
          { amount: '10.00', period: 'month' },
          { amount: '1.00', period: 'day' },
        ],
      },
      tokens: {
        max_input_per_request: 50_000,
        max_output_per_request: 4000,
        limits: [{ tokens: 2_000_000, period: 'day' }],
      },
      rate: { requests_per_minute: 60 },
      confirm_above: { amount: '0.50' },
      scopes: ['document:read', 'document:write'],
      retention: 'none',
      expires_at: '2026-12-31T00:00:00Z',
    });
  });

  it('leaves out what was not set, and takes the currency from build() when none was set', () => {
    const base = allowance().providers('openai').models('gpt-4.1-mini');
    expect(base.build()).toEqual({ type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] });
    expect(base.budget('2.00', 'week').build({ currency: 'USD' }).budget).toEqual({
      currency: 'USD',
      limits: [{ amount: '2.00', period: 'week' }],
    });
  });

  it('returns a new builder from every method, so a base request can be reused', () => {
    const base = allowance().providers('openai').models('gpt-4.1-mini');
    const narrow = base.budget('1.00', 'day');
    expect(base.build({ currency: 'USD' }).budget).toBeUndefined();
    expect(narrow.build({ currency: 'USD' }).budget?.limits).toEqual([{ amount: '1.00', period: 'day' }]);
  });

  function problems(build: () => unknown): readonly string[] {
    try {
      build();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidAllowanceError);
      expect((error as InvalidAllowanceError).code).toBe('invalid_authorization_details');
      return (error as InvalidAllowanceError).issues;
    }
    throw new Error('build() accepted an invalid allowance');
  }

  it('lists every problem, with its path', () => {
    const issues = problems(() =>
      allowance().providers('OpenAI').models().budget('0.00', 'month').rate(0).build({ currency: 'USD' }),
    );
    expect(issues.map((issue) => issue.slice(0, issue.indexOf(':'))).sort()).toEqual([
      'budget.limits.0.amount',
      'models',
      'providers.0',
      'rate.requests_per_minute',
    ]);
  });

  it('reports a malformed amount with its path', () => {
    expect(
      problems(() =>
        allowance()
          .providers('openai')
          .models('gpt-4.1-mini')
          .budget('ten', 'month')
          .build({ currency: 'USD' }),
      ),
    ).toEqual([expect.stringMatching(/^budget\.limits\.0\.amount: must be a decimal amount/)]);
    expect(
      problems(() => allowance().providers('openai').models('gpt-4.1-mini').confirmAbove('1,5').build()),
    ).toEqual([expect.stringMatching(/^confirm_above\.amount:/)]);
  });

  it('leaves the currency out when none is known yet, for startAuthorization to fill in', () => {
    expect(
      allowance().providers('openai').models('gpt-4.1-mini').budget('1.00', 'day').build().budget,
    ).toEqual({
      limits: [{ amount: '1.00', period: 'day' }],
    });
  });
});
