import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anthropicUsage, openAIUsage, toAnthropicUsageObject, toOpenAIUsageObject } from './usage.js';

const counts = fc.integer({ min: 0, max: 100_000 });

describe('cache semantics', () => {
  it('OpenAI: cached tokens are part of prompt_tokens and never exceed it', () => {
    fc.assert(
      fc.property(counts, counts, counts, (prompt, output, cached) => {
        const usage = openAIUsage(prompt, output, { cachedInputTokens: cached });
        const wire = toOpenAIUsageObject(usage);
        expect(wire.prompt_tokens).toBe(prompt);
        expect(wire.prompt_tokens_details.cached_tokens).toBe(Math.min(cached, prompt));
        expect(wire.total_tokens).toBe(prompt + output);
      }),
    );
  });

  it('Anthropic: input, cache reads and cache writes add up to the prompt', () => {
    fc.assert(
      fc.property(counts, counts, counts, counts, (prompt, output, cached, written) => {
        const wire = toAnthropicUsageObject(
          anthropicUsage(prompt, output, { cachedInputTokens: cached, cacheWriteInputTokens: written }),
        );
        expect(wire.input_tokens + wire.cache_read_input_tokens + wire.cache_creation_input_tokens).toBe(
          prompt,
        );
        expect(wire.input_tokens).toBeGreaterThanOrEqual(0);
        expect(wire.cache_read_input_tokens).toBe(Math.min(cached, prompt));
        expect(wire.cache_creation.ephemeral_5m_input_tokens).toBe(wire.cache_creation_input_tokens);
        expect(wire.output_tokens).toBe(output);
      }),
    );
  });

  it('Anthropic: 100 prompt tokens with 30 cached and 10 written report 60 input tokens', () => {
    expect(anthropicUsage(100, 5, { cachedInputTokens: 30, cacheWriteInputTokens: 10 })).toEqual({
      inputTokens: 60,
      cachedInputTokens: 30,
      cacheWriteInputTokens: 10,
      outputTokens: 5,
    });
  });
});
