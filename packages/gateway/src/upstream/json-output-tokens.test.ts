import { describe, expect, it } from 'vitest';
import { jsonOutputTokens } from './json-output-tokens.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('jsonOutputTokens', () => {
  it('counts an OpenAI answer’s content and tool-call arguments in o200k tokens', () => {
    const plain = jsonOutputTokens(
      'openai',
      json({ choices: [{ message: { content: 'Hello there, world.' } }] }),
    );
    expect(plain).toBe(5);
    const withTool = jsonOutputTokens(
      'openai',
      json({
        choices: [
          {
            message: {
              content: 'Hello there, world.',
              tool_calls: [{ function: { name: 'f', arguments: '{"a":1}' } }],
            },
          },
        ],
      }),
    );
    expect(withTool).toBeGreaterThan(plain);
  });

  it('bounds a long run of one character by its bytes instead of merging it for minutes', () => {
    const content = 'a'.repeat(1024 * 1024);
    expect(jsonOutputTokens('openai', json({ choices: [{ message: { content } }] }))).toBe(content.length);
  });

  it('counts an Anthropic answer’s text blocks as UTF-8 bytes, an upper bound', () => {
    expect(jsonOutputTokens('anthropic', json({ content: [{ type: 'text', text: 'héllo' }] }))).toBe(6);
  });

  it('is zero for embeddings and for a body that is not JSON', () => {
    expect(jsonOutputTokens('openai', json({ data: [{ embedding: [0.1, 0.2] }] }))).toBe(0);
    expect(jsonOutputTokens('openai', Buffer.from('not json'))).toBe(0);
  });
});
