import { type AiAllowance, formatMoney, PERIODS, parseMoney, qualifiedProvider } from '@allowance/protocol';
import type { Form } from '../pages/form-body.js';

/** What the server needs to read a consent form. */
export interface ApprovalContext {
  now: Date;
  /** The wallet's latest allowed expiry. */
  latestExpiry: Date;
  /** Providers the user has a key for: only these can be approved. */
  availableProviders: ReadonlySet<string>;
}

/**
 * Builds the approval the user submitted, before any check: the consent form's ticked providers,
 * models and scopes, the amounts as typed, the expiry date. Malformed numbers are reported as
 * problems; whether the result is a subset of the request is {@link narrow}'s job, never the
 * browser's. Amounts are written canonically ("10" becomes "10.00").
 */
export function approvalFromForm(
  requested: AiAllowance,
  form: Form,
  context: ApprovalContext,
): { approval: Record<string, unknown>; problems: string[] } {
  const problems: string[] = [];
  const money = (field: string, label: string): string | undefined => {
    const value = form.get(field)?.trim();
    if (value === undefined || value === '') {
      problems.push(`${label}: enter an amount.`);
      return undefined;
    }
    try {
      return formatMoney(parseMoney(value));
    } catch {
      problems.push(`${label}: "${value}" is not an amount such as 5.00.`);
      return undefined;
    }
  };
  const count = (field: string, label: string): number | undefined => {
    const value = form.get(field)?.trim() ?? '';
    if (!/^[1-9][0-9]{0,15}$/.test(value)) {
      problems.push(`${label}: enter a whole number above zero.`);
      return undefined;
    }
    return Number(value);
  };

  const providers = form.getAll('provider').filter((provider) => context.availableProviders.has(provider));
  if (providers.length === 0) problems.push('Providers: tick at least one provider you have a key for.');
  // A model bound to a provider the user unticked goes with it.
  const models = form.getAll('model').filter((model) => {
    const prefix = qualifiedProvider(model);
    return prefix === undefined || !requested.providers.includes(prefix) || providers.includes(prefix);
  });
  if (models.length === 0) problems.push('Models: tick at least one model.');

  // A limit for a period the request has none for is an addition, which only narrows (spec
  // NAR rules): read it only when the user filled it in.
  const filled = (field: string) => (form.get(field)?.trim() ?? '') !== '';
  const approval: Record<string, unknown> = { type: requested.type, providers, models };
  if (requested.budget) {
    const asked = requested.budget.limits.map((limit) => limit.period);
    approval.budget = {
      currency: requested.budget.currency,
      limits: [
        ...requested.budget.limits.map((limit) => ({
          period: limit.period,
          amount: money(`budget.${limit.period}`, `Budget per ${limit.period}`),
        })),
        ...PERIODS.filter((period) => !asked.includes(period) && filled(`budget.${period}`)).map(
          (period) => ({ period, amount: money(`budget.${period}`, `Budget per ${period}`) }),
        ),
      ],
    };
  }
  if (requested.tokens) {
    const tokens: Record<string, unknown> = {};
    if (requested.tokens.max_input_per_request !== undefined) {
      tokens.max_input_per_request = count('tokens.max_input_per_request', 'Input tokens per call');
    }
    if (requested.tokens.max_output_per_request !== undefined) {
      tokens.max_output_per_request = count('tokens.max_output_per_request', 'Output tokens per call');
    }
    const asked = (requested.tokens.limits ?? []).map((limit) => limit.period);
    const limits = [
      ...(requested.tokens.limits ?? []).map((limit) => ({
        period: limit.period,
        tokens: count(`tokens.${limit.period}`, `Tokens per ${limit.period}`),
      })),
      ...PERIODS.filter((period) => !asked.includes(period) && filled(`tokens.${period}`)).map((period) => ({
        period,
        tokens: count(`tokens.${period}`, `Tokens per ${period}`),
      })),
    ];
    if (limits.length > 0) tokens.limits = limits;
    approval.tokens = tokens;
  } else {
    const limits = PERIODS.filter((period) => filled(`tokens.${period}`)).map((period) => ({
      period,
      tokens: count(`tokens.${period}`, `Tokens per ${period}`),
    }));
    if (limits.length > 0) approval.tokens = { limits };
  }
  if (requested.rate) approval.rate = { requests_per_minute: count('rate', 'Calls per minute') };
  if (requested.confirm_above)
    approval.confirm_above = { amount: money('confirm_above', 'Confirm calls above') };
  if (requested.scopes) approval.scopes = form.getAll('scope');
  approval.retention =
    requested.retention === 'none' || form.get('retention') === 'none' ? 'none' : 'provider_default';
  approval.expires_at = expiryFrom(form.get('expires_on'), requested, context, problems);
  return { approval, problems };
}

/**
 * The end of the chosen day (UTC), but never later than what the app asked for or the wallet
 * allows: the user can only shorten.
 */
function expiryFrom(
  chosen: string | null,
  requested: AiAllowance,
  context: ApprovalContext,
  problems: string[],
): string | undefined {
  let latest = context.latestExpiry.getTime();
  if (requested.expires_at) latest = Math.min(latest, Date.parse(requested.expires_at));
  let expiry = latest;
  if (chosen) {
    const endOfDay = /^\d{4}-\d{2}-\d{2}$/.test(chosen) ? Date.parse(`${chosen}T23:59:59Z`) : Number.NaN;
    if (Number.isNaN(endOfDay)) problems.push(`Expiry: "${chosen}" is not a date.`);
    else expiry = Math.min(latest, endOfDay);
  }
  return new Date(Math.floor(expiry / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
