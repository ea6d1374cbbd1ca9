import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approximateAnthropicTokens, countAnthropicInputTokens } from './anthropic-token-count.js';
import { countO200kTokens } from './openai-token-count.js';
import { predictAnthropicMessageResponse } from './predict-response.js';
import { type ProviderSim, startProviderSim } from './simulator.js';
import { toAnthropicUsageObject } from './usage.js';

let sim: ProviderSim;
let anthropic: Anthropic;

beforeAll(async () => {
  sim = await startProviderSim({ host: '127.0.0.1', port: 0 });
  anthropic = new Anthropic({
    apiKey: 'sk-ant-sim-anthropic',
    baseURL: sim.baseURL('anthropic'),
    maxRetries: 0,
  });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.setRules([]);
  sim.clearCalls();
});

async function settledCalls() {
  await sim.idle();
  return sim.calls;
}

const params = {
  model: 'claude-sonnet-4-6',
  max_tokens: 256,
  system: 'You are a terse assistant.',
  messages: [
    { role: 'user', content: 'Name three rivers in Europe, please.' },
    { role: 'assistant', content: 'Rhine, Danube, Loire.' },
    { role: 'user', content: [{ type: 'text', text: 'And three in Asia — ideally long ones.' }] },
  ],
} satisfies MessageCreateParamsNonStreaming;

describe('messages (JSON)', () => {
  it('answers with a message whose usage matches the documented approximation', async () => {
    const message = await anthropic.messages.create(params);
    const plan = predictAnthropicMessageResponse(params);

    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-6' });
    expect(message.id).toMatch(/^msg_/);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.stop_sequence).toBeNull();
    expect(message.content).toEqual([{ type: 'text', text: plan.choices[0]?.text }]);
    expect(message.usage).toEqual(toAnthropicUsageObject(plan.usage));
    const expectedInput =
      3 +
      approximateAnthropicTokens('You are a terse assistant.') +
      (3 + approximateAnthropicTokens('Name three rivers in Europe, please.')) +
      (3 + approximateAnthropicTokens('Rhine, Danube, Loire.')) +
      (3 + approximateAnthropicTokens('And three in Asia — ideally long ones.'));
    expect(message.usage.input_tokens).toBe(expectedInput);
    expect(approximateAnthropicTokens('And three in Asia — ideally long ones.')).toBe(Math.ceil(40 / 4));
    expect(message.usage.output_tokens).toBe(32);
    const text = message.content[0]?.type === 'text' ? message.content[0].text : '';
    expect(countO200kTokens(text)).toBe(32);
  });

  it('cuts the answer at max_tokens and says max_tokens', async () => {
    const message = await anthropic.messages.create({ ...params, max_tokens: 4 });
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage.output_tokens).toBe(4);
  });

  it('reports cache reads and writes outside input_tokens', async () => {
    sim.setRules([
      { provider: 'anthropic', cachedInputTokens: 20, cacheWriteInputTokens: 5, responseTokens: 3 },
    ]);
    const message = await anthropic.messages.create(params);
    const total = countAnthropicInputTokens(params);
    expect(message.usage).toMatchObject({
      input_tokens: total - 25,
      cache_read_input_tokens: 20,
      cache_creation_input_tokens: 5,
      output_tokens: 3,
    });
    expect((await settledCalls())[0]?.usage).toEqual({
      inputTokens: total - 25,
      cachedInputTokens: 20,
      cacheWriteInputTokens: 5,
      outputTokens: 3,
    });
  });

  it('requires max_tokens, like the real API', async () => {
    const { max_tokens: _omitted, ...withoutMaxTokens } = params;
    const error = await anthropic.messages
      .create(withoutMaxTokens as MessageCreateParamsNonStreaming)
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(error.error.error.message).toContain('max_tokens');
    expect(error.requestID).toMatch(/^req_/);
  });

  it('requires the anthropic-version header and accepts x-api-key', async () => {
    const url = `${sim.baseURL('anthropic')}/v1/messages`;
    const body = JSON.stringify(params);
    const withoutVersion = await fetch(url, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-sim-anthropic' },
      body,
    });
    expect(withoutVersion.status).toBe(400);
    expect(await withoutVersion.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const headers = { 'x-api-key': 'sk-ant-sim-anthropic', 'anthropic-version': '2023-06-01' };
    const withVersion = await fetch(url, { method: 'POST', headers, body });
    expect(withVersion.status).toBe(200);
    expect(withVersion.headers.get('request-id')).toMatch(/^req_/);
  });
});

