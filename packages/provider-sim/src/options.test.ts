import { describe, expect, it } from 'vitest';
import { DEFAULT_PROVIDERS, randomId, resolveOptions } from './options.js';
import type { ConfigurationError } from './validate.js';

describe('resolveOptions', () => {
  it('fills every default and freezes the result', () => {
    const options = resolveOptions();
    expect(options).toMatchObject({ host: '127.0.0.1', port: 0, rules: [], maxCalls: 10_000 });
    expect(options.providers).toEqual(DEFAULT_PROVIDERS);
    expect(options.providers.map((provider) => [provider.id, provider.family, provider.apiKey])).toEqual([
      ['openai', 'openai', 'sk-sim-openai'],
      ['anthropic', 'anthropic', 'sk-ant-sim-anthropic'],
      ['deepseek', 'openai', 'sk-sim-deepseek'],
    ]);
    expect(Object.isFrozen(options)).toBe(true);
  });

  it.each([
    [{ port: 70_000 }, 'options.port'],
    [{ providers: [] }, 'options.providers'],
    [{ providers: [{ id: 'Open AI', family: 'openai', apiKey: 'k' }] }, 'options.providers[0].id'],
    [{ providers: [{ id: 'x', family: 'gemini', apiKey: 'k' }] }, 'options.providers[0].family'],
    [{ providers: [{ id: 'x', family: 'openai' }] }, 'options.providers[0].apiKey'],
    [
      {
        providers: [
          { id: 'x', family: 'openai', apiKey: 'k' },
          { id: 'x', family: 'anthropic', apiKey: 'k' },
        ],
      },
      'options.providers[1].id',
    ],
    [{ rules: [{ tokensPerSecond: 'fast' }] }, 'options.rules[0].tokensPerSecond'],
    [{ clock: 5 }, 'options.clock'],
    [{ prot: 8080 }, 'options.prot'],
  ])('rejects %j at %s', (input, path) => {
    expect(() => resolveOptions(input as never)).toThrowError(
      expect.objectContaining({ name: 'ConfigurationError', path }) as unknown as ConfigurationError,
    );
  });

  it('makes prefixed random ids', () => {
    expect(randomId('msg_')).toMatch(/^msg_[0-9A-Za-z]{24}$/);
    expect(randomId('req_')).not.toBe(randomId('req_'));
  });
});
