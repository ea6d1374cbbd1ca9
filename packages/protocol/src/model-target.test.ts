import { describe, expect, it } from 'vitest';
import { modelAllowed, resolveTarget, type TargetQuery } from './model-target.js';

const base: TargetQuery = {
  model: 'gpt-4.1-mini',
  endpoint: 'openai',
  granted: ['openai', 'acme', 'anthropic'],
  providers: [
    { id: 'openai', api: 'openai' },
    { id: 'acme', api: 'openai' },
    { id: 'anthropic', api: 'anthropic' },
    { id: 'deepseek', api: 'openai' },
  ],
  serves: (provider, model) =>
    (provider === 'openai' && model.startsWith('gpt-')) ||
    (provider === 'acme' && model === 'gpt-4.1-mini') ||
    (provider === 'anthropic' && model.startsWith('claude-')),
};

const outcome = (query: Partial<TargetQuery>) => {
  const result = resolveTarget({ ...base, ...query });
  return result.ok ? result.target : result.refusal.code;
};

describe('resolveTarget', () => {
  it('takes the provider header first, then a granted prefix, then the one provider serving the model', () => {
    expect(outcome({ providerHeader: 'acme' })).toEqual({ provider: 'acme', model: 'gpt-4.1-mini' });
    expect(outcome({ model: 'acme/gpt-4.1-mini' })).toEqual({ provider: 'acme', model: 'gpt-4.1-mini' });
    expect(outcome({ model: 'gpt-5' })).toEqual({ provider: 'openai', model: 'gpt-5' });
    expect(outcome({ model: 'claude-sonnet-4-5', endpoint: 'anthropic' })).toEqual({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    });
  });

  it('refuses to guess between two providers serving the same model', () => {
    expect(outcome({ model: 'gpt-4.1-mini' })).toBe('provider_unresolved');
    expect(outcome({ model: 'mystery-model' })).toBe('provider_unresolved');
  });

  it('keeps a slash in a model id when its prefix is not a granted provider', () => {
    const result = resolveTarget({
      ...base,
      model: 'meta-llama/Llama-3',
      serves: () => true,
      granted: ['acme'],
    });
    expect(result.ok && result.target).toEqual({ provider: 'acme', model: 'meta-llama/Llama-3' });
  });

  it('refuses providers outside the grant, without credentials, or of the other API family', () => {
    expect(outcome({ providerHeader: 'deepseek' })).toBe('provider_not_allowed');
    expect(outcome({ model: 'deepseek/deepseek-chat' })).toBe('provider_not_allowed');
    expect(outcome({ providerHeader: 'mistral', granted: ['mistral'] })).toBe('provider_unavailable');
    expect(outcome({ providerHeader: 'anthropic' })).toBe('provider_api_mismatch');
  });
});

describe('modelAllowed', () => {
  const detail = {
    providers: ['openai', 'acme'],
    models: ['gpt-4.1-mini', 'acme/gpt-5', 'meta-llama/Llama-3'],
  };
  it('matches plain ids at every provider and qualified ids at theirs only', () => {
    expect(modelAllowed(detail, { provider: 'openai', model: 'gpt-4.1-mini' })).toBe(true);
    expect(modelAllowed(detail, { provider: 'acme', model: 'gpt-4.1-mini' })).toBe(true);
    expect(modelAllowed(detail, { provider: 'acme', model: 'gpt-5' })).toBe(true);
    expect(modelAllowed(detail, { provider: 'openai', model: 'gpt-5' })).toBe(false);
    expect(modelAllowed(detail, { provider: 'openai', model: 'acme/gpt-5' })).toBe(false);
    expect(modelAllowed(detail, { provider: 'acme', model: 'meta-llama/Llama-3' })).toBe(true);
  });
});
