import { compactVerify, errors, importJWK } from 'jose';
import { type DpopRefusal, invalidDpopProof } from './dpop-outcome.js';
import type { ProofHeader } from './proof-header.js';

/**
 * Imports the proof's own `jwk` as a public key for its `alg` and verifies the JWS with it
 * (RFC 9449 §4.3 step 6, spec [DPOP-9]). Returns the verified payload octets. The key is
 * refused if jose cannot import it for that algorithm (wrong `kty` or curve, a symmetric key,
 * an RSA modulus under 2048 bits).
 */
export async function verifyProofSignature(
  proof: string,
  header: ProofHeader,
): Promise<{ ok: true; payload: Uint8Array } | DpopRefusal> {
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(header.jwk, header.alg);
  } catch {
    return invalidDpopProof("The DPoP proof's jwk is not a usable public key for its alg.");
  }
  if (key instanceof Uint8Array) {
    return invalidDpopProof("The DPoP proof's jwk is not a usable public key for its alg.");
  }
  try {
    const { payload } = await compactVerify(proof, key, { algorithms: [header.alg] });
    return { ok: true, payload };
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return invalidDpopProof("The DPoP proof's signature does not verify with its jwk.");
    }
    return invalidDpopProof('The DPoP proof is not a well-formed JWS.');
  }
}
