import { createHash, randomUUID } from 'node:crypto';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** `ath`: base64url SHA-256 of the access token (RFC 9449 §4.2). */
export const accessTokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A DPoP key pair held by the suite's app, and proofs signed with it (RFC 9449 §4). */
export class DpopKey {
  private constructor(
    readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly thumbprint: string,
  ) {}

  static async generate(): Promise<DpopKey> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    return new DpopKey(privateKey, publicJwk, await calculateJwkThumbprint(publicJwk));
  }

  /** A proof for one request; `claims` and `header` override the correct values, for negatives. */
  proof(
    method: string,
    url: string,
    options: {
      accessToken?: string;
      nonce?: string;
      claims?: Record<string, unknown>;
      header?: Record<string, unknown>;
    } = {},
  ): Promise<string> {
    const target = new URL(url);
    return new SignJWT({
      jti: randomUUID(),
      htm: method,
      htu: `${target.origin}${target.pathname}`,
      iat: Math.floor(Date.now() / 1000),
      ...(options.accessToken !== undefined && { ath: accessTokenHash(options.accessToken) }),
      ...(options.nonce !== undefined && { nonce: options.nonce }),
      ...options.claims,
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: this.publicJwk, ...options.header })
      .sign(this.privateKey);
  }
}
