import {
  countAnthropicInputTokens,
  type ProviderSim,
  predictAnthropicMessageResponse,
  predictOpenAIChatResponse,
} from '@allowance/provider-sim';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUpstream, type Upstream } from './create-upstream.js';
import { simTarget, startFixedProviderSim, upstreamCall } from './upstream-test-support.js';

let sim: ProviderSim;
let upstream: Upstream;

beforeAll(async () => {
  sim = await startFixedProviderSim();
  upstream = createUpstream();
});
afterAll(async () => {
  await upstream.close();
  await sim.close();
});
beforeEach(() => {
  sim.setRules([]);
  sim.clearCalls();
});

const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Name three rivers in Europe, please.' },
];

describe('upstream.call', () => {
  it('relays a chat completion and reads its usage, cached tokens taken out of prompt_tokens', async () => {
    sim.setRules([{ cachedInputTokens: 6, responseTokens: 12 }]);
    const body = { model: 'gpt-4.1-mini', messages, max_completion_tokens: 100, store: false };
    const result = await upstream.call(upstreamCall('chat.completions', simTarget(sim, 'openai'), body));

    const plan = predictOpenAIChatResponse(body, { cachedInputTokens: 6, responseTokens: 12 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.status).toBe(200);
    expect(result.usage).toEqual({
      inputTokens: plan.usage.inputTokens - 6,
      cachedInputTokens: 6,
      cacheWriteTokens: 0,
      outputTokens: 12,
    });
    const completion = JSON.parse(result.body.toString('utf8'));
    expect(completion.choices[0].message.content).toBe(plan.choices[0]?.text);
    expect(completion.usage.prompt_tokens).toBe(plan.usage.inputTokens);
    expect(result.headers['content-type']).toMatch(/^application\/json/);
    expect(result.requestId).toBe('req_fixed');
    const [logged] = sim.calls;
    expect(logged).toMatchObject({ path: '/v1/chat/completions', store: false, outcome: 'completed' });
  });

  it('relays a message and reads Anthropic usage, whose input_tokens already excludes the cache', async () => {
    sim.setRules([{ cachedInputTokens: 5, cacheWriteInputTokens: 3 }]);
    const body = {
      model: 'claude-haiku-4-5',
      max_tokens: 20,
      system: 'Be brief.',
      messages: messages.slice(1),
    };
    const result = await upstream.call(upstreamCall('messages', simTarget(sim, 'anthropic'), body));

    const plan = predictAnthropicMessageResponse(body, { cachedInputTokens: 5, cacheWriteInputTokens: 3 });
    expect(result.ok && result.usage).toEqual({
      inputTokens: countAnthropicInputTokens(body) - 8,
      cachedInputTokens: 5,
      cacheWriteTokens: 3,
      outputTokens: plan.usage.outputTokens,
    });
    expect(plan.usage.inputTokens).toBe(countAnthropicInputTokens(body) - 8);
    expect(sim.calls[0]?.usage).toEqual(plan.usage);
  });

  it('relays base64 embeddings with their prompt tokens as input and no output', async () => {
    const body = {
      model: 'text-embedding-3-small',
      input: ['hello world', 'good night'],
      encoding_format: 'base64',
    };
    const result = await upstream.call(upstreamCall('embeddings', simTarget(sim, 'openai'), body));

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const list = JSON.parse(result.body.toString('utf8'));
    expect(list.data).toHaveLength(2);
    expect(Buffer.from(list.data[0].embedding, 'base64').length).toBe(1536 * 4);
    expect(result.usage).toEqual({
      inputTokens: list.usage.prompt_tokens,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
    });
    expect(result.usage?.inputTokens).toBe(sim.calls[0]?.usage?.inputTokens);
    expect(result.usage?.inputTokens).toBeGreaterThan(0);
  });

  it('relays count_tokens, which is not metered, with the app-sent anthropic-version', async () => {
    const body = { model: 'claude-haiku-4-5', messages: messages.slice(1) };
    const result = await upstream.call(
      upstreamCall('messages.count_tokens', simTarget(sim, 'anthropic'), body, {
        headers: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'token-counting-2024-11-01' },
      }),
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(JSON.parse(result.body.toString('utf8'))).toEqual({
      input_tokens: countAnthropicInputTokens(body),
    });
    expect(result.usage).toBeUndefined();
  });

  it('reads an OpenAI-family provider other than OpenAI the same way', async () => {
    const body = { model: 'deepseek-chat', messages, max_tokens: 5 };
    const result = await upstream.call(upstreamCall('chat.completions', simTarget(sim, 'deepseek'), body));
    expect(result.ok && result.usage?.outputTokens).toBe(5);
  });

  it('refuses, as a bug, a call that does not fit the method or the provider family', async () => {
    const target = simTarget(sim, 'openai');
    const body = { model: 'gpt-4.1-mini', messages, stream: true };
    await expect(upstream.call(upstreamCall('chat.completions', target, body))).rejects.toThrow(TypeError);
    await expect(upstream.call(upstreamCall('messages', target, { model: 'x' }))).rejects.toThrow(TypeError);
    expect(sim.calls).toHaveLength(0);
  });
});
