import { describe, expect, it } from 'vitest';
import {
  ANTHROPIC_MEDIA_BLOCK_TOKENS,
  approximateAnthropicTokens,
  countAnthropicInputTokens,
} from './anthropic-token-count.js';

describe('countAnthropicInputTokens', () => {
  it('is ceil(UTF-8 bytes / 4) per text, + 3 per message, + 3 priming', () => {
    expect(approximateAnthropicTokens('')).toBe(0);
    expect(approximateAnthropicTokens('abcd')).toBe(1);
    expect(approximateAnthropicTokens('abcde')).toBe(2);
    expect(approximateAnthropicTokens('€')).toBe(1); // 3 bytes
    expect(countAnthropicInputTokens({ messages: [{ role: 'user', content: 'Hello' }] })).toBe(3 + 3 + 2);
  });

  it('counts system, blocks, media, tool results and tools', () => {
    const total = countAnthropicInputTokens({
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image' },
            { type: 'tool_result', content: [{ type: 'text', text: '42 degrees' }] },
          ],
        },
      ],
      tools: [{ name: 'weather' }],
    });
    expect(total).toBe(
      3 +
        approximateAnthropicTokens('Be brief.') +
        3 +
        approximateAnthropicTokens('Look:') +
        ANTHROPIC_MEDIA_BLOCK_TOKENS +
        approximateAnthropicTokens('42 degrees') +
        approximateAnthropicTokens('[{"name":"weather"}]'),
    );
  });
});
