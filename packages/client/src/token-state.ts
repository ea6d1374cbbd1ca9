import { type ApprovedAiAllowance, approvedAiAllowanceSchema } from '@allowance/protocol';
import type * as oauth from 'oauth4webapi';
import { AllowanceError } from './allowance-error.js';

/** What a connection holds from the wallet's last token response. */
export interface TokenState {
  accessToken: string;
  /** `dpop` when the access token is bound to the connection's key (spec [DPOP-1]). */
  tokenType: 'bearer' | 'dpop';
  /** Milliseconds since the epoch. */
  expiresAt: number;
  refreshToken: string | undefined;
  grantId: string;
  allowance: ApprovedAiAllowance;
}

// Spec [TOK-11]: access tokens live at most 600 s; assume the default when the wallet does not say.
const DEFAULT_LIFETIME_SECONDS = 300;

/**
 * The `grant_id` claim of an access token. Apps otherwise treat access tokens as opaque
 * (RFC 9068 §6); the grant id is the one claim the spec makes stable for them ([TOK-12]).
 */
function grantIdOf(accessToken: string): string | undefined {
  const payload = accessToken.split('.')[1];
  if (!payload) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)));
    const claims = JSON.parse(json) as { grant_id?: unknown };
    return typeof claims.grant_id === 'string' ? claims.grant_id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a token endpoint response (spec [AUTH-32], [TOK-4]). A refresh response without
 * `refresh_token` or `authorization_details` keeps the previous ones.
 */
export function tokenStateFrom(
  response: oauth.TokenEndpointResponse,
  now: number,
  previous?: TokenState,
): TokenState {
  const tokenType: string = response.token_type;
  if (tokenType !== 'bearer' && tokenType !== 'dpop') {
    throw new AllowanceError(
      'unexpected_response',
      `The wallet issued an unknown token type "${tokenType}".`,
    );
  }
  const details = response.authorization_details?.[0];
  let allowance = previous?.allowance;
  if (details !== undefined) {
    const parsed = approvedAiAllowanceSchema.safeParse(details);
    if (!parsed.success) {
      throw new AllowanceError(
        'unexpected_response',
        `The wallet's authorization_details is not an approved ai_allowance: ${parsed.error.message}`,
      );
    }
    allowance = parsed.data;
  }
  if (!allowance) {
    throw new AllowanceError('unexpected_response', 'The token response has no authorization_details.');
  }
  const grantId = grantIdOf(response.access_token) ?? previous?.grantId;
  if (!grantId) throw new AllowanceError('unexpected_response', 'The access token carries no grant_id.');
  return {
    accessToken: response.access_token,
    tokenType,
    expiresAt: now + (response.expires_in ?? DEFAULT_LIFETIME_SECONDS) * 1000,
    refreshToken: response.refresh_token ?? previous?.refreshToken,
    grantId,
    allowance,
  };
}
