import { describe, expect, it } from 'vitest';
import { preflightHeaders } from './cors.js';

describe('preflightHeaders', () => {
  it('allows every header the browser asks about, besides the gateway’s own', () => {
    const allowed = preflightHeaders(
      'X-Stainless-OS, x-stainless-lang ,Anthropic-Dangerous-Direct-Browser-Access',
    )['access-control-allow-headers']?.split(', ');
    expect(allowed).toEqual(
      expect.arrayContaining([
        'authorization',
        'dpop',
        'x-stainless-os',
        'x-stainless-lang',
        'anthropic-dangerous-direct-browser-access',
      ]),
    );
  });

  it('drops names that are not header tokens, so nothing odd is echoed back', () => {
    const allowed = preflightHeaders('good-name, bad name, evil\r\nset-cookie: x, ')[
      'access-control-allow-headers'
    ];
    expect(allowed).toContain('good-name');
    expect(allowed).not.toContain('bad name');
    expect(allowed).not.toContain('set-cookie');
  });
});
