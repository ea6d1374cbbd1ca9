import type { AiAllowance } from '@allowance/protocol';
import { AllowanceBuilder } from './allowance-builder.js';
import { type AllowanceDetails, validateAllowance } from './allowance-validation.js';
import { InvalidAllowanceError } from './authorization-errors.js';

/** An allowance to ask for: a builder from {@link allowance}, or an `ai_allowance` object. */
export type AllowanceRequest = AllowanceBuilder | AllowanceDetails;

/**
 * The validated `ai_allowance` to send to a wallet whose currency is `currency`: a budget
 * without a currency gets that one, and a budget in another one is refused before the wallet
 * sees it (the wallet would answer `invalid_authorization_details`).
 */
export function resolveAllowanceRequest(request: AllowanceRequest, currency: string): AiAllowance {
  const details = request instanceof AllowanceBuilder ? request.build({ currency }) : request;
  const value = validateAllowance(
    details.budget
      ? { ...details, budget: { ...details.budget, currency: details.budget.currency ?? currency } }
      : details,
  );
  if (value.budget && value.budget.currency !== currency) {
    throw new InvalidAllowanceError([
      `budget.currency: must be ${currency}, the wallet's currency, not ${value.budget.currency}`,
    ]);
  }
  return value;
}
