import type { AiAllowance } from '@allowance/protocol';
import { aiAllowanceSchema, moneyString } from '@allowance/protocol';
import { InvalidAllowanceError } from './authorization-errors.js';

type Budget = NonNullable<AiAllowance['budget']>;

/**
 * An `ai_allowance` object as an app builds it: exactly spec Part 3's, except that a budget's
 * `currency` may be left out, for `startAuthorization` to fill in with the wallet's currency.
 */
export type AllowanceDetails = Omit<AiAllowance, 'budget'> & {
  budget?: Omit<Budget, 'currency'> & { currency?: string };
};

/** Money strings at the places spec Part 3 puts them, as `[path, value]`. */
function moneyFields(candidate: unknown): [string, unknown][] {
  const value = candidate as {
    budget?: { limits?: { amount?: unknown }[] };
    confirm_above?: { amount?: unknown };
  } | null;
  const limits = Array.isArray(value?.budget?.limits) ? value.budget.limits : [];
  return [
    ...limits.map((limit, index): [string, unknown] => [`budget.limits.${index}.amount`, limit?.amount]),
    ...(value?.confirm_above
      ? [['confirm_above.amount', value.confirm_above.amount] as [string, unknown]]
      : []),
  ];
}

/**
 * Checks an `ai_allowance` object against spec Part 3 with the protocol's schema.
 * Throws {@link InvalidAllowanceError} listing every problem.
 */
export function validateAllowance(candidate: unknown): AiAllowance {
  // The protocol's positive-amount check parses the amount even when its pattern failed, and
  // throws on it; check the pattern first so a bad amount is reported with its path.
  const badAmounts = moneyFields(candidate)
    .filter(([, amount]) => !moneyString.safeParse(amount).success)
    .map(([path]) => `${path}: must be a decimal amount with at most 6 fractional digits, such as "10.00"`);
  if (badAmounts.length > 0) throw new InvalidAllowanceError(badAmounts);
  const parsed = aiAllowanceSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  throw new InvalidAllowanceError(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  );
}

// ISO 4217's code for "no currency": stands in while the wallet's currency is not known yet.
const NO_CURRENCY = 'XXX';

/**
 * Checks an allowance whose budget may still lack its currency: everything else is validated
 * exactly as {@link validateAllowance} does.
 */
export function validateAllowanceDetails(candidate: unknown): AllowanceDetails {
  const budget = (candidate as { budget?: { currency?: unknown } } | null)?.budget;
  if (typeof budget !== 'object' || budget === null || budget.currency !== undefined) {
    return validateAllowance(candidate);
  }
  const validated = validateAllowance({
    ...(candidate as object),
    budget: { ...budget, currency: NO_CURRENCY },
  });
  const { currency: _placeholder, ...withoutCurrency } = validated.budget as Budget;
  return { ...validated, budget: withoutCurrency };
}
