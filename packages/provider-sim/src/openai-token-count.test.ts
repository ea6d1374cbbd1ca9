import { describe, expect, it } from 'vitest';
import {
  countO200kTokens,
  countOpenAIPromptTokens,
  OPENAI_NON_TEXT_PART_TOKENS,
} from './openai-token-count.js';

describe('countOpenAIPromptTokens', () => {
  it('follows the cookbook recipe: 3 per message + role + content, + 3 priming', () => {
    expect(countOpenAIPromptTokens({ messages: [{ role: 'user', content: 'Hello' }] })).toBe(3 + 1 + 1 + 3);
    const text = 'Explain how tokenizers split text into pieces.';
    expect(
      countOpenAIPromptTokens({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: text },
        ],
      }),
    ).toBe(3 + (3 + 1 + countO200kTokens('Be brief.')) + (3 + 1 + countO200kTokens(text)));
  });

  it('adds 1 + tokens(name) for a named message', () => {
    const plain = countOpenAIPromptTokens({ messages: [{ role: 'user', content: 'Hi' }] });
    const named = countOpenAIPromptTokens({ messages: [{ role: 'user', content: 'Hi', name: 'alice' }] });
    expect(named - plain).toBe(1 + countO200kTokens('alice'));
  });

  it('counts text parts, a flat charge per other part, tool calls and tools', () => {
    const parts = countOpenAIPromptTokens({
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url' }],
        },
      ],
    });
    expect(parts).toBe(
      3 + 3 + 1 + countO200kTokens('What is in this picture?') + OPENAI_NON_TEXT_PART_TOKENS,
    );
    const withToolCall = countOpenAIPromptTokens({
      messages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ function: { name: 'lookup', arguments: '{"q":1}' } }],
        },
      ],
    });
    expect(withToolCall).toBe(3 + 3 + 1 + countO200kTokens('lookup') + countO200kTokens('{"q":1}'));
    const tools = [{ type: 'function', function: { name: 'lookup' } }];
    const withTools = countOpenAIPromptTokens({ messages: [{ role: 'user', content: 'Hi' }], tools });
    expect(withTools - countOpenAIPromptTokens({ messages: [{ role: 'user', content: 'Hi' }] })).toBe(
      countO200kTokens(JSON.stringify(tools)),
    );
  });

  it('treats special-token text in content as plain text', () => {
    expect(countO200kTokens('<|endoftext|>')).toBeGreaterThan(1);
  });
});
