import {
  type ProviderSim,
  predictAnthropicMessageResponse,
  predictOpenAIChatResponse,
} from '@allowance/provider-sim';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUpstream, type Upstream } from './create-upstream.js';
import type { UpstreamTarget } from './upstream-call.js';
import { recordingSink, simTarget, startFixedProviderSim, upstreamCall } from './upstream-test-support.js';

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

const messages = [{ role: 'user', content: 'Tell me a short story about a lighthouse.' }];
const openAIBody = {
  model: 'gpt-4.1-mini',
  messages,
  max_completion_tokens: 50,
  stream: true,
  stream_options: { include_usage: true },
};
const anthropicBody = { model: 'claude-sonnet-4-5', max_tokens: 50, messages, stream: true };

/** What the provider sends for `body` when asked directly, bypassing the upstream. */
async function directStream(target: UpstreamTarget, path: string, body: object): Promise<string> {
  const headers: Record<string, string> =
    target.api === 'openai'
      ? { authorization: `Bearer ${target.apiKey}` }
      : { 'x-api-key': target.apiKey, 'anthropic-version': '2023-06-01' };
  const response = await request(`${target.baseUrl}${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.body.text();
}

describe('upstream.stream', () => {
  it('relays an OpenAI stream byte for byte and reads its usage', async () => {
    sim.setRules([{ cachedInputTokens: 3 }]);
    const target = simTarget(sim, 'openai');
    const sink = recordingSink();
    const result = await upstream.stream(upstreamCall('chat.completions', target, openAIBody), sink);

    const plan = predictOpenAIChatResponse(openAIBody, { cachedInputTokens: 3 });
    expect(result).toMatchObject({
      started: true,
      completed: true,
      clientAborted: false,
      deliveredAnyOutput: true,
      outputTokensFromText: plan.usage.outputTokens, // every simulated word is one o200k token
      requestId: 'req_fixed',
      usage: {
        inputTokens: plan.usage.inputTokens - 3,
        cachedInputTokens: 3,
        cacheWriteTokens: 0,
        outputTokens: plan.usage.outputTokens,
      },
    });
    expect(result.failure).toBeUndefined();
    expect(sink.starts).toEqual([
      {
        status: 200,
        headers: expect.objectContaining({ 'content-type': 'text/event-stream; charset=utf-8' }),
      },
    ]);
    expect(sink.starts[0]?.headers).not.toHaveProperty('openai-version');
    expect(sink.text()).toBe(await directStream(target, '/chat/completions', openAIBody));
  });

  it('keeps the usage chunk from an app that did not ask for it, and still reads the usage', async () => {
    const target = simTarget(sim, 'openai');
    const sink = recordingSink();
    const result = await upstream.stream(
      upstreamCall('chat.completions', target, openAIBody, { appWantsUsage: false }),
      sink,
    );

    const direct = await directStream(target, '/chat/completions', openAIBody);
    const usageEvent = direct.split('\n\n').find((block) => block.includes('"choices":[]'));
    expect(usageEvent).toContain('"prompt_tokens"');
    expect(sink.text()).toBe(direct.replace(`${usageEvent}\n\n`, ''));
    expect(sink.text()).not.toContain('"prompt_tokens"');
    expect(sink.text().endsWith('data: [DONE]\n\n')).toBe(true);
    expect(result.completed).toBe(true);
    expect(result.usage).toEqual({
      inputTokens: predictOpenAIChatResponse(openAIBody).usage.inputTokens,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: predictOpenAIChatResponse(openAIBody).usage.outputTokens,
    });
  });

  it('relays an Anthropic stream byte for byte and reads usage from message_start and message_delta', async () => {
    sim.setRules([{ cachedInputTokens: 4, cacheWriteInputTokens: 2, responseTokens: 10 }]);
    const target = simTarget(sim, 'anthropic');
    const sink = recordingSink();
    const result = await upstream.stream(upstreamCall('messages', target, anthropicBody), sink);

    const plan = predictAnthropicMessageResponse(anthropicBody, {
      cachedInputTokens: 4,
      cacheWriteInputTokens: 2,
      responseTokens: 10,
    });
    expect(result).toMatchObject({ started: true, completed: true, clientAborted: false });
    expect(result.usage).toEqual({
      inputTokens: plan.usage.inputTokens,
      cachedInputTokens: 4,
      cacheWriteTokens: 2,
      outputTokens: 10,
    });
    expect(result.outputTokensFromText).toBe(Buffer.byteLength(plan.choices[0]?.text ?? ''));
    expect(sink.text()).toBe(await directStream(target, '/v1/messages', anthropicBody));
  });

  it('reports a dropped OpenAI stream as incomplete, with the output counted from its text', async () => {
    sim.setRules([{ dropAfterTokens: 5 }]);
    const sink = recordingSink();
    const result = await upstream.stream(
      upstreamCall('chat.completions', simTarget(sim, 'openai'), openAIBody),
      sink,
    );

    expect(result).toMatchObject({
      started: true,
      completed: false,
      clientAborted: false,
      usage: undefined,
      outputTokensFromText: 5,
      deliveredAnyOutput: true,
      failure: { kind: 'connect' },
    });
    expect(sink.text()).not.toContain('[DONE]');
    await sim.idle();
    expect(sim.calls[0]).toMatchObject({ outcome: 'dropped', outputTokens: 5 });
  });

  it('reports a dropped Anthropic stream with the input usage of message_start and the bytes relayed', async () => {
    sim.setRules([{ dropAfterTokens: 4 }]);
    const result = await upstream.stream(
      upstreamCall('messages', simTarget(sim, 'anthropic'), anthropicBody),
      recordingSink(),
    );

    const plan = predictAnthropicMessageResponse(anthropicBody);
    expect(result.completed).toBe(false);
    expect(result.usage?.inputTokens).toBe(plan.usage.inputTokens);
    expect(result.outputTokensFromText).toBe(
      Buffer.byteLength(plan.choices[0]?.tokens.slice(0, 4).join('') ?? ''),
    );
    expect(result.outputTokensFromText).toBeGreaterThan(0);
  });

  it('aborts a provider that never answers when the app goes away', async () => {
    sim.setRules([{ hang: true }]);
    const controller = new AbortController();
    const sink = recordingSink();
    setTimeout(() => controller.abort(), 50);
    const result = await upstream.stream(
      upstreamCall('chat.completions', simTarget(sim, 'openai'), openAIBody, { signal: controller.signal }),
      sink,
    );

    expect(result).toMatchObject({
      started: false,
      completed: false,
      clientAborted: true,
      deliveredAnyOutput: false,
      failure: { kind: 'aborted' },
    });
    expect(sink.starts).toEqual([]);
    await sim.idle();
    expect(sim.calls[0]?.outcome).toBe('aborted');
  });

  it('aborts a stream midway when the app goes away, keeping what was relayed', async () => {
    sim.setRules([{ tokensPerSecond: 100 }]);
    const controller = new AbortController();
    const sink = recordingSink();
    const write = sink.write;
    sink.write = (chunk) => {
      if (chunk.includes('"content":"') && !chunk.includes('"content":""')) controller.abort();
      return write(chunk);
    };
    const result = await upstream.stream(
      upstreamCall('chat.completions', simTarget(sim, 'openai'), openAIBody, { signal: controller.signal }),
      sink,
    );

    expect(result).toMatchObject({
      started: true,
      completed: false,
      clientAborted: true,
      deliveredAnyOutput: true,
    });
    expect(result.outputTokensFromText).toBeGreaterThan(0);
    expect(result.outputTokensFromText).toBeLessThan(
      predictOpenAIChatResponse(openAIBody).usage.outputTokens,
    );
    await sim.idle();
    expect(sim.calls[0]?.outcome).toBe('aborted');
  });

  it('stops reading while the app is behind, and goes on once it drains', async () => {
    sim.setRules([{ responseTokens: 200, tokensPerSecond: 1000 }]);
    const sink = recordingSink();
    sink.isBehind = true;
    const streaming = upstream.stream(
      upstreamCall('chat.completions', simTarget(sim, 'openai'), {
        ...openAIBody,
        max_completion_tokens: 200,
      }),
      sink,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sink.chunks).toHaveLength(1);
    sink.drain();
    const result = await streaming;
    expect(result.completed).toBe(true);
    expect(sink.chunks.length).toBeGreaterThan(1);
    expect(result.outputTokensFromText).toBe(200);
  });

  it('stops waiting for a sink that never drains when the app goes away', async () => {
    sim.setRules([{ tokensPerSecond: 100 }]);
    const controller = new AbortController();
    const sink = recordingSink();
    sink.isBehind = true;
    setTimeout(() => controller.abort(), 100);
    const result = await upstream.stream(
      upstreamCall('chat.completions', simTarget(sim, 'openai'), openAIBody, { signal: controller.signal }),
      sink,
    );
    expect(result).toMatchObject({ started: true, completed: false, clientAborted: true });
    expect(sink.chunks).toHaveLength(1);
  });

  it('returns a provider error before the stream as a status failure, without starting the sink', async () => {
    sim.setRules([{ fault: { status: 529 } }]);
    const sink = recordingSink();
    const result = await upstream.stream(
      upstreamCall('messages', simTarget(sim, 'anthropic'), anthropicBody),
      sink,
    );

    expect(result).toMatchObject({
      started: false,
      completed: false,
      clientAborted: false,
      failure: { kind: 'status', status: 529, body: { type: 'error', error: { type: 'overloaded_error' } } },
    });
    expect(sink.starts).toEqual([]);
  });

  // undici checks body timeouts on a timer wheel of about half a second, so the silence here
  // (5 s before the first token) must be well over that for the 100 ms limit to show.
  it('gives up on a stream that goes silent for longer than the body timeout', async () => {
    sim.setRules([{ tokensPerSecond: 0.2 }]);
    await using impatient = createUpstream({ bodyTimeoutMs: 100 });
    const result = await impatient.stream(
      upstreamCall('chat.completions', simTarget(sim, 'openai'), openAIBody),
      recordingSink(),
    );
    expect(result).toMatchObject({
      started: true,
      completed: false,
      clientAborted: false,
      deliveredAnyOutput: false,
      failure: { kind: 'timeout' },
    });
    await sim.idle();
    expect(sim.calls[0]?.outcome).toBe('aborted');
  });
});
