import { type AccessTokenClaims, accessTokenClaimsSchema, SIGNING_ALGORITHMS } from '@allowance/protocol';
import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import type { GatewayConfig } from './config.js';
import { GatewayError } from './gateway-error.js';

const MAX_CACHED_TOKENS = 10_000;

/** Verifies an access token and returns its claims; throws a 401 {@link GatewayError}. */
export type TokenVerifier = (token: string) => Promise<AccessTokenClaims>;

/**
 * RFC 9068 access-token verification (spec 04-tokens): signature against the issuer's JWKS
 * (fetched once, cached, fetched again when a token names an unknown `kid`), `typ: at+jwt`,
 * ES256 or EdDSA only, `iss`, `aud` = this gateway, `exp`/`nbf`/`iat` with a small leeway, and
 * the claims Allowance relies on. A token that verified is remembered until it expires, so a
 * hot token costs a map lookup, not a signature check.
 */
export function createTokenVerifier(
  config: GatewayConfig,
  options: { keys?: JWTVerifyGetKey; now?: () => number } = {},
): TokenVerifier {
  const jwks = options.keys ?? createRemoteJWKSet(new URL(config.jwksUri), { cooldownDuration: 30_000 });
  // Only the key the token names (spec GW-4, TOK-8): without a `kid` a key set would be searched
  // for any key of the algorithm, and a token the issuer never made that way would be tried.
  const keys: JWTVerifyGetKey = (header, token) => {
    if (typeof header.kid !== 'string' || header.kid === '') throw new MissingKeyId();
    return jwks(header, token);
  };
  const now = options.now ?? Date.now;
  const verified = new Map<string, { claims: AccessTokenClaims; until: number }>();

  return async (token) => {
    const cached = verified.get(token);
    if (cached) {
      if (cached.until > now()) return cached.claims;
      verified.delete(token);
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: config.resource,
        typ: 'at+jwt',
        algorithms: [...SIGNING_ALGORITHMS],
        clockTolerance: config.clockToleranceSeconds,
        currentDate: new Date(now()),
      }));
    } catch (error) {
      throw new GatewayError('invalid_token', describe(error), { challengeError: 'invalid_token' });
    }
    // jose checks `iat` only against a maximum age: one from the future is refused here (GW-4).
    const issuedAt = (payload as { iat?: unknown }).iat;
    if (typeof issuedAt === 'number' && issuedAt * 1000 > now() + config.clockToleranceSeconds * 1000) {
      throw new GatewayError(
        'invalid_token',
        'The access token was issued in the future; check the clocks.',
        {
          challengeError: 'invalid_token',
        },
      );
    }
    const claims = accessTokenClaimsSchema.safeParse(payload);
    if (!claims.success) {
      const issue = claims.error.issues[0];
      throw new GatewayError(
        'invalid_token',
        `The access token lacks a valid ${issue?.path.join('.') || 'claim'}.`,
        {
          challengeError: 'invalid_token',
        },
      );
    }
    if (verified.size >= MAX_CACHED_TOKENS) verified.clear();
    verified.set(token, {
      claims: claims.data,
      until: claims.data.exp * 1000 + config.clockToleranceSeconds * 1000,
    });
    return claims.data;
  };
}

class MissingKeyId extends Error {}

function describe(error: unknown): string {
  if (error instanceof MissingKeyId) return 'The access token names no signing key (kid).';
  if (error instanceof joseErrors.JWTExpired) return 'The access token has expired; refresh it.';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'The access token was issued for another resource, not this gateway.';
    if (error.claim === 'iss') return 'The access token was issued by another authorization server.';
    if (error.claim === 'typ') return 'The token is not an access token (typ must be at+jwt).';
    return `The access token's ${error.claim} claim is not valid.`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return 'The access token is signed with an algorithm this gateway does not accept.';
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return 'The access token is signed with a key the issuer does not publish.';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'The access token signature does not verify.';
  return 'The access token is not a valid JWT.';
}

/** How the app presented its token. */
export interface PresentedToken {
  token: string;
  scheme: 'Bearer' | 'DPoP';
}

/**
 * The token from `Authorization` (Bearer or DPoP scheme), or, on Anthropic endpoints only and
 * only without an Authorization header, from `x-api-key`, which is where the Anthropic SDK can
 * put its key. Undefined when there is none; throws SyntaxError when the header is malformed.
 */
export function presentedToken(
  headers: { authorization?: string | undefined; 'x-api-key'?: string | string[] | undefined },
  allowApiKey: boolean,
): PresentedToken | undefined {
  const authorization = headers.authorization;
  if (authorization) {
    // Another scheme (Basic, say) carries no access token: the request has none (spec GW-3).
    const scheme = /^\s*([^\s]+)/.exec(authorization)?.[1]?.toLowerCase();
    if (scheme !== 'bearer' && scheme !== 'dpop') return undefined;
    const match = /^(Bearer|DPoP)\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization);
    if (!match?.[1] || !match[2]) throw new SyntaxError('malformed Authorization header');
    return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
  }
  const apiKey = headers['x-api-key'];
  if (allowApiKey && typeof apiKey === 'string' && apiKey.length > 0)
    return { scheme: 'Bearer', token: apiKey.trim() };
  return undefined;
}
