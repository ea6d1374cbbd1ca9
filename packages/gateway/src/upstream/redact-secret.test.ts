import { describe, expect, it } from 'vitest';
import { redactJson, redactSecret } from './redact-secret.js';

describe('redactSecret', () => {
  it('replaces every occurrence', () => {
    expect(redactSecret('sk-1 and sk-1 again', 'sk-1')).toBe('[redacted] and [redacted] again');
  });

  it('leaves text alone for an empty secret', () => {
    expect(redactSecret('anything', '')).toBe('anything');
  });
});

describe('redactJson', () => {
  it('redacts strings and member names, and keeps numbers intact whatever the secret', () => {
    expect(redactJson({ error: { message: 'key 1 bad', '1': 1, list: ['1', 21] } }, '1')).toEqual({
      error: { message: 'key [redacted] bad', '[redacted]': 1, list: ['[redacted]', 21] },
    });
  });
});
