import { decodeProtectedHeader, type JWK } from 'jose';
import { type DpopRefusal, invalidDpopProof } from './dpop-outcome.js';
import { algorithmRefusal } from './signing-algorithms.js';

/**
 * The longest DPoP header value read. An ES256 or EdDSA proof is well under 1,000 characters;
 * this leaves room for RSA keys while keeping hostile input cheap to refuse.
 */
export const MAXIMUM_PROOF_LENGTH = 8192;

/**
 * JWK members that hold private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4; `priv`
 * is the AKP private key). A proof whose `jwk` carries any of them is refused (RFC 9449 §4.3
 * step 7, spec [DPOP-9]): the app has leaked its key, and the key is not a public key.
 */
const PRIVATE_KEY_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/** The three base64url parts of a JWS in compact serialization; the signature may be empty. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The parts of a proof's JOSE header the later steps need, already checked. */
export interface ProofHeader {
  /** An allowed asymmetric algorithm. */
  alg: string;
  /** A public JWK with no private members; not yet imported. */
  jwk: JWK;
}

/**
 * Reads the one DPoP header value and checks its JOSE header, before any signature work
 * (RFC 9449 §4.3 steps 1, 2, 4, 5 and 7; spec [DPOP-6] to [DPOP-9]):
 * - exactly one DPoP header, whose value is one JWS in compact serialization;
 * - a protected header that is base64url-encoded JSON, with no `crit` extensions;
 * - `typ` exactly `dpop+jwt`;
 * - `alg` in the allow-list (so never `none` or a MAC);
 * - a `jwk` object that has no private key members.
 */
export function readProofHeader(
  proofs: unknown,
  algorithms: readonly string[],
): { ok: true; proof: string; header: ProofHeader } | DpopRefusal {
  if (!Array.isArray(proofs) || proofs.length === 0) {
    return invalidDpopProof('The request carries no DPoP proof; send one in the DPoP header.');
  }
  if (proofs.length > 1) return invalidDpopProof('The request carries more than one DPoP header.');
  const [proof] = proofs as unknown[];
  if (typeof proof !== 'string' || proof.length === 0) {
    return invalidDpopProof('The DPoP header is not a JWS in compact serialization.');
  }
  if (proof.length > MAXIMUM_PROOF_LENGTH) {
    return invalidDpopProof(`The DPoP proof is longer than ${MAXIMUM_PROOF_LENGTH} characters.`);
  }
  if (!COMPACT_JWS.test(proof)) {
    return invalidDpopProof(
      'The DPoP header is not a JWS in compact serialization (three base64url parts separated by dots).',
    );
  }
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    return invalidDpopProof("The DPoP proof's protected header is not base64url-encoded JSON.");
  }
  // RFC 7515 §4.1.11: extensions we do not understand must be refused; DPoP defines none, and
  // `b64: false` (RFC 7797) would make the payload something other than a JWT claims set.
  if (header.crit !== undefined) {
    return invalidDpopProof(
      "The DPoP proof's header names critical extensions this gateway does not support.",
    );
  }
  if (header.typ !== 'dpop+jwt') return invalidDpopProof("The DPoP proof's typ header must be dpop+jwt.");
  const algorithmProblem = algorithmRefusal(header.alg, algorithms);
  if (algorithmProblem !== undefined) return invalidDpopProof(algorithmProblem);
  const jwk = header.jwk;
  if (jwk === undefined) {
    return invalidDpopProof('The DPoP proof has no jwk header; it must carry the public key that signed it.');
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    return invalidDpopProof("The DPoP proof's jwk header is not a JSON object.");
  }
  const privateMember = PRIVATE_KEY_MEMBERS.find((member) => Object.hasOwn(jwk, member));
  if (privateMember !== undefined) {
    return invalidDpopProof(
      `The DPoP proof's jwk contains private key material (${privateMember}); send only the public key.`,
    );
  }
  return { ok: true, proof, header: { alg: header.alg as string, jwk: jwk as JWK } };
}
