import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;

/** Encrypts and decrypts secrets at rest under the wallet's master key. */
export interface Sealer {
  /**
   * Encrypts `plaintext` with AES-256-GCM. `context` (for example `provider-key:<account>:<provider>`)
   * is authenticated but not stored: a sealed value copied to another row will not open there.
   */
  seal(plaintext: string, context: string): string;
  /** Decrypts a sealed value; throws if it was tampered with or sealed for another context. */
  unseal(sealed: string, context: string): string;
}

/**
 * A {@link Sealer} over a 32-byte master key. The key lives outside the database (a 0600 file in
 * the data directory, or an environment variable), so a copy of the database alone reveals no
 * provider key.
 */
export function createSealer(masterKey: Uint8Array): Sealer {
  if (masterKey.byteLength !== KEY_BYTES) {
    throw new RangeError(`The master key must be ${KEY_BYTES} bytes; this one is ${masterKey.byteLength}.`);
  }
  const key = Buffer.from(masterKey);
  return {
    seal(plaintext, context) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, nonce, cipher.getAuthTag(), ciphertext]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    unseal(sealed, context) {
      const [version, nonce, tag, ciphertext] = sealed.split('.');
      if (version !== VERSION || nonce === undefined || tag === undefined || ciphertext === undefined) {
        throw new Error('Not a sealed value this wallet can open.');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}

/** A new random master key. */
export function generateMasterKey(): Uint8Array {
  return randomBytes(KEY_BYTES);
}
