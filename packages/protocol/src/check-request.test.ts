import { describe, expect, it } from 'vitest';
import { approvedAiAllowanceSchema } from './allowance-details.js';
import { checkRequest } from './check-request.js';
import { DEFAULT_PRICES, findPrice } from './prices.js';

const now = new Date('2026-11-23T12:00:00Z');
const grant = approvedAiAllowanceSchema.parse({
  type: 'ai_allowance',
  providers: ['openai', 'anthropic'],
  models: ['gpt-4.1-mini', 'anthropic/claude-sonnet-4-5', 'local-llama'],
  budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
  tokens: { max_input_per_request: 1000, max_output_per_request: 500 },
  confirm_above: { amount: '0.005' },
  retention: 'provider_default',
  expires_at: '2027-01-01T00:00:00Z',
});
const price = findPrice(DEFAULT_PRICES, 'openai', 'gpt-4.1-mini', { currency: 'USD' });
const call = {
  target: { provider: 'openai', model: 'gpt-4.1-mini' },
  inputTokens: 100,
  maxOutputTokens: 200,
  fallbackMaxOutputTokens: 4096,
  price,
  now,
};

const codeOf = (verdict: ReturnType<typeof checkRequest>) => (verdict.ok ? 'ok' : verdict.refusal.code);

describe('checkRequest', () => {
  it('allows a call inside the grant and prices its worst case', () => {
    const verdict = checkRequest(grant, call);
    // 100 × 0.40 + 200 × 1.60 = 40 + 320 = 360 micros
    expect(verdict).toEqual({
      ok: true,
      maxOutputTokens: 200,
      worstCaseCostMicros: 360,
      needsConfirmation: false,
    });
  });

  it('refuses with the code the spec gives each rule', () => {
    expect(codeOf(checkRequest(grant, { ...call, now: new Date('2027-01-01T00:00:00Z') }))).toBe(
      'grant_expired',
    );
    expect(
      codeOf(checkRequest(grant, { ...call, target: { provider: 'deepseek', model: 'gpt-4.1-mini' } })),
    ).toBe('provider_not_allowed');
    expect(codeOf(checkRequest(grant, { ...call, target: { provider: 'openai', model: 'gpt-5' } }))).toBe(
      'model_not_allowed',
    );
    expect(
      codeOf(checkRequest(grant, { ...call, target: { provider: 'openai', model: 'claude-sonnet-4-5' } })),
    ).toBe('model_not_allowed');
    expect(
      codeOf(
        checkRequest(grant, {
          ...call,
          target: { provider: 'openai', model: 'local-llama' },
          price: undefined,
        }),
      ),
    ).toBe('model_unpriced');
    expect(codeOf(checkRequest(grant, { ...call, inputTokens: 1001 }))).toBe('max_input_tokens_exceeded');
    expect(codeOf(checkRequest(grant, { ...call, maxOutputTokens: 501 }))).toBe('max_output_tokens_exceeded');
    expect(codeOf(checkRequest(grant, { ...call, inputTokens: 1000, maxOutputTokens: 500 }))).toBe('ok');
  });

  it('applies the grant cap when the app asks for no output limit', () => {
    const verdict = checkRequest(grant, { ...call, maxOutputTokens: undefined });
    expect(verdict.ok && verdict.maxOutputTokens).toBe(500);
    const uncapped = approvedAiAllowanceSchema.parse({ ...grant, tokens: undefined });
    const fallback = checkRequest(uncapped, { ...call, maxOutputTokens: undefined });
    expect(fallback.ok && fallback.maxOutputTokens).toBe(4096);
  });

  it('asks for a confirmation only above the threshold', () => {
    // 1000 × 0.40 + 500 × 1.60 = 400 + 800 = 1200 micros = 0.0012, under 0.005
    expect(checkRequest(grant, { ...call, inputTokens: 1000, maxOutputTokens: 500 })).toMatchObject({
      needsConfirmation: false,
    });
    const strict = approvedAiAllowanceSchema.parse({ ...grant, confirm_above: { amount: '0.0012' } });
    expect(checkRequest(strict, { ...call, inputTokens: 1000, maxOutputTokens: 500 })).toMatchObject({
      needsConfirmation: false,
    });
    expect(
      checkRequest(strict, {
        ...call,
        inputTokens: 1000,
        maxOutputTokens: 500,
        price: price && { ...price, output: price.output + 1 },
      }),
    ).toMatchObject({
      needsConfirmation: true,
    });
  });

  it('lets an unpriced model through a grant limited only in tokens, without a cost', () => {
    const tokenOnly = approvedAiAllowanceSchema.parse({
      ...grant,
      budget: undefined,
      confirm_above: undefined,
    });
    const unpriced = { ...call, target: { provider: 'openai', model: 'local-llama' }, price: undefined };
    expect(checkRequest(tokenOnly, unpriced)).toEqual({
      ok: true,
      maxOutputTokens: 200,
      worstCaseCostMicros: undefined,
      needsConfirmation: false,
    });
    // A confirmation threshold or a wallet-wide cap is a money constraint too.
    const confirming = approvedAiAllowanceSchema.parse({ ...grant, budget: undefined });
    expect(codeOf(checkRequest(confirming, unpriced))).toBe('model_unpriced');
    expect(codeOf(checkRequest(tokenOnly, { ...unpriced, walletCapped: true }))).toBe('model_unpriced');
  });
});
