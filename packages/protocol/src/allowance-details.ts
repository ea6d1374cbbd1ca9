import { z } from 'zod';
import { currencyCode, moneyString, positiveMoneyString } from './money.js';
import { periodSchema } from './periods.js';

/** The RFC 9396 authorization details type this protocol defines. */
export const AI_ALLOWANCE_TYPE = 'ai_allowance';

/** A provider id: `openai`, `anthropic`, `deepseek`, or one the wallet defines. */
export const providerIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a lowercase provider id such as "openai"');

/** A model id, optionally qualified as `<provider>/<model>`: printable ASCII, no spaces. */
export const modelIdSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 printable ASCII characters without spaces');

/** An app-defined data or tool permission shown on consent and carried in the token. */
export const scopeSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:/-]{1,128}$/, 'must be 1 to 128 characters of letters, digits and _ . : / -');

const count = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

function uniqueList<T extends z.ZodType>(item: T, min: number, max: number) {
  return z
    .array(item)
    .min(min)
    .max(max)
    .refine((values) => new Set(values).size === values.length, 'must not repeat a value');
}

function onePerPeriod(limits: ReadonlyArray<{ period: string }>): boolean {
  return new Set(limits.map((limit) => limit.period)).size === limits.length;
}

/** A money limit over one period. */
export const budgetLimitSchema = z.strictObject({ amount: positiveMoneyString, period: periodSchema });

/** Money limits of a grant, in the wallet's currency. */
export const budgetSchema = z.strictObject({
  currency: currencyCode,
  limits: z
    .array(budgetLimitSchema)
    .min(1)
    .max(5)
    .refine(onePerPeriod, 'must have at most one limit per period'),
});

/** A token limit over one period. */
export const tokenLimitSchema = z.strictObject({ tokens: count, period: periodSchema });

/** Token caps per request and token limits per period. */
export const tokensSchema = z.strictObject({
  max_input_per_request: count.optional(),
  max_output_per_request: count.optional(),
  limits: z
    .array(tokenLimitSchema)
    .min(1)
    .max(5)
    .refine(onePerPeriod, 'must have at most one limit per period')
    .optional(),
});

/** Request rate allowed to the app. */
export const rateSchema = z.strictObject({ requests_per_minute: z.number().int().min(1).max(100_000) });

/** Worst-case cost above which a human must confirm the call. */
export const confirmAboveSchema = z.strictObject({
  /** `"0"` asks for a confirmation of every call that can cost anything. */
  amount: moneyString,
});

/** `none`: ask providers not to store, keep metadata only. */
export const retentionSchema = z.enum(['none', 'provider_default']);

const utcTimestamp = z.iso
  .datetime({ offset: false, message: 'must be an RFC 3339 UTC timestamp such as "2026-12-31T00:00:00Z"' })
  .refine((value) => value.endsWith('Z'), 'must end in Z');

const detailShape = {
  type: z.literal(AI_ALLOWANCE_TYPE),
  providers: uniqueList(providerIdSchema, 1, 32),
  models: uniqueList(modelIdSchema, 1, 128),
  budget: budgetSchema.optional(),
  tokens: tokensSchema.optional(),
  rate: rateSchema.optional(),
  confirm_above: confirmAboveSchema.optional(),
  scopes: uniqueList(scopeSchema, 0, 64).optional(),
  retention: retentionSchema.optional(),
  expires_at: utcTimestamp.optional(),
};

function noEmptyModelAfterSlash(detail: { models: string[] }, context: z.RefinementCtx): void {
  detail.models.forEach((model, index) => {
    if (model.endsWith('/')) {
      context.addIssue({
        code: 'custom',
        path: ['models', index],
        message: 'must name a model after the slash',
      });
    }
  });
}

/**
 * One `ai_allowance` entry of RFC 9396 `authorization_details`, as an app requests it.
 * Strict: an unknown member is refused, so an app cannot smuggle in a field a wallet ignores.
 *
 * @example
 * aiAllowanceSchema.parse({
 *   type: 'ai_allowance',
 *   providers: ['openai'],
 *   models: ['gpt-4.1-mini'],
 *   budget: { currency: 'USD', limits: [{ amount: '5.00', period: 'month' }] },
 * });
 */
export const aiAllowanceSchema = z.strictObject(detailShape).superRefine(noEmptyModelAfterSlash);

/** An `ai_allowance` entry as an app requests it. */
export type AiAllowance = z.infer<typeof aiAllowanceSchema>;

/** An approved `ai_allowance`, as carried in access tokens and grant records: expiry and retention are always set. */
export const approvedAiAllowanceSchema = z
  .strictObject({ ...detailShape, retention: retentionSchema, expires_at: utcTimestamp })
  .superRefine(noEmptyModelAfterSlash);

/** An approved `ai_allowance`. */
export type ApprovedAiAllowance = z.infer<typeof approvedAiAllowanceSchema>;

/** RFC 9396 `authorization_details` as Allowance accepts it: exactly one `ai_allowance` entry. */
export const authorizationDetailsSchema = z
  .array(z.looseObject({ type: z.string() }))
  .length(1, 'must hold exactly one ai_allowance entry')
  .pipe(z.tuple([aiAllowanceSchema]));

/** The provider prefix of a `provider/model` string, if it has one. */
export function qualifiedProvider(model: string): string | undefined {
  const slash = model.indexOf('/');
  return slash > 0 ? model.slice(0, slash) : undefined;
}
