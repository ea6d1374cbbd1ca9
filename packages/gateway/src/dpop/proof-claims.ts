import { type DpopRefusal, invalidDpopProof } from './dpop-outcome.js';

/** The longest `jti` accepted: RFC 9449 suggests 96 random bits; this bounds the replay cache. */
export const MAXIMUM_JTI_LENGTH = 256;

/** The claims of a DPoP proof presented with an access token, present and of the right types. */
export interface ProofClaims {
  jti: string;
  htm: string;
  htu: string;
  /** Seconds since the epoch; may have a fraction (RFC 7519 NumericDate). */
  iat: number;
  ath: string;
  /** Absent when the app sent none; anything but a string is treated as absent. */
  nonce?: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a verified payload and checks that every claim RFC 9449 §4.2 requires at a protected
 * resource is present with its type (§4.3 step 3, §7: `ath` is required with an access token):
 * `jti` a non-empty string of bounded length, `htm` and `htu` strings, `iat` a number, `ath` a
 * string. Values are compared with the request by later steps.
 */
export function readProofClaims(payload: Uint8Array): { ok: true; claims: ProofClaims } | DpopRefusal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(payload));
  } catch {
    return invalidDpopProof("The DPoP proof's payload is not JSON.");
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return invalidDpopProof("The DPoP proof's payload is not a JSON object.");
  }
  const claims = parsed as Record<string, unknown>;
  const { jti, htm, htu, iat, ath, nonce } = claims;
  const missing = (['jti', 'htm', 'htu', 'iat', 'ath'] as const).find((name) => !Object.hasOwn(claims, name));
  if (missing !== undefined) return invalidDpopProof(`The DPoP proof has no ${missing} claim.`);
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAXIMUM_JTI_LENGTH) {
    return invalidDpopProof(
      `The DPoP proof's jti claim must be a non-empty string of at most ${MAXIMUM_JTI_LENGTH} characters.`,
    );
  }
  if (typeof htm !== 'string') return invalidDpopProof("The DPoP proof's htm claim is not a string.");
  if (typeof htu !== 'string') return invalidDpopProof("The DPoP proof's htu claim is not a string.");
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    return invalidDpopProof("The DPoP proof's iat claim is not a number of seconds since the epoch.");
  }
  if (typeof ath !== 'string') return invalidDpopProof("The DPoP proof's ath claim is not a string.");
  const read: ProofClaims = { jti, htm, htu, iat, ath };
  if (typeof nonce === 'string') read.nonce = nonce;
  return { ok: true, claims: read };
}
