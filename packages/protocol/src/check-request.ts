import type { ApprovedAiAllowance } from './allowance-details.js';
import { type Refusal, refusal } from './errors.js';
import { type ModelTarget, modelAllowed } from './model-target.js';
import { parseMoney } from './money.js';
import { type ResolvedPrice, worstCaseCost } from './prices.js';

/** What a call asks for, as the gateway measured it. */
export interface CallRequest {
  target: ModelTarget;
  /** Input tokens: a real tokenizer's count, or a conservative upper bound. */
  inputTokens: number;
  /** The output cap the app asked for, if it asked for one. */
  maxOutputTokens?: number | undefined;
  /**
   * The output cap the wallet applies when neither the app nor the grant sets one, so that every
   * call has a bounded worst case (and upstream never generates without limit).
   */
  fallbackMaxOutputTokens: number;
  /** Whether the wallet has a wallet-wide money cap, which an unpriced call could not be held to. */
  walletCapped?: boolean | undefined;
  /** The model's price in the wallet currency, or `undefined` when unpriced. */
  price?: ResolvedPrice | undefined;
  now: Date;
}

/** A call the grant allows, with what the gateway must do next. */
export interface CallAllowed {
  ok: true;
  /** The output cap to send upstream: the app's, else the grant's, else the wallet's fallback. */
  maxOutputTokens: number;
  /** The most the call can cost, in micros; `undefined` when unpriced. */
  worstCaseCostMicros: number | undefined;
  /** Whether the worst case is above the grant's confirmation threshold. */
  needsConfirmation: boolean;
}

/**
 * Checks one call against an approved grant, in the spec's order (05-gateway): grant expiry,
 * provider, model, unpriced model under any money constraint (budget, confirmation threshold or
 * wallet cap), input cap, output cap; then computes the
 * worst-case cost and whether it needs a human confirmation. Budgets are not checked here:
 * they are shared state, reserved atomically by the gateway's store.
 *
 * @example
 * const verdict = checkRequest(grant, { target, inputTokens: 812, maxOutputTokens: 500, price, now: new Date() });
 * if (!verdict.ok) return reply(verdict.refusal);
 */
export function checkRequest(
  grant: ApprovedAiAllowance,
  request: CallRequest,
): CallAllowed | { ok: false; refusal: Refusal } {
  const refuse = (value: Refusal) => ({ ok: false as const, refusal: value });
  const { target } = request;
  if (Date.parse(grant.expires_at) <= request.now.getTime()) {
    return refuse(refusal('grant_expired', `The grant expired at ${grant.expires_at}.`));
  }
  if (!grant.providers.includes(target.provider)) {
    return refuse(refusal('provider_not_allowed', `The grant does not allow provider "${target.provider}".`));
  }
  if (!modelAllowed(grant, target)) {
    return refuse(
      refusal(
        'model_not_allowed',
        `The grant does not allow model "${target.model}" at "${target.provider}".`,
      ),
    );
  }
  const moneyLimited =
    grant.budget !== undefined || grant.confirm_above !== undefined || request.walletCapped === true;
  if (moneyLimited && request.price === undefined) {
    return refuse(
      refusal(
        'model_unpriced',
        `"${target.model}" has no price in the wallet, and this grant is limited in money.`,
      ),
    );
  }
  const inputCap = grant.tokens?.max_input_per_request;
  if (inputCap !== undefined && request.inputTokens > inputCap) {
    return refuse(
      refusal(
        'max_input_tokens_exceeded',
        `The input is about ${request.inputTokens} tokens; the grant allows ${inputCap}.`,
      ),
    );
  }
  const outputCap = grant.tokens?.max_output_per_request;
  if (
    outputCap !== undefined &&
    request.maxOutputTokens !== undefined &&
    request.maxOutputTokens > outputCap
  ) {
    return refuse(
      refusal(
        'max_output_tokens_exceeded',
        `The request asks for up to ${request.maxOutputTokens} output tokens; the grant allows ${outputCap}.`,
      ),
    );
  }
  const maxOutputTokens = request.maxOutputTokens ?? outputCap ?? request.fallbackMaxOutputTokens;
  const worstCaseCostMicros =
    request.price && worstCaseCost(request.price, request.inputTokens, maxOutputTokens);
  const threshold = grant.confirm_above ? parseMoney(grant.confirm_above.amount) : undefined;
  return {
    ok: true,
    maxOutputTokens,
    worstCaseCostMicros,
    needsConfirmation:
      threshold !== undefined && worstCaseCostMicros !== undefined && worstCaseCostMicros > threshold,
  };
}
