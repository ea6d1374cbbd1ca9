import type { ModelPrice } from '@allowance/protocol';
import { describe, expect, it } from 'vitest';
import { html } from '../pages/html.js';
import { consentPage } from './consent-page.js';

const PRICES: Record<string, Record<string, ModelPrice>> = {
  openai: { 'gpt-4.1-mini': { currency: 'USD', input: '0.40', output: '1.60' } },
  anthropic: { 'claude-sonnet-4-5': { currency: 'USD', input: '3.00', output: '15.00' } },
};

function render(models: string[]) {
  const page = consentPage({
    uid: 'uid',
    csrf: html``,
    client: { id: 'app', name: 'App', redirectHosts: ['app.example'], dpopBound: false },
    requested: {
      type: 'ai_allowance',
      providers: ['openai', 'anthropic'],
      models,
    },
    availableProviders: new Set(['openai', 'anthropic']),
    price: (provider, model) => PRICES[provider]?.[model],
    defaultExpiry: '2030-01-01',
    problems: [],
    signedInAs: 'owner@example.com',
    now: 0,
  });
  // Each model's checkbox is followed by the list of its prices.
  const rows: Record<string, string[]> = {};
  for (const match of page.matchAll(
    /name="model" value="([^"]+)"[\s\S]*?<ul class="muted">([\s\S]*?)<\/ul>/g,
  )) {
    rows[match[1] as string] = [...(match[2] as string).matchAll(/<li>([^<]*)<\/li>/g)].map((item) =>
      (item[1] as string).trim(),
    );
  }
  return rows;
}

describe('the consent screen’s prices', () => {
  it('lists a model’s price only at the providers that serve it', () => {
    expect(render(['gpt-4.1-mini', 'claude-sonnet-4-5', 'openai/local-llama', 'unknown-model'])).toEqual({
      'gpt-4.1-mini': ['openai: 0.40 in / 1.60 out USD per million tokens'],
      'claude-sonnet-4-5': ['anthropic: 3.00 in / 15.00 out USD per million tokens'],
      'openai/local-llama': ['openai: no price set — metered in tokens only'],
      'unknown-model': ['no price set — metered in tokens only'],
    });
  });
});
