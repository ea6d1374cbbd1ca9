import { z } from 'zod';
import { approvedAiAllowanceSchema } from './allowance-details.js';

/** The `typ` values RFC 9068 §4 lets a resource server accept for an access token. */
export const ACCESS_TOKEN_TYPES = ['at+jwt', 'application/at+jwt'] as const;

/** The JWS algorithms Allowance signs access tokens and DPoP proofs with; never `none`. */
export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA'] as const;

/** The protected header of an Allowance access token (RFC 9068 §2.1). */
export const accessTokenHeaderSchema = z.looseObject({
  typ: z.string().refine((typ) => (ACCESS_TOKEN_TYPES as readonly string[]).includes(typ.toLowerCase()), {
    message: 'must be "at+jwt"',
  }),
  alg: z.enum(SIGNING_ALGORITHMS),
  kid: z.string().min(1),
});

const seconds = z.number().int().nonnegative();

/**
 * The claims the gateway relies on in an access token: the RFC 9068 profile plus the grant id
 * and the one approved `ai_allowance`. Other claims may be present and are ignored.
 */
export const accessTokenClaimsSchema = z.looseObject({
  iss: z.url(),
  sub: z.string().min(1),
  aud: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  exp: seconds,
  iat: seconds,
  nbf: seconds.optional(),
  jti: z.string().min(1),
  client_id: z.string().min(1),
  grant_id: z.string().min(1),
  scope: z.string().optional(),
  authorization_details: z.tuple([approvedAiAllowanceSchema]),
  cnf: z
    .looseObject({ jkt: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256 thumbprint') })
    .optional(),
});

/** The claims of an Allowance access token. */
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;
