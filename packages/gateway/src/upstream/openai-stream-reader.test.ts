import { describe, expect, it } from 'vitest';
import { OpenAIStreamReader } from './openai-stream-reader.js';
import type { ServerSentEvent } from './server-sent-events.js';

const event = (data: unknown): ServerSentEvent => {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return { raw: Buffer.from(`data: ${text}\n\n`), type: undefined, data: text };
};
const delta = (content: Record<string, unknown>, index = 0) => ({
  choices: [{ index, delta: content, finish_reason: null }],
  usage: null,
});
const usageChunk = {
  choices: [],
  usage: { prompt_tokens: 10, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } },
};

describe('OpenAIStreamReader', () => {
  it('keeps the usage-only chunk from an app that did not ask for usage, and still reads it', () => {
    const reader = new OpenAIStreamReader(false);
    expect(reader.read(event(delta({ role: 'assistant', content: '' })))).toBe(true);
    expect(reader.read(event(usageChunk))).toBe(false);
    expect(reader.read(event('[DONE]'))).toBe(true);
    expect(reader.completed).toBe(true);
    expect(reader.usage).toEqual({
      inputTokens: 6,
      cachedInputTokens: 4,
      cacheWriteTokens: 0,
      outputTokens: 3,
    });
  });

  it('relays the usage-only chunk to an app that asked for it', () => {
    const reader = new OpenAIStreamReader(true);
    expect(reader.read(event(usageChunk))).toBe(true);
  });

  it('relays usage that comes on a chunk with choices, which cannot be removed without rewriting it', () => {
    const reader = new OpenAIStreamReader(false);
    expect(reader.read(event({ ...delta({ content: 'hi' }), usage: usageChunk.usage }))).toBe(true);
    expect(reader.usage?.outputTokens).toBe(3);
  });

  it('counts o200k tokens of content, refusals and tool-call arguments of every choice', () => {
    const reader = new OpenAIStreamReader(true);
    reader.read(event(delta({ role: 'assistant', content: '' })));
    expect(reader.deliveredAnyOutput).toBe(false);
    reader.read(event(delta({ content: 'Hello world' })));
    reader.read(event(delta({ content: ' again' }, 1)));
    reader.read(event(delta({ refusal: 'No' })));
    reader.read(
      event(delta({ tool_calls: [{ index: 0, function: { name: 'lookup', arguments: '{"q":1}' } }] })),
    );
    // "Hello world" 2, " again" 1, "No" 1, "lookup" 1, '{"q":1}' ≥ 1
    expect(reader.outputTokensFromText).toBeGreaterThanOrEqual(6);
    expect(reader.deliveredAnyOutput).toBe(true);
    expect(reader.completed).toBe(false);
  });

  it('notes an error event and relays it', () => {
    const reader = new OpenAIStreamReader(false);
    const error = { error: { message: 'overloaded', type: 'server_error' } };
    expect(reader.read(event(error))).toBe(true);
    expect(reader.errorEvent).toEqual(error);
  });

  it('relays comments and data that is not JSON untouched', () => {
    const reader = new OpenAIStreamReader(false);
    expect(reader.read({ raw: Buffer.from(': ping\n\n'), type: undefined, data: '' })).toBe(true);
    expect(reader.read(event('not json'))).toBe(true);
  });
});
