import { describe, expect, it } from 'vitest';
import { createSealer, generateMasterKey } from './sealing.js';

describe('sealing', () => {
  const sealer = createSealer(generateMasterKey());
  const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';

  it('round-trips a secret and never shows it in the sealed form', () => {
    const sealed = sealer.seal(secret, 'provider-key:a:openai');
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain(Buffer.from(secret).toString('base64url').slice(0, 12));
    expect(sealer.unseal(sealed, 'provider-key:a:openai')).toBe(secret);
    expect(sealer.seal(secret, 'provider-key:a:openai')).not.toBe(sealed);
  });

  it('refuses another context, another key, and any tampering', () => {
    const sealed = sealer.seal(secret, 'provider-key:a:openai');
    expect(() => sealer.unseal(sealed, 'provider-key:b:openai')).toThrow();
    expect(() => createSealer(generateMasterKey()).unseal(sealed, 'provider-key:a:openai')).toThrow();
    const parts = sealed.split('.');
    const flipped = `${parts[3]?.[0] === 'A' ? 'B' : 'A'}${parts[3]?.slice(1)}`;
    expect(() =>
      sealer.unseal([parts[0], parts[1], parts[2], flipped].join('.'), 'provider-key:a:openai'),
    ).toThrow();
    expect(() => sealer.unseal('garbage', 'provider-key:a:openai')).toThrow(/Not a sealed value/);
  });

  it('takes only 32-byte keys', () => {
    expect(() => createSealer(new Uint8Array(16))).toThrow(/32 bytes/);
  });
});
