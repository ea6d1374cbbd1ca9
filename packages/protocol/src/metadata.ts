import { z } from 'zod';
import { providerIdSchema } from './allowance-details.js';
import { currencyCode } from './money.js';
import { PERIODS, timeZoneSchema } from './periods.js';

/** The version of this protocol an implementation speaks. */
export const PROTOCOL_VERSION = '1.0';

/**
 * The `allowance` member of RFC 8414 authorization server metadata: where the gateway is and
 * what the wallet offers, so an app can build a request the wallet can grant.
 */
export const allowanceMetadataSchema = z.looseObject({
  version: z.string().min(1),
  gateway: z.url(),
  resource: z.url(),
  currency: currencyCode,
  time_zone: timeZoneSchema,
  providers: z.array(z.looseObject({ id: providerIdSchema, api: z.enum(['openai', 'anthropic']) })),
  periods: z.array(z.enum(PERIODS)).min(1),
  max_grant_lifetime_seconds: z.number().int().positive(),
  /** Seconds after which an open reservation is settled in full as abandoned (spec MTR-26). */
  reservation_deadline_seconds: z.number().int().positive(),
});

/** The `allowance` member of the authorization server metadata. */
export type AllowanceMetadata = z.infer<typeof allowanceMetadataSchema>;

/** The members of RFC 8414 metadata an Allowance authorization server must publish. */
export const authorizationServerMetadataSchema = z.looseObject({
  issuer: z.url(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  response_types_supported: z
    .array(z.string())
    .refine((types) => types.includes('code'), 'must include "code"'),
  grant_types_supported: z.array(z.string()).optional(),
  code_challenge_methods_supported: z
    .array(z.string())
    .refine((methods) => methods.includes('S256'), 'must include "S256"'),
  authorization_details_types_supported: z
    .array(z.string())
    .refine((types) => types.includes('ai_allowance'), 'must include "ai_allowance"'),
  authorization_response_iss_parameter_supported: z.literal(true),
  revocation_endpoint: z.url(),
  introspection_endpoint: z.url(),
  pushed_authorization_request_endpoint: z.url(),
  device_authorization_endpoint: z.url().optional(),
  registration_endpoint: z.url().optional(),
  dpop_signing_alg_values_supported: z.array(z.string()).optional(),
  allowance: allowanceMetadataSchema,
});

/** RFC 9728 protected resource metadata of an Allowance gateway. */
export const protectedResourceMetadataSchema = z.looseObject({
  resource: z.url(),
  authorization_servers: z.array(z.url()).min(1),
  bearer_methods_supported: z.array(z.literal('header')).optional(),
  dpop_signing_alg_values_supported: z.array(z.string()).optional(),
  authorization_details_types_supported: z
    .array(z.string())
    .refine((types) => types.includes('ai_allowance'), 'must include "ai_allowance"'),
  resource_name: z.string(),
  allowance_endpoint: z.url(),
});
