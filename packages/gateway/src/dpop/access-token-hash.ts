import { createHash } from 'node:crypto';

/**
 * The `ath` value a DPoP proof carries for an access token: the base64url-encoded SHA-256 hash of
 * the token's ASCII octets, without padding (RFC 9449 §4.2).
 */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'utf8').digest('base64url');
}
