import { z } from 'zod';
import { providerIdSchema, retentionSchema, scopeSchema } from './allowance-details.js';
import { currencyCode, moneyString } from './money.js';
import { periodSchema } from './periods.js';

/** A grant's lifecycle state. `expires_at` is separate: an active grant past it is dead too. */
export const grantStatusSchema = z.enum(['active', 'suspended', 'revoked']);

/** A grant's lifecycle state. */
export type GrantStatus = z.infer<typeof grantStatusSchema>;

const windowFields = {
  period: periodSchema,
  period_key: z.string(),
  period_start: z.iso.datetime().nullable(),
  period_end: z.iso.datetime().nullable(),
};

const tokenCount = z.number().int().nonnegative();

/** The body of `GET /v1/allowance`: what the app was granted and what is left of it. */
export const allowanceStatusSchema = z.strictObject({
  object: z.literal('allowance'),
  grant_id: z.string(),
  client_id: z.string(),
  /** A revoked grant gets 401 before any body, so an app only ever sees these two. */
  status: z.enum(['active', 'suspended']),
  expires_at: z.iso.datetime(),
  currency: currencyCode,
  providers: z.array(providerIdSchema),
  models: z.array(z.string()),
  scopes: z.array(scopeSchema),
  retention: retentionSchema,
  budget: z.array(
    z.strictObject({
      ...windowFields,
      limit: moneyString,
      spent: moneyString,
      reserved: moneyString,
      remaining: moneyString,
    }),
  ),
  tokens: z.array(
    z.strictObject({
      ...windowFields,
      limit: tokenCount,
      used: tokenCount,
      reserved: tokenCount,
      remaining: tokenCount,
    }),
  ),
  max_input_per_request: tokenCount.nullable(),
  max_output_per_request: tokenCount.nullable(),
  requests_per_minute: tokenCount.nullable(),
  confirm_above: moneyString.nullable(),
});

/** The body of `GET /v1/allowance`. */
export type AllowanceStatus = z.infer<typeof allowanceStatusSchema>;
