import { randomUUID } from 'node:crypto';
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { accessTokenHash } from './access-token-hash.js';

/** A private key as jose generates it (a WebCrypto `CryptoKey`). */
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** An app's DPoP key pair, for tests. */
export interface TestKey {
  alg: 'ES256' | 'EdDSA';
  privateKey: PrivateKey;
  publicJwk: JWK;
  /** RFC 7638 thumbprint: what the access token's `cnf.jkt` holds. */
  thumbprint: string;
}

/** Makes a DPoP key pair for tests. */
export async function createTestKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk) };
}

/** Encodes JSON as unpadded base64url, the way a JWS part is encoded. */
export function encodePart(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** The claims of a proof for a request, with `iat` from `nowMilliseconds`. */
export function proofClaims(request: {
  method: string;
  url: string;
  accessToken: string;
  nowMilliseconds: number;
}): Record<string, unknown> {
  return {
    jti: randomUUID(),
    htm: request.method,
    htu: request.url,
    iat: Math.floor(request.nowMilliseconds / 1000),
    ath: accessTokenHash(request.accessToken),
  };
}

/**
 * Signs a proof with `key`. `header` members are merged over `{ typ, alg, jwk }` and a member
 * set to `undefined` is left out, so a test can write exactly the broken header it needs.
 */
export async function signProof(
  key: TestKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const protectedHeader = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...header };
  for (const [name, value] of Object.entries(protectedHeader)) {
    if (value === undefined) delete (protectedHeader as Record<string, unknown>)[name];
  }
  // CompactSign checks only that alg is set; typ and jwk are whatever the test asks for.
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(protectedHeader as { alg: string })
    .sign(key.privateKey);
}
