import { gatewayErrorBody } from '@allowance/protocol';
import { describe, expect, it } from 'vitest';
import { AllowanceError } from './allowance-error.js';
import {
  BudgetExhaustedError,
  ConfirmationRequiredError,
  GrantRevokedError,
  RateLimitedError,
  TokenBudgetExhaustedError,
} from './gateway-errors.js';
import { toAllowanceError } from './to-allowance-error.js';

// Gateway bodies are built with the protocol's own function, so they are the shapes the gateway sends.
describe('toAllowanceError on raw gateway bodies', () => {
  it('maps the OpenAI shape and the Anthropic shape to the same typed error, with the table status', () => {
    for (const family of ['openai', 'anthropic'] as const) {
      const error = toAllowanceError(
        gatewayErrorBody(family, 'budget_exhausted', 'Only 0.01 USD left today.'),
      );
      expect(error).toBeInstanceOf(BudgetExhaustedError);
      expect(error).toMatchObject({
        code: 'budget_exhausted',
        status: 402,
        message: 'Only 0.01 USD left today.',
      });
    }
    expect(toAllowanceError(gatewayErrorBody('openai', 'token_budget_exhausted', 'x'))).toBeInstanceOf(
      TokenBudgetExhaustedError,
    );
  });

  it('reads the confirmation object of spec 06-metering §6.10', () => {
    // The example body of the spec, verbatim.
    const body = {
      error: {
        message: 'This call could cost up to 0.996 USD; the user must confirm it.',
        type: 'permission_error',
        code: 'confirmation_required',
        param: null,
        confirmation: {
          id: 'cf_7Hq2LmX9pR4sT1vW',
          url: 'https://wallet.example/confirmations/cf_7Hq2LmX9pR4sT1vW',
          expires_at: '2026-11-23T10:25:00Z',
          estimated_max_cost: '0.996',
        },
      },
    };
    const error = toAllowanceError(body);
    expect(error).toBeInstanceOf(ConfirmationRequiredError);
    expect((error as ConfirmationRequiredError).confirmation).toEqual({
      id: 'cf_7Hq2LmX9pR4sT1vW',
      url: 'https://wallet.example/confirmations/cf_7Hq2LmX9pR4sT1vW',
      expiresAt: '2026-11-23T10:25:00Z',
      estimatedMaxCost: '0.996',
    });
    const anthropic = toAllowanceError({ type: 'error', error: { ...body.error, param: undefined } });
    expect((anthropic as ConfirmationRequiredError).confirmation?.id).toBe('cf_7Hq2LmX9pR4sT1vW');
    expect(toAllowanceError(gatewayErrorBody('openai', 'confirmation_required', 'no object'))).toMatchObject({
      confirmation: undefined,
    });
  });

  it('keeps codes without a subclass as AllowanceError with their code and status', () => {
    const error = toAllowanceError(gatewayErrorBody('anthropic', 'max_output_tokens_exceeded', 'too many'));
    expect(error?.constructor).toBe(AllowanceError);
    expect(error).toMatchObject({ code: 'max_output_tokens_exceeded', status: 403 });
  });

  it('returns undefined for what the gateway did not say: provider errors, other errors, non-errors', () => {
    expect(
      toAllowanceError({ error: { message: 'context too long', type: 'invalid_request_error', code: null } }),
    ).toBeUndefined();
    expect(toAllowanceError({ error: { code: 'context_length_exceeded', message: 'x' } })).toBeUndefined();
    expect(toAllowanceError(new Error('boom'))).toBeUndefined();
    expect(toAllowanceError('budget_exhausted')).toBeUndefined();
    expect(toAllowanceError(null)).toBeUndefined();
  });
});

describe('toAllowanceError on SDK-shaped errors', () => {
  it('takes status and Retry-After from an error carrying the response headers', () => {
    const sdkError = Object.assign(new Error('429 slow down'), {
      status: 429,
      headers: new Headers({ 'retry-after': '7' }),
      error: gatewayErrorBody('openai', 'rate_limited', 'slow down').error,
    });
    const error = toAllowanceError(sdkError);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ status: 429, retryAfterSeconds: 7, cause: sdkError });
  });

  it('finds an AllowanceError or a gateway body along the cause chain', () => {
    const revoked = new GrantRevokedError();
    expect(toAllowanceError(new Error('Connection error.', { cause: revoked }))).toBe(revoked);
    expect(toAllowanceError(revoked)).toBe(revoked);
    const wrapped = new Error('outer', {
      cause: { status: 402, ...gatewayErrorBody('openai', 'budget_exhausted', 'x') },
    });
    expect(toAllowanceError(wrapped)).toBeInstanceOf(BudgetExhaustedError);
  });
});