describe('messages (stream)', () => {
  it('streams the same text as JSON with the real event sequence and final usage', async () => {
    const json = await anthropic.messages.create(params);
    const stream = anthropic.messages.stream(params);
    const eventTypes: string[] = [];
    stream.on('streamEvent', (event) => eventTypes.push(event.type));
    const final = await stream.finalMessage();

    expect(final.content).toEqual(json.content);
    expect(final.usage).toMatchObject(json.usage);
    expect(final.stop_reason).toBe('end_turn');
    expect(eventTypes[0]).toBe('message_start');
    expect(eventTypes[1]).toBe('content_block_start');
    expect(eventTypes.filter((type) => type === 'content_block_delta')).toHaveLength(32);
    expect(eventTypes.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const calls = await settledCalls();
    expect(calls[1]).toMatchObject({ stream: true, outcome: 'completed', outputTokens: 32 });
    expect(calls[1]?.usage).toEqual(calls[0]?.usage);
  });

  it('sends ping and cumulative usage on the raw stream', async () => {
    sim.setRules([{ cachedInputTokens: 4 }]);
    const stream = await anthropic.messages.create({ ...params, max_tokens: 5, stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    const start = events.find((event) => event.type === 'message_start');
    const delta = events.find((event) => event.type === 'message_delta');
    const total = countAnthropicInputTokens(params);
    expect(start?.type === 'message_start' && start.message.usage).toMatchObject({
      input_tokens: total - 4,
      cache_read_input_tokens: 4,
      output_tokens: 1,
    });
    expect(delta?.type === 'message_delta' && delta).toMatchObject({
      delta: { stop_reason: 'max_tokens', stop_sequence: null },
      usage: { output_tokens: 5, input_tokens: total - 4, cache_read_input_tokens: 4 },
    });
    const response = await fetch(`${sim.baseURL('anthropic')}/v1/messages`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-ant-sim-anthropic', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ ...params, stream: true, max_tokens: 1 }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const raw = await response.text();
    expect(raw).toContain('event: ping\ndata: {"type":"ping"}\n\n');
    expect(raw.startsWith('event: message_start\n')).toBe(true);
  });
});

describe('count_tokens and models', () => {
  it('counts the whole prompt, ignoring cache knobs', async () => {
    sim.setRules([{ cachedInputTokens: 10 }]);
    const { max_tokens: _omitted, ...countParams } = params;
    const counted = await anthropic.messages.countTokens(countParams);
    expect(counted).toEqual({ input_tokens: countAnthropicInputTokens(params) });
  });

  it('lists and pages models in the Anthropic shape', async () => {
    const page = await anthropic.models.list({ limit: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.data[0]).toMatchObject({
      type: 'model',
      id: expect.any(String),
      display_name: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(page.data[0]?.created_at ?? ''))).toBe(false);
    expect(page.has_more).toBe(true);
    const all = [];
    for await (const model of anthropic.models.list({ limit: 2 })) all.push(model.id);
    expect(all).toContain('claude-sonnet-4-6');
    expect(new Set(all).size).toBe(all.length);
    expect((await anthropic.models.retrieve('claude-haiku-4-5')).display_name).toBe('Claude Haiku 4.5');
    await expect(anthropic.models.retrieve('claude-none')).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });
});
