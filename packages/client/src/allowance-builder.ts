import { AI_ALLOWANCE_TYPE, type Period } from '@allowance/protocol';
import { type AllowanceDetails, validateAllowanceDetails } from './allowance-validation.js';

/** Token caps per request and token limits per period, in the builder's spelling. */
export interface TokenLimits {
  /** Largest input (prompt) one request may have, in tokens. */
  maxInputPerRequest?: number;
  /** Largest output one request may ask for, in tokens. */
  maxOutputPerRequest?: number;
  /** Tokens (input plus output) per calendar period, for example `{ day: 2_000_000 }`. */
  perPeriod?: Partial<Record<Period, number>>;
}

interface Draft {
  providers?: string[];
  models?: string[];
  currency?: string;
  budget: Partial<Record<Period, string>>;
  tokens?: TokenLimits;
  requestsPerMinute?: number;
  confirmAbove?: string;
  scopes?: string[];
  retention?: 'none' | 'provider_default';
  expiresAt?: string;
}

/** RFC 3339 UTC without fractions, the form spec Part 3 shows. */
function utcTimestamp(date: Date | string): string {
  const parsed = typeof date === 'string' ? new Date(date) : date;
  if (Number.isNaN(parsed.getTime())) return String(date);
  return parsed.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Builds the `ai_allowance` object an app requests (spec Part 3), with names an editor can
 * complete. Each method returns a new builder, so a base request can be reused. `build()`
 * validates the result with the protocol's schema and throws {@link InvalidAllowanceError}
 * listing every problem.
 *
 * @example
 * const request = allowance()
 *   .providers('openai', 'anthropic')
 *   .models('gpt-4.1-mini', 'claude-sonnet-4-5')
 *   .budget('5.00', 'month')
 *   .budget('1.00', 'day')
 *   .tokens({ maxOutputPerRequest: 4000 })
 *   .scopes('document:read')
 *   .retention('none');
 * // Pass the builder (or request.build()) to startAuthorization, which fills in the wallet's currency.
 */
export class AllowanceBuilder {
  #draft: Draft = { budget: {} };

  #with(change: Partial<Draft>): AllowanceBuilder {
    const next = new AllowanceBuilder();
    next.#draft = { ...this.#draft, ...change };
    return next;
  }

  /** Provider ids the app may use, such as `openai`, `anthropic`, `deepseek`. */
  providers(...ids: string[]): AllowanceBuilder {
    return this.#with({ providers: ids });
  }

  /** Model ids the app may call, plain (`gpt-4.1-mini`) or qualified (`openai/gpt-4.1-mini`). */
  models(...ids: string[]): AllowanceBuilder {
    return this.#with({ models: ids });
  }

  /** The currency of the budget; the wallet's own (`wallet.currency`) is the only one it accepts. */
  currency(code: string): AllowanceBuilder {
    return this.#with({ currency: code });
  }

  /** A money limit per calendar period, as a money string (`"5.00"`); call once per period. */
  budget(amount: string, period: Period): AllowanceBuilder {
    return this.#with({ budget: { ...this.#draft.budget, [period]: amount } });
  }

  /** Token caps per request and token limits per period. */
  tokens(limits: TokenLimits): AllowanceBuilder {
    return this.#with({ tokens: limits });
  }

  /** Requests per minute. */
  rate(perMinute: number): AllowanceBuilder {
    return this.#with({ requestsPerMinute: perMinute });
  }

  /** Worst-case cost above which the user confirms each call, as a money string. */
  confirmAbove(amount: string): AllowanceBuilder {
    return this.#with({ confirmAbove: amount });
  }

  /** App-defined permissions shown on consent and carried in the token; the app enforces them. */
  scopes(...scopes: string[]): AllowanceBuilder {
    return this.#with({ scopes });
  }

  /** `none` asks providers not to store and the wallet to keep metadata only. */
  retention(retention: 'none' | 'provider_default'): AllowanceBuilder {
    return this.#with({ retention });
  }

  /** When the grant should end; the wallet may shorten it. */
  expiresAt(date: Date | string): AllowanceBuilder {
    return this.#with({ expiresAt: utcTimestamp(date) });
  }

  /**
   * The validated `ai_allowance` object. The budget's currency is the one set with
   * {@link AllowanceBuilder.currency}, else `defaults.currency`, else left out for
   * `startAuthorization` to fill in with the wallet's.
   */
  build(defaults: { currency?: string } = {}): AllowanceDetails {
    const draft = this.#draft;
    const limits = Object.entries(draft.budget).map(([period, amount]) => ({ amount, period }));
    const currency = draft.currency ?? defaults.currency;
    const tokenLimits = Object.entries(draft.tokens?.perPeriod ?? {}).map(([period, tokens]) => ({
      tokens,
      period,
    }));
    const tokens = draft.tokens && {
      ...(draft.tokens.maxInputPerRequest !== undefined && {
        max_input_per_request: draft.tokens.maxInputPerRequest,
      }),
      ...(draft.tokens.maxOutputPerRequest !== undefined && {
        max_output_per_request: draft.tokens.maxOutputPerRequest,
      }),
      ...(tokenLimits.length > 0 && { limits: tokenLimits }),
    };
    const candidate = {
      type: AI_ALLOWANCE_TYPE,
      providers: draft.providers,
      models: draft.models,
      ...(limits.length > 0 && { budget: { ...(currency !== undefined && { currency }), limits } }),
      ...(tokens && { tokens }),
      ...(draft.requestsPerMinute !== undefined && {
        rate: { requests_per_minute: draft.requestsPerMinute },
      }),
      ...(draft.confirmAbove !== undefined && { confirm_above: { amount: draft.confirmAbove } }),
      ...(draft.scopes && { scopes: draft.scopes }),
      ...(draft.retention && { retention: draft.retention }),
      ...(draft.expiresAt && { expires_at: draft.expiresAt }),
    };
    return validateAllowanceDetails(candidate);
  }
}

/**
 * Starts an `ai_allowance` request.
 *
 * @example
 * const request = allowance().providers('openai').models('gpt-4.1-mini').budget('2.00', 'month');
 * const { url, pending } = await wallet.startAuthorization({ allowance: request });
 */
export function allowance(): AllowanceBuilder {
  return new AllowanceBuilder();
}
