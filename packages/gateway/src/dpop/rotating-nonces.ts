import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9): the gateway hands out {@link DpopNonces.current}
 * in a `DPoP-Nonce` header and accepts proofs whose `nonce` claim {@link DpopNonces.isValid}
 * recognises, which limits how long in advance a stolen key could have made a proof.
 */
export interface DpopNonces {
  /** The nonce to send in `DPoP-Nonce` now. */
  current(): string;
  /** Whether a proof's `nonce` claim is one this gateway issued recently enough. */
  isValid(nonce: string): boolean;
}

/** Options of {@link rotatingNonces}. */
export interface RotatingNoncesOptions {
  /** The HMAC key, at least 32 bytes; every replica must share it. Copied at creation. */
  secret: Uint8Array;
  /** How long each nonce is current, in seconds; default 300. */
  periodSeconds?: number;
  /** The clock, in epoch milliseconds; default `Date.now`. */
  now?: () => number;
}

const MINIMUM_SECRET_BYTES = 32;
const DEFAULT_PERIOD_SECONDS = 300;

/** Separates these MACs from anything else the same secret might be used for. */
const DOMAIN = 'allowance dpop nonce v1:';

/** Length of a nonce: unpadded base64url of a 32-byte HMAC-SHA-256. */
const NONCE_LENGTH = 43;

/**
 * Stateless rotating nonces: the nonce of clock period `n` is `base64url(HMAC-SHA-256(secret,
 * n))`, so replicas sharing the secret agree without shared storage. A nonce is accepted in its
 * own period and the ones either side: the previous one so that a nonce handed out just before
 * a rotation still works (every nonce lives at least one full period), the next one so that a
 * replica whose clock runs slightly behind accepts a nonce from one that runs ahead.
 *
 * @example
 * const nonces = rotatingNonces({ secret: randomBytes(32) });
 * const verifyDpop = createDpopVerifier({ replayCache: memoryReplayCache() });
 * const outcome = await verifyDpop({ ...check, nonces });
 * if (!outcome.ok && outcome.nonce) response.setHeader('DPoP-Nonce', outcome.nonce);
 */
export function rotatingNonces(options: RotatingNoncesOptions): DpopNonces {
  const { secret } = options;
  if (!(secret instanceof Uint8Array) || secret.byteLength < MINIMUM_SECRET_BYTES) {
    throw new TypeError(
      `rotatingNonces: secret must be a Uint8Array of at least ${MINIMUM_SECRET_BYTES} bytes`,
    );
  }
  const periodSeconds = options.periodSeconds ?? DEFAULT_PERIOD_SECONDS;
  if (!Number.isFinite(periodSeconds) || periodSeconds <= 0) {
    throw new RangeError('rotatingNonces: periodSeconds must be a positive number');
  }
  const key: KeyObject = createSecretKey(secret);
  const now = options.now ?? Date.now;
  const periodMilliseconds = periodSeconds * 1000;
  // The last few periods' nonces, so that a busy gateway computes each one once.
  const computed = new Map<number, string>();

  const nonceFor = (period: number): string => {
    let nonce = computed.get(period);
    if (nonce === undefined) {
      nonce = createHmac('sha256', key).update(`${DOMAIN}${period}`).digest('base64url');
      if (computed.size >= 8) computed.clear();
      computed.set(period, nonce);
    }
    return nonce;
  };
  const currentPeriod = () => Math.floor(now() / periodMilliseconds);

  return {
    current: () => nonceFor(currentPeriod()),
    isValid(nonce) {
      if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH) return false;
      const presented = Buffer.from(nonce);
      if (presented.length !== NONCE_LENGTH) return false;
      const period = currentPeriod();
      let valid = false;
      for (const candidate of [period - 1, period, period + 1]) {
        // Compare every candidate in constant time; no early return leaks which one matched.
        if (timingSafeEqual(presented, Buffer.from(nonceFor(candidate)))) valid = true;
      }
      return valid;
    },
  };
}
