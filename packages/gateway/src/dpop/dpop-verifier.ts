import { SIGNING_ALGORITHMS } from '@allowance/protocol';
import { calculateJwkThumbprint } from 'jose';
import { accessTokenHash } from './access-token-hash.js';
import { type DpopOutcome, type DpopRefusal, invalidDpopProof, useDpopNonce } from './dpop-outcome.js';
import { comparableHttpUri } from './http-uri.js';
import { readProofClaims } from './proof-claims.js';
import { readProofHeader } from './proof-header.js';
import { verifyProofSignature } from './proof-signature.js';
import type { DpopReplayCache } from './replay-cache.js';
import type { DpopNonces } from './rotating-nonces.js';
import { checkedAlgorithms } from './signing-algorithms.js';

/** One request's DPoP proof and what it must match. */
export interface DpopCheck {
  /** Every value of the request's `DPoP` header, one entry per header line (two is invalid). */
  proofs: string[];
  /** The request method, compared exactly with `htm` (methods are case-sensitive). */
  method: string;
  /**
   * The request URL as the app addressed it: the gateway's public URL and the request path, not
   * an internal address behind a proxy. Any query and fragment are ignored.
   */
  url: string;
  /** The access token presented with the proof, which `ath` must hash. */
  accessToken: string;
  /** The token's `cnf.jkt`: the RFC 7638 SHA-256 thumbprint of the key it is bound to. */
  expectedThumbprint: string;
  /** When set, the proof must carry a currently valid `nonce` claim (RFC 9449 §9). */
  nonces?: DpopNonces;
}

/** Options of {@link createDpopVerifier}. */
export interface DpopVerifierOptions {
  /** Where accepted proofs are remembered; shared by all replicas in production. */
  replayCache: DpopReplayCache;
  /** The clock, in epoch milliseconds; default `Date.now`. */
  now?: () => number;
  /** How far `iat` may be from the clock, in seconds; default 300 in the past, 60 in the future. */
  iatWindow?: { pastSeconds: number; futureSeconds: number };
  /** The accepted signature algorithms; default `ES256` and `EdDSA`. Only asymmetric ones. */
  algorithms?: string[];
}

/** Checks one request's DPoP proof; see {@link createDpopVerifier}. */
export type DpopVerifier = (check: DpopCheck) => Promise<DpopOutcome>;

const DEFAULT_IAT_WINDOW = { pastSeconds: 300, futureSeconds: 60 } as const;

/**
 * Builds the gateway's DPoP proof check (RFC 9449 §4.3 and §7; spec 07-security §7.3). The steps,
 * in order, each refusing with `invalid_dpop_proof` and a description that names the rule:
 *
 * 1. exactly one `DPoP` header, a JWS in compact serialization ([DPOP-6]);
 * 2. header `typ` is `dpop+jwt` ([DPOP-7]); `alg` is allowed, never `none` or a MAC ([DPOP-8]);
 * 3. header `jwk` is a public key, and the signature verifies with it ([DPOP-9]);
 * 4. claims `jti`, `htm`, `htu`, `iat` and `ath` are present with their types;
 * 5. `htm` is the request method ([DPOP-10]);
 * 6. `htu` is the request URL, both without query and fragment, normalized ([DPOP-11]);
 * 7. `iat` is within the window ([DPOP-12]);
 * 8. `ath` hashes the access token ([DPOP-14]);
 * 9. the `jwk` thumbprint is the token's `cnf.jkt` ([DPOP-15]);
 * 10. when nonces are required, `nonce` is currently valid, else `use_dpop_nonce` with a fresh
 *     nonce ([DPOP-16]); this comes after every other check, so an app is only asked to retry a
 *     proof that would otherwise pass;
 * 11. the `jti` has not been accepted before for this key within the window ([DPOP-13]); only a
 *     proof that passed every other check is remembered, so refused proofs cannot fill the cache.
 *
 * The returned function resolves to an outcome for any input, however hostile; it rejects only
 * if the replay cache or the nonces themselves fail. Bad options throw here, at start-up.
 *
 * @example
 * const verifyDpop = createDpopVerifier({ replayCache: memoryReplayCache() });
 * const outcome = await verifyDpop({
 *   proofs: dpopHeaderLines, // every DPoP header line the request carried
 *   method: request.method,
 *   url: `${publicOrigin}${pathname}`,
 *   accessToken,
 *   expectedThumbprint: claims.cnf.jkt,
 *   nonces, // optional: rotatingNonces({ secret })
 * });
 * if (!outcome.ok) {
 *   // 401 with a DPoP challenge whose error is outcome.error (spec [GW-26]),
 *   // and a DPoP-Nonce header when outcome.nonce is set.
 * }
 */
