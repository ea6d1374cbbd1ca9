import { GATEWAY_ERRORS, type GatewayErrorCode } from '@allowance/protocol';
import { AllowanceError, type AllowanceErrorOptions } from './allowance-error.js';
import {
  type ConfirmationDecision,
  type ConfirmationStatusSource,
  confirmationSourceFor,
  noConfirmationSource,
  type WaitForDecisionOptions,
  waitForDecision,
} from './confirmation-decision.js';

function gatewayOptions(code: GatewayErrorCode, options: AllowanceErrorOptions): AllowanceErrorOptions {
  return { ...options, status: options.status ?? GATEWAY_ERRORS[code].status };
}

/** 402 `budget_exhausted`: the call's worst-case cost does not fit a money limit of the grant (or the wallet's cap). */
export class BudgetExhaustedError extends AllowanceError {
  override name = 'BudgetExhaustedError';
  constructor(
    message: string = GATEWAY_ERRORS.budget_exhausted.summary,
    options: AllowanceErrorOptions = {},
  ) {
    super('budget_exhausted', message, gatewayOptions('budget_exhausted', options));
  }
}

/** 402 `token_budget_exhausted`: the call's worst-case tokens do not fit a token limit of the grant. */
export class TokenBudgetExhaustedError extends AllowanceError {
  override name = 'TokenBudgetExhaustedError';
  constructor(
    message: string = GATEWAY_ERRORS.token_budget_exhausted.summary,
    options: AllowanceErrorOptions = {},
  ) {
    super('token_budget_exhausted', message, gatewayOptions('token_budget_exhausted', options));
  }
}

/** 403 `model_not_allowed`: the grant does not include this model at the resolved provider. */
export class ModelNotAllowedError extends AllowanceError {
  override name = 'ModelNotAllowedError';
  constructor(
    message: string = GATEWAY_ERRORS.model_not_allowed.summary,
    options: AllowanceErrorOptions = {},
  ) {
    super('model_not_allowed', message, gatewayOptions('model_not_allowed', options));
  }
}

/** 403 `provider_not_allowed`: the request names a provider the grant does not include. */
export class ProviderNotAllowedError extends AllowanceError {
  override name = 'ProviderNotAllowedError';
  constructor(
    message: string = GATEWAY_ERRORS.provider_not_allowed.summary,
    options: AllowanceErrorOptions = {},
  ) {
    super('provider_not_allowed', message, gatewayOptions('provider_not_allowed', options));
  }
}

/** 401 `grant_revoked`: the user, the app or replay detection ended the grant for good; authorize again. */
export class GrantRevokedError extends AllowanceError {
  override name = 'GrantRevokedError';
  constructor(message: string = GATEWAY_ERRORS.grant_revoked.summary, options: AllowanceErrorOptions = {}) {
    super('grant_revoked', message, gatewayOptions('grant_revoked', options));
  }
}

/** 401 `grant_expired`: the grant's `expires_at` has passed; authorize again. */
export class GrantExpiredError extends AllowanceError {
  override name = 'GrantExpiredError';
  constructor(message: string = GATEWAY_ERRORS.grant_expired.summary, options: AllowanceErrorOptions = {}) {
    super('grant_expired', message, gatewayOptions('grant_expired', options));
  }
}

/** 403 `grant_suspended`: the user (or anomaly detection) paused the grant; only the user can lift it. */
export class GrantSuspendedError extends AllowanceError {
  override name = 'GrantSuspendedError';
  constructor(message: string = GATEWAY_ERRORS.grant_suspended.summary, options: AllowanceErrorOptions = {}) {
    super('grant_suspended', message, gatewayOptions('grant_suspended', options));
  }
}

