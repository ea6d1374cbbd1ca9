import {
  type AiAllowance,
  type ApprovedAiAllowance,
  approvedAiAllowanceSchema,
  qualifiedProvider,
} from './allowance-details.js';
import { parseMoney } from './money.js';

/** One way an approval is wider than the request, or otherwise unacceptable. */
export interface NarrowViolation {
  /** Dotted path into the approved object, such as `budget.limits.month`. */
  path: string;
  message: string;
}

/** The outcome of {@link narrow}: the approval, or every reason it is refused. */
export type NarrowResult =
  | { ok: true; approved: ApprovedAiAllowance }
  | { ok: false; violations: NarrowViolation[] };

/** What {@link narrow} needs besides the two objects. */
export interface NarrowOptions {
  /** The current time: an approved grant must expire after it. */
  now: Date;
  /** The wallet's latest allowed expiry, if it has a maximum grant lifetime. */
  latestExpiry?: Date;
}

type Limit = { period: string };

/**
 * Proves that an approved `ai_allowance` is a subset of the requested one: fewer providers and
 * models, lower or added caps, a stricter retention, an earlier expiry — never anything wider.
 * The authorization server runs this on every consent submission; a browser can forge anything.
 *
 * Rules (spec 02-authorization, NAR-*): providers and models are subsets and not empty; a
 * `provider/model` entry needs its provider approved; every requested limit is kept at or below
 * its requested value, and limits may be added; scopes are a subset; `retention: "none"` stays;
 * `expires_at` is no later than requested, after `now`, and within the wallet's maximum.
 *
 * @example
 * const result = narrow(requested, { ...requested, models: ['gpt-4.1-mini'], expires_at }, { now: new Date() });
 * if (!result.ok) console.log(result.violations);
 */
export function narrow(requested: AiAllowance, approved: unknown, options: NarrowOptions): NarrowResult {
  const parsed = approvedAiAllowanceSchema.safeParse(approved);
  if (!parsed.success) {
    return {
      ok: false,
      violations: parsed.error.issues.map((issue) => ({
        path: issue.path.join('.'),
        message: issue.message,
      })),
    };
  }
  const detail = parsed.data;
  const violations: NarrowViolation[] = [];
  const violate = (path: string, message: string) => violations.push({ path, message });

  for (const provider of detail.providers) {
    if (!requested.providers.includes(provider)) violate('providers', `"${provider}" was not requested`);
  }
  for (const model of detail.models) {
    if (!requested.models.includes(model)) violate('models', `"${model}" was not requested`);
    const prefix = qualifiedProvider(model);
    if (prefix && requested.providers.includes(prefix) && !detail.providers.includes(prefix)) {
      violate('models', `"${model}" names provider "${prefix}", which is not approved`);
    }
  }

  if (requested.budget) {
    if (!detail.budget) {
      violate('budget', 'the requested budget cannot be removed');
    } else {
      if (detail.budget.currency !== requested.budget.currency) {
        violate('budget.currency', `must stay ${requested.budget.currency}`);
      }
      compareLimits(requested.budget.limits, detail.budget.limits, 'budget.limits', violate, (limit) =>
        parseMoney(limit.amount),
      );
    }
  }

  const requestedTokens = requested.tokens;
  if (requestedTokens) {
    const approvedTokens = detail.tokens;
    for (const cap of ['max_input_per_request', 'max_output_per_request'] as const) {
      const asked = requestedTokens[cap];
      if (asked === undefined) continue;
      const given = approvedTokens?.[cap];
      if (given === undefined) violate(`tokens.${cap}`, 'the requested cap cannot be removed');
      else if (given > asked) violate(`tokens.${cap}`, `must be at most ${asked}`);
    }
    if (requestedTokens.limits) {
      compareLimits(
        requestedTokens.limits,
        approvedTokens?.limits ?? [],
        'tokens.limits',
        violate,
        (limit) => limit.tokens,
      );
    }
  }

  if (requested.rate) {
    const given = detail.rate?.requests_per_minute;
    if (given === undefined) violate('rate', 'the requested rate limit cannot be removed');
    else if (given > requested.rate.requests_per_minute) {
      violate('rate.requests_per_minute', `must be at most ${requested.rate.requests_per_minute}`);
    }
  }

  if (requested.confirm_above) {
    const given = detail.confirm_above;
    if (!given) violate('confirm_above', 'the requested confirmation threshold cannot be removed');
    else if (parseMoney(given.amount) > parseMoney(requested.confirm_above.amount)) {
      violate('confirm_above.amount', `must be at most ${requested.confirm_above.amount}`);
    }
  }

  const requestedScopes = requested.scopes ?? [];
  for (const scope of detail.scopes ?? []) {
    if (!requestedScopes.includes(scope)) violate('scopes', `"${scope}" was not requested`);
  }

  if (requested.retention === 'none' && detail.retention !== 'none') {
    violate('retention', 'must stay "none"');
  }

  const expiry = Date.parse(detail.expires_at);
  if (requested.expires_at && expiry > Date.parse(requested.expires_at)) {
    violate('expires_at', `must be no later than ${requested.expires_at}`);
  }
  if (expiry <= options.now.getTime()) violate('expires_at', 'must be in the future');
  if (options.latestExpiry && expiry > options.latestExpiry.getTime()) {
    violate(
      'expires_at',
      `must be no later than ${options.latestExpiry.toISOString()}, the wallet's maximum`,
    );
  }

  return violations.length === 0 ? { ok: true, approved: detail } : { ok: false, violations };
}

function compareLimits<T extends Limit>(
  requested: readonly T[],
  approved: readonly T[],
  path: string,
  violate: (path: string, message: string) => void,
  size: (limit: T) => number,
): void {
  for (const asked of requested) {
    const given = approved.find((limit) => limit.period === asked.period);
    if (!given) violate(`${path}.${asked.period}`, 'the requested limit cannot be removed');
    else if (size(given) > size(asked))
      violate(`${path}.${asked.period}`, 'must not be raised above the request');
  }
}