export function createDpopVerifier(options: DpopVerifierOptions): DpopVerifier {
  const { replayCache } = options;
  if (typeof replayCache?.remember !== 'function') {
    throw new TypeError('createDpopVerifier: replayCache must have a remember method');
  }
  const now = options.now ?? Date.now;
  const { pastSeconds, futureSeconds } = options.iatWindow ?? DEFAULT_IAT_WINDOW;
  for (const [name, seconds] of [
    ['iatWindow.pastSeconds', pastSeconds],
    ['iatWindow.futureSeconds', futureSeconds],
  ] as const) {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError(`createDpopVerifier: ${name} must be a non-negative number of seconds`);
    }
  }
  const algorithms = checkedAlgorithms(options.algorithms ?? [...SIGNING_ALGORITHMS]);

  /** Steps 1 to 9: everything that depends only on the proof and the request. */
  const inspect = async (
    check: DpopCheck,
  ): Promise<{ ok: true; jti: string; iat: number; thumbprint: string; nonce?: string } | DpopRefusal> => {
    const read = readProofHeader(check.proofs, algorithms);
    if (!read.ok) return read;
    const verified = await verifyProofSignature(read.proof, read.header);
    if (!verified.ok) return verified;
    const parsed = readProofClaims(verified.payload);
    if (!parsed.ok) return parsed;
    const { claims } = parsed;

    if (claims.htm !== check.method) {
      return invalidDpopProof("The DPoP proof's htm does not match the request method.");
    }
    const htu = comparableHttpUri(claims.htu, true);
    if (htu === undefined) return invalidDpopProof("The DPoP proof's htu is not an absolute http(s) URI.");
    if (htu !== comparableHttpUri(check.url, false)) {
      return invalidDpopProof("The DPoP proof's htu does not match the request URL.");
    }
    const clock = now();
    if (claims.iat * 1000 > clock + futureSeconds * 1000) {
      return invalidDpopProof(
        `The DPoP proof's iat is more than ${futureSeconds} seconds in the future; check the app's clock.`,
      );
    }
    if (claims.iat * 1000 < clock - pastSeconds * 1000) {
      return invalidDpopProof(
        `The DPoP proof's iat is more than ${pastSeconds} seconds in the past; make a fresh proof for each request.`,
      );
    }
    if (claims.ath !== accessTokenHash(check.accessToken)) {
      return invalidDpopProof("The DPoP proof's ath does not match the access token.");
    }
    let thumbprint: string;
    try {
      thumbprint = await calculateJwkThumbprint(read.header.jwk, 'sha256');
    } catch {
      return invalidDpopProof("The DPoP proof's jwk lacks the members of its key type.");
    }
    if (thumbprint !== check.expectedThumbprint) {
      return invalidDpopProof("The DPoP proof's key is not the key the access token is bound to (cnf.jkt).");
    }
    const inspected = { ok: true as const, jti: claims.jti, iat: claims.iat, thumbprint };
    return claims.nonce === undefined ? inspected : { ...inspected, nonce: claims.nonce };
  };

  return async (check) => {
    let inspected: Awaited<ReturnType<typeof inspect>>;
    try {
      inspected = await inspect(check);
    } catch {
      // Every step returns its refusals; this only catches what hostile input might still shake
      // loose (a check object of the wrong shape), so the verifier never throws.
      return invalidDpopProof('The DPoP proof could not be checked.');
    }
    if (!inspected.ok) return inspected;

    const { nonces } = check;
    if (nonces !== undefined) {
      if (inspected.nonce === undefined) {
        return useDpopNonce(
          'This gateway requires a DPoP nonce; retry with the nonce from the DPoP-Nonce header.',
          nonces.current(),
        );
      }
      if (!nonces.isValid(inspected.nonce)) {
        return useDpopNonce(
          "The DPoP proof's nonce is stale or unknown; retry with the nonce from the DPoP-Nonce header.",
          nonces.current(),
        );
      }
    }

    // The proof is acceptable up to and including the instant its iat leaves the window; from
    // the next millisecond the iat check refuses it, so the cache need not hold it longer.
    const expiresAt = (inspected.iat + pastSeconds) * 1000 + 1;
    const firstSeen = await replayCache.remember(`${inspected.thumbprint}:${inspected.jti}`, expiresAt);
    if (!firstSeen) {
      return invalidDpopProof(
        "The DPoP proof's jti was already used; make a fresh proof with a new jti for each request.",
      );
    }
    return { ok: true, jti: inspected.jti };
  };
}