/** 429 `rate_limited`: the grant's request rate (or the provider's) is used up for now. */
export class RateLimitedError extends AllowanceError {
  override name = 'RateLimitedError';
  /** Seconds to wait before retrying, from the `Retry-After` header, when it was available. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    message: string = GATEWAY_ERRORS.rate_limited.summary,
    options: AllowanceErrorOptions & { retryAfterSeconds?: number | undefined } = {},
  ) {
    super('rate_limited', message, gatewayOptions('rate_limited', options));
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A pending human confirmation of one expensive call (spec 06-metering §6.10). */
export interface Confirmation {
  /** Opaque id; retry the same request with the header `Allowance-Confirmation: <id>`. */
  id: string;
  /** The wallet page where the user approves or denies the call; show or open it. */
  url: string;
  /** RFC 3339 UTC; the decision and the retry must happen before it. */
  expiresAt: string;
  /** The call's worst-case cost, a money string in the wallet's currency. */
  estimatedMaxCost: string;
}

/**
 * 403 `confirmation_required`: the call could cost more than the grant's `confirm_above`, so the
 * user must approve it at `confirmation.url` (spec [MTR-29]–[MTR-33]). Show or open the URL, wait
 * for the decision with {@link ConfirmationRequiredError.waitForDecision}, then send the same
 * request again with {@link ConfirmationRequiredError.retryHeaders}: the official SDKs take them
 * as a per-request option. An approval lets exactly one call through, and only the same call
 * (same provider and model, no higher worst-case cost); the retry of another call, or a second
 * retry, is refused with a new confirmation.
 *
 * @example
 * try {
 *   return await openai.chat.completions.create(body);
 * } catch (error) {
 *   const refusal = toAllowanceError(error);
 *   if (!(refusal instanceof ConfirmationRequiredError) || !refusal.confirmation) throw error;
 *   console.log(`This call could cost up to ${refusal.confirmation.estimatedMaxCost}: approve it at ${refusal.confirmation.url}`);
 *   if ((await refusal.waitForDecision()) !== 'approved') throw error;
 *   return await openai.chat.completions.create(body, { headers: refusal.retryHeaders });
 * }
 */
export class ConfirmationRequiredError extends AllowanceError {
  override name = 'ConfirmationRequiredError';
  /** The confirmation the gateway opened, when the error body carried a well-formed one. */
  readonly confirmation: Confirmation | undefined;
  constructor(
    message: string = GATEWAY_ERRORS.confirmation_required.summary,
    options: AllowanceErrorOptions & { confirmation?: Confirmation | undefined } = {},
  ) {
    super('confirmation_required', message, gatewayOptions('confirmation_required', options));
    this.confirmation = options.confirmation;
  }

  /**
   * The headers that send the same request again under this confirmation:
   * `{ 'Allowance-Confirmation': id }`, or none when the gateway gave no confirmation.
   */
  get retryHeaders(): Record<string, string> {
    return this.confirmation ? { 'Allowance-Confirmation': this.confirmation.id } : {};
  }

  /**
   * Waits until the user approves or denies the call in the wallet, or the confirmation expires,
   * by polling the gateway (`GET /v1/confirmations/{id}`) with the access token of the
   * connection the call was made with; pass `connection` when the refusal did not come through
   * a connection of this process.
   */
  waitForDecision(
    options: WaitForDecisionOptions & { connection?: ConfirmationStatusSource | undefined } = {},
  ): Promise<ConfirmationDecision> {
    const confirmation = this.confirmation;
    if (!confirmation) {
      return Promise.reject(
        new AllowanceError('unexpected_response', 'The gateway gave no confirmation to wait for.', {
          cause: this,
        }),
      );
    }
    const source = options.connection ?? confirmationSourceFor(confirmation.id);
    if (!source) return Promise.reject(noConfirmationSource(confirmation.id));
    return waitForDecision(source, confirmation.id, options);
  }
}

/** 403 `confirmation_denied`: the user refused the call this confirmation was for; do not retry it as is. */
export class ConfirmationDeniedError extends AllowanceError {
  override name = 'ConfirmationDeniedError';
  constructor(
    message: string = GATEWAY_ERRORS.confirmation_denied.summary,
    options: AllowanceErrorOptions = {},
  ) {
    super('confirmation_denied', message, gatewayOptions('confirmation_denied', options));
  }
}

/** Whether `code` is one of the gateway's error codes (spec 05-gateway §5.9). */
export function isGatewayErrorCode(code: unknown): code is GatewayErrorCode {
  return typeof code === 'string' && Object.hasOwn(GATEWAY_ERRORS, code);
}

/** The typed error for a gateway error code: a subclass where one exists, else an {@link AllowanceError}. */
export function gatewayError(
  code: GatewayErrorCode,
  message: string,
  options: AllowanceErrorOptions & {
    retryAfterSeconds?: number | undefined;
    confirmation?: Confirmation | undefined;
  } = {},
): AllowanceError {
  switch (code) {
    case 'budget_exhausted':
      return new BudgetExhaustedError(message, options);
    case 'token_budget_exhausted':
      return new TokenBudgetExhaustedError(message, options);
    case 'model_not_allowed':
      return new ModelNotAllowedError(message, options);
    case 'provider_not_allowed':
      return new ProviderNotAllowedError(message, options);
    case 'grant_revoked':
      return new GrantRevokedError(message, options);
    case 'grant_expired':
      return new GrantExpiredError(message, options);
    case 'grant_suspended':
      return new GrantSuspendedError(message, options);
    case 'rate_limited':
      return new RateLimitedError(message, options);
    case 'confirmation_required':
      return new ConfirmationRequiredError(message, options);
    case 'confirmation_denied':
      return new ConfirmationDeniedError(message, options);
    default:
      return new AllowanceError(code, message, gatewayOptions(code, options));
  }
}
