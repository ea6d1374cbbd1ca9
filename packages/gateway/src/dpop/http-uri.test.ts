import { describe, expect, it } from 'vitest';
import { comparableHttpUri } from './http-uri.js';

describe('comparableHttpUri', () => {
  it.each([
    ['https://gateway.example/v1/models', 'https://gateway.example/v1/models'],
    ['HTTPS://GATEWAY.Example/v1/Models', 'https://gateway.example/v1/Models'],
    ['https://gateway.example:443/v1', 'https://gateway.example/v1'],
    ['http://gateway.example:80/v1', 'http://gateway.example/v1'],
    ['http://gateway.example:8080/v1', 'http://gateway.example:8080/v1'],
    ['https://gateway.example', 'https://gateway.example/'],
    ['https://gateway.example/v1?query=1#fragment', 'https://gateway.example/v1'],
    ['https://gateway.example/a/./b/../c', 'https://gateway.example/a/c'],
    ['https://gateway.example/%7euser/%2fx/%c3%a9', 'https://gateway.example/~user/%2Fx/%C3%A9'],
    ['https://[::1]:443/v1', 'https://[::1]/v1'],
    ['https://127.0.0.1:8443/v1', 'https://127.0.0.1:8443/v1'],
  ])('normalizes %s', (input, expected) => {
    expect(comparableHttpUri(input, true)).toBe(expected);
  });

  it.each([
    '/v1/models',
    'gateway.example/v1',
    'https:gateway.example/v1',
    'https:///v1',
    'ftp://gateway.example/v1',
    'https://user:secret@gateway.example/v1',
    'https://@gateway.example/v1',
    'https://gateway.example/v1 x',
    'https://gateway.example\\v1',
    'https://gateway.example/é',
    ' https://gateway.example/v1',
    'https://gateway.example:99999/v1',
  ])('refuses %j as an htu', (input) => {
    expect(comparableHttpUri(input, true)).toBeUndefined();
  });

  it('parses a request URL leniently, to the same form', () => {
    expect(comparableHttpUri('https://gateway.example/é', false)).toBe('https://gateway.example/%C3%A9');
    expect(comparableHttpUri('https://gateway.example/%c3%a9', true)).toBe('https://gateway.example/%C3%A9');
  });
});
