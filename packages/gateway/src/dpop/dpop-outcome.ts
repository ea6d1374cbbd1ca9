/**
 * What {@link createDpopVerifier} concludes about a request's DPoP proof: accepted, with the
 * proof's `jti`; or refused with one of the two RFC 9449 error codes and a description fit for
 * `error_description` (fixed ASCII text without quotes or backslashes: it never echoes the
 * proof). A `use_dpop_nonce` refusal carries the nonce the gateway sends in `DPoP-Nonce`
 * (RFC 9449 §9).
 */
export type DpopOutcome =
  | { ok: true; jti: string }
  | { ok: false; error: 'invalid_dpop_proof' | 'use_dpop_nonce'; description: string; nonce?: string };

/** A refusal of the proof itself: missing, malformed, not matching the request, or replayed. */
export type DpopRefusal = Extract<DpopOutcome, { ok: false }>;

/** Refuses with `invalid_dpop_proof` (RFC 9449 §7.1, spec [GW-26]). */
export function invalidDpopProof(description: string): DpopRefusal {
  return { ok: false, error: 'invalid_dpop_proof', description };
}

/** Refuses with `use_dpop_nonce` and the nonce the app must put in its next proof (RFC 9449 §9). */
export function useDpopNonce(description: string, nonce: string): DpopRefusal {
  return { ok: false, error: 'use_dpop_nonce', description, nonce };
}
