/**
 * Every asymmetric JWS algorithm jose can verify a DPoP proof with. RFC 9449 §4.3 step 5 admits
 * only registered asymmetric signature algorithms: never `none`, never a MAC such as `HS256`,
 * whose key would have to travel in the proof.
 */
const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set([
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
]);

/**
 * Checks a configured allow-list once, at start-up: it must name at least one algorithm and only
 * asymmetric ones. Returns a frozen copy; throws on a bad option, which is a deployment error.
 */
export function checkedAlgorithms(algorithms: readonly string[]): readonly string[] {
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError('dpop.algorithms must name at least one signature algorithm');
  }
  for (const algorithm of algorithms) {
    if (typeof algorithm !== 'string' || !ASYMMETRIC_ALGORITHMS.has(algorithm)) {
      throw new TypeError(
        `dpop.algorithms: ${String(algorithm)} is not an asymmetric JWS algorithm (allowed: ${[...ASYMMETRIC_ALGORITHMS].join(', ')})`,
      );
    }
  }
  return Object.freeze([...new Set(algorithms)]);
}

/** Why a proof's `alg` is refused, for `error_description`; `undefined` when it is allowed. */
export function algorithmRefusal(algorithm: unknown, allowed: readonly string[]): string | undefined {
  const expected = `sign it with one of ${allowed.join(', ')}`;
  if (typeof algorithm !== 'string' || algorithm.length === 0) {
    return `The DPoP proof has no alg header; ${expected}.`;
  }
  if (algorithm.toLowerCase() === 'none') return `The DPoP proof is unsigned (alg none); ${expected}.`;
  if (/^HS\d+$/i.test(algorithm)) {
    return `The DPoP proof uses a symmetric MAC algorithm, not a signature; ${expected}.`;
  }
  if (!allowed.includes(algorithm)) return `The DPoP proof's alg is not accepted; ${expected}.`;
  return undefined;
}
