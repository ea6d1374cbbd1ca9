import { describe, expect, it } from 'vitest';
import { redirectUriProblem } from './redirect-uri-policy.js';

describe('the redirect URI policy (spec AUTH-2)', () => {
  it('accepts https, loopback http and private-use schemes', () => {
    for (const uri of [
      'https://app.example/callback',
      'http://127.0.0.1:5999/callback',
      'http://[::1]/cb',
      'http://localhost:3000/cb',
      'com.example.quill:/callback',
    ]) {
      expect(redirectUriProblem(uri), uri).toBeUndefined();
    }
  });

  it('refuses relative URIs, fragments, wildcards, http elsewhere and bare schemes', () => {
    for (const uri of [
      '/callback',
      'https://app.example/cb#x',
      'https://*.example/cb',
      'https://app.example/*',
      'http://app.example/cb',
      'http://127.0.0.2/cb',
      'javascript:alert(1)',
      'data:text/html,hi',
    ]) {
      expect(redirectUriProblem(uri), uri).toBeDefined();
    }
  });
});
