import { describe, expect, it } from 'vitest';
import { maskHeaders, maskText, registerSecret } from './mask-secrets.js';

describe('evidence masking', () => {
  it('masks credentials in headers but keeps the scheme', () => {
    const masked = maskHeaders({
      Authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
      DPoP: 'proof-value-123456',
    });
    expect(masked.authorization).toMatch(/^Bearer eyJhbG…\[\d+ chars masked\]$/);
    expect(masked.dpop).not.toContain('proof-value-123456');
  });

  it('masks tokens in JSON and form bodies, JWTs anywhere, and registered literals', () => {
    registerSecret('sk-sim-literal-key');
    const json = maskText(
      '{"access_token":"abcdefghijklmnop","refresh_token":"qrstuvwxyz123456","token_type":"Bearer"}',
    );
    expect(json).not.toContain('abcdefghijklmnop');
    expect(json).not.toContain('qrstuvwxyz123456');
    expect(json).toContain('"token_type":"Bearer"');
    expect(maskText('grant_type=authorization_code&code=secretcode12345&x=1')).not.toContain(
      'secretcode12345',
    );
    expect(maskText('key sk-sim-literal-key here')).not.toContain('sk-sim-literal-key');
    expect(maskText('a eyJhbGciOiJub25lIn0.eyJ4IjoxfQ. b')).not.toContain('eyJ4IjoxfQ');
  });
});
