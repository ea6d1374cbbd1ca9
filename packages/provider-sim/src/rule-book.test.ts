import { describe, expect, it } from 'vitest';
import { RuleBook, ruleMatches } from './rule-book.js';
import { parseRules } from './rules.js';
import { ConfigurationError } from './validate.js';

describe('parseRules', () => {
  it('keeps only the keys given and freezes the rules', () => {
    const [rule] = parseRules([{ provider: 'openai', fault: { status: 429 } }]);
    expect(rule).toEqual({ provider: 'openai', fault: { status: 429 } });
    expect(Object.isFrozen(rule)).toBe(true);
  });

  it.each([
    [[{ latencyMs: -5 }], 'rules[0].latencyMs'],
    [[{}, { fault: { status: 418 } }], 'rules[1].fault.status'],
    [[{ responseTokens: 0 }], 'rules[0].responseTokens'],
    [[{ dropAfterTokens: 1.5 }], 'rules[0].dropAfterTokens'],
    [[{ lantency: 5 }], 'rules[0].lantency'],
    [[{ hang: 'yes' }], 'rules[0].hang'],
    [{ rules: [] }, 'rules'],
  ])('rejects %j at %s', (input, path) => {
    try {
      parseRules(input);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).path).toBe(path);
    }
  });
});

describe('RuleBook', () => {
  it('matches by provider and model pattern, first match wins', () => {
    const book = new RuleBook([
      { provider: 'anthropic', model: 'claude-*-4-5', latencyMs: 1 },
      { provider: 'anthropic', latencyMs: 2 },
      { model: 'gpt-4o', latencyMs: 3 },
    ]);
    expect(book.take({ provider: 'anthropic', model: 'claude-haiku-4-5' }).latencyMs).toBe(1);
    expect(book.take({ provider: 'anthropic', model: 'claude-opus-4-6' }).latencyMs).toBe(2);
    expect(book.take({ provider: 'anthropic', model: null }).latencyMs).toBe(2);
    expect(book.take({ provider: 'openai', model: 'gpt-4o' }).latencyMs).toBe(3);
    expect(book.take({ provider: 'openai', model: 'gpt-4o-mini' })).toEqual({});
    expect(book.take({ provider: 'openai', model: null })).toEqual({});
  });

  it('treats pattern characters other than * literally', () => {
    expect(ruleMatches({ model: 'gpt-4.1' }, { provider: 'openai', model: 'gpt-4.1' })).toBe(true);
    expect(ruleMatches({ model: 'gpt-4.1' }, { provider: 'openai', model: 'gpt-401' })).toBe(false);
  });

  it('spends a times budget, then falls through; replacing resets it', () => {
    const book = new RuleBook([{ fault: { status: 500 }, times: 2 }, { latencyMs: 9 }]);
    const target = { provider: 'openai', model: 'gpt-4o' };
    expect(book.take(target).fault?.status).toBe(500);
    expect(book.take(target).fault?.status).toBe(500);
    expect(book.take(target)).toEqual({ latencyMs: 9 });
    book.replace([{ fault: { status: 500 }, times: 1 }]);
    expect(book.take(target).fault?.status).toBe(500);
    expect(book.take(target)).toEqual({});
  });
});
