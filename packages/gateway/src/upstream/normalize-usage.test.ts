import { describe, expect, it } from 'vitest';
import { AnthropicUsage, anthropicUsage, embeddingsUsage, openAIUsage } from './normalize-usage.js';

describe('openAIUsage', () => {
  it('takes cached tokens out of prompt_tokens, which includes them', () => {
    expect(
      openAIUsage({
        prompt_tokens: 1234,
        completion_tokens: 567,
        prompt_tokens_details: { cached_tokens: 1000 },
      }),
    ).toEqual({ inputTokens: 234, cachedInputTokens: 1000, cacheWriteTokens: 0, outputTokens: 567 });
  });

  it('reads a usage without details as all uncached', () => {
    expect(openAIUsage({ prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 })).toEqual({
      inputTokens: 9,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 2,
    });
  });

  it("reads DeepSeek's cache hit count", () => {
    expect(
      openAIUsage({
        prompt_tokens: 50,
        completion_tokens: 3,
        prompt_cache_hit_tokens: 40,
        prompt_cache_miss_tokens: 10,
      }),
    ).toEqual({ inputTokens: 10, cachedInputTokens: 40, cacheWriteTokens: 0, outputTokens: 3 });
  });

  it('never reports negative input when a provider claims more cached than prompt tokens', () => {
    expect(
      openAIUsage({ prompt_tokens: 5, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 8 } }),
    ).toMatchObject({ inputTokens: 0, cachedInputTokens: 5 });
  });

  it('returns undefined for null, missing or malformed counts', () => {
    expect(openAIUsage(null)).toBeUndefined();
    expect(openAIUsage({ completion_tokens: 1 })).toBeUndefined();
    expect(openAIUsage({ prompt_tokens: -1, completion_tokens: 1 })).toBeUndefined();
    expect(openAIUsage({ prompt_tokens: '4', completion_tokens: 1 })).toBeUndefined();
  });
});

describe('embeddingsUsage', () => {
  it('counts prompt tokens as uncached input and no output', () => {
    expect(embeddingsUsage({ prompt_tokens: 9, total_tokens: 9 })).toEqual({
      inputTokens: 9,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
    });
  });
});

describe('anthropicUsage', () => {
  it('keeps input_tokens as is, since it excludes both cache counts', () => {
    expect(
      anthropicUsage({
        input_tokens: 100,
        cache_read_input_tokens: 3000,
        cache_creation_input_tokens: 200,
        output_tokens: 250,
      }),
    ).toEqual({ inputTokens: 100, cachedInputTokens: 3000, cacheWriteTokens: 200, outputTokens: 250 });
  });

  it('merges a stream: input from message_start, the latest non-null counts from message_delta', () => {
    const usage = new AnthropicUsage();
    expect(usage.usage).toBeUndefined();
    usage.add({
      input_tokens: 20,
      cache_read_input_tokens: 5,
      cache_creation_input_tokens: null,
      output_tokens: 1,
    });
    expect(usage.usage).toEqual({
      inputTokens: 20,
      cachedInputTokens: 5,
      cacheWriteTokens: 0,
      outputTokens: 1,
    });
    usage.add({ output_tokens: 42 });
    usage.add({ input_tokens: null, cache_creation_input_tokens: 7, output_tokens: 43 });
    expect(usage.usage).toEqual({
      inputTokens: 20,
      cachedInputTokens: 5,
      cacheWriteTokens: 7,
      outputTokens: 43,
    });
  });
});
