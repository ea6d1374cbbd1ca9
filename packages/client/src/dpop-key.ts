import type { webcrypto } from 'node:crypto';
import * as oauth from 'oauth4webapi';

/**
 * A DPoP key pair (RFC 9449) as JSON Web Keys, so that a pending authorization or a saved
 * connection can be stored as JSON. The private key is a secret: store it as you store the
 * refresh token.
 */
export interface DpopKeyPair {
  publicKey: oauth.JWK;
  privateKey: oauth.JWK;
}

// ES256 is the one algorithm every Allowance wallet must accept (spec [META-9]).
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** A new ES256 key pair, extractable so that it can be saved. */
export async function generateDpopKey(): Promise<{ keys: oauth.CryptoKeyPair; json: DpopKeyPair }> {
  const keys = await oauth.generateKeyPair('ES256', { extractable: true });
  const [publicKey, privateKey] = await Promise.all([
    crypto.subtle.exportKey('jwk', keys.publicKey),
    crypto.subtle.exportKey('jwk', keys.privateKey),
  ]);
  return { keys, json: { publicKey: publicKey as oauth.JWK, privateKey: privateKey as oauth.JWK } };
}

/** The key pair from its JSON form. */
export async function importDpopKey(json: DpopKeyPair): Promise<oauth.CryptoKeyPair> {
  const [publicKey, privateKey] = await Promise.all([
    crypto.subtle.importKey('jwk', json.publicKey as webcrypto.JsonWebKey, ALGORITHM, true, ['verify']),
    crypto.subtle.importKey('jwk', json.privateKey as webcrypto.JsonWebKey, ALGORITHM, true, ['sign']),
  ]);
  return { publicKey, privateKey };
}

/**
 * Whether the app is a public client (no secret): browser and native apps. They use DPoP unless
 * told otherwise, as wallets require it of them by default (spec [DPOP-3]).
 */
export function publicClient(client: oauth.Client): boolean {
  return client.token_endpoint_auth_method === 'none';
}
