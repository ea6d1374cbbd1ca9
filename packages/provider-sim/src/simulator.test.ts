import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ProviderSim, startProviderSim } from './simulator.js';
import { ConfigurationError } from './validate.js';

let sim: ProviderSim;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  sim = await startProviderSim();
  openai = new OpenAI({ apiKey: sim.apiKey('openai'), baseURL: sim.baseURL('openai'), maxRetries: 0 });
  anthropic = new Anthropic({
    apiKey: sim.apiKey('anthropic'),
    baseURL: sim.baseURL('anthropic'),
    maxRetries: 0,
  });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.setRules([]);
  sim.clearCalls();
});

const chat = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Hello there' }] };
const message = {
  model: 'claude-haiku-4-5',
  max_tokens: 100,
  messages: [{ role: 'user' as const, content: 'Hi' }],
};

async function settledCalls() {
  await sim.idle();
  return sim.calls;
}

/** Waits until the simulator has logged a call that is still in flight. */
async function untilPending(): Promise<void> {
  await vi.waitFor(() =>
    expect(sim.calls.some((call) => call.outcome === 'pending' && call.model)).toBe(true),
  );
}

describe('addresses', () => {
  it('mounts each default provider under its id', () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.baseURL('openai')).toBe(`${sim.url}/openai/v1`);
    expect(sim.baseURL('anthropic')).toBe(`${sim.url}/anthropic`);
    expect(sim.baseURL('deepseek')).toBe(`${sim.url}/deepseek/v1`);
    expect(sim.apiKey('anthropic')).toBe('sk-ant-sim-anthropic');
    expect(() => sim.baseURL('mistral')).toThrow(/mistral/);
  });
});

describe('authentication', () => {
  it('rejects a wrong OpenAI key with invalid_api_key', async () => {
    const client = new OpenAI({
      apiKey: 'sk-wrong-key-123456',
      baseURL: sim.baseURL('openai'),
      maxRetries: 0,
    });
    const error = await client.chat.completions.create(chat).catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
    expect(error.message).not.toContain('sk-wrong-key-123456');
    expect((await settledCalls())[0]).toMatchObject({ status: 401, errorType: 'invalid_request_error' });
  });

  it('rejects a wrong Anthropic key with authentication_error', async () => {
    const client = new Anthropic({
      apiKey: 'sk-ant-wrong',
      baseURL: sim.baseURL('anthropic'),
      maxRetries: 0,
    });
    const error = await client.messages.create(message).catch((caught) => caught);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });
});

describe('fault rules', () => {
  it('answers 429 with retry-after in each family shape', async () => {
    sim.setRules([{ fault: { status: 429, retryAfterSeconds: 7 } }]);
    const openAIError = await openai.chat.completions.create(chat).catch((caught) => caught);
    expect(openAIError).toBeInstanceOf(OpenAI.RateLimitError);
    expect(openAIError).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(openAIError.headers.get('retry-after')).toBe('7');
    const anthropicError = await anthropic.messages.create(message).catch((caught) => caught);
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect(anthropicError.error).toMatchObject({ error: { type: 'rate_limit_error' } });
    expect(anthropicError.headers.get('retry-after')).toBe('7');
  });

  it('answers 529 overloaded for Anthropic and 500 server_error for OpenAI', async () => {
    sim.setRules([
      { provider: 'anthropic', fault: { status: 529 } },
      { provider: 'openai', fault: { status: 500 } },
    ]);
    const overloaded = await anthropic.messages.create(message).catch((caught) => caught);
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    expect(overloaded.status).toBe(529);
    expect(overloaded.error).toMatchObject({ error: { type: 'overloaded_error' } });
    const serverError = await openai.chat.completions.create(chat).catch((caught) => caught);
    expect(serverError).toBeInstanceOf(OpenAI.InternalServerError);
    expect(serverError).toMatchObject({ status: 500, type: 'server_error' });
  });

  it('applies a times-limited rule only that many times, so SDK retries recover', async () => {
    sim.setRules([{ provider: 'openai', fault: { status: 429, retryAfterSeconds: 0 }, times: 1 }]);
    const retrying = new OpenAI({
      apiKey: sim.apiKey('openai'),
      baseURL: sim.baseURL('openai'),
      maxRetries: 1,
    });
    const completion = await retrying.chat.completions.create(chat);
    expect(completion.usage?.completion_tokens).toBe(32);
    expect((await settledCalls()).map((call) => call.status)).toEqual([429, 200]);
  });

  it('matches rules by model pattern, first match wins', async () => {
    sim.setRules([
      { model: 'gpt-4o-mini', responseTokens: 2 },
      { model: 'gpt-4o*', responseTokens: 3 },
      { responseTokens: 4 },
    ]);
    const tokens = async (model: string) =>
      (await openai.chat.completions.create({ ...chat, model })).usage?.completion_tokens;
    expect(await tokens('gpt-4o-mini')).toBe(2);
    expect(await tokens('gpt-4o')).toBe(3);
    expect(await tokens('gpt-5')).toBe(4);
  });

  it('waits latencyMs before answering', async () => {
    sim.setRules([{ latencyMs: 120 }]);
    const started = performance.now();
    await openai.models.list();
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('drops an OpenAI stream after dropAfterTokens, before any final chunk', async () => {
    sim.setRules([{ dropAfterTokens: 3 }]);
    const stream = await openai.chat.completions.create({
      ...chat,
      stream: true,
      stream_options: { include_usage: true },
    });
    const received: string[] = [];
    const outcome = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((caught) => caught);
    expect(outcome).toBeInstanceOf(Error);
    expect(received.filter(Boolean)).toHaveLength(3);
    const [call] = await settledCalls();
    expect(call).toMatchObject({ outcome: 'dropped', outputTokens: 3, usage: null, status: 200 });
  });

  it('drops an Anthropic stream after its text but before message_delta when the answer is shorter', async () => {
    sim.setRules([{ dropAfterTokens: 50, responseTokens: 5 }]);
    const stream = anthropic.messages.stream(message);
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    await expect(stream.finalMessage()).rejects.toThrow();
    expect(texts).toHaveLength(5);
    const [call] = await settledCalls();
    expect(call).toMatchObject({ outcome: 'dropped', outputTokens: 5 });
    // Only message_start's usage reached the client: input counted, output still 1.
    expect(call?.usage?.outputTokens).toBe(1);
  });

  it('drops a JSON answer before its body', async () => {
    sim.setRules([{ dropAfterTokens: 0 }]);
    await expect(openai.chat.completions.create(chat)).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect((await settledCalls())[0]).toMatchObject({ outcome: 'dropped', status: null });
  });

  it('hangs until the client aborts, and logs the abort', async () => {
    sim.setRules([{ hang: true }]);
    const controller = new AbortController();
    const request = openai.chat.completions.create(chat, { signal: controller.signal });
    await untilPending();
    controller.abort();
    await expect(request).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    expect((await settledCalls())[0]).toMatchObject({ outcome: 'aborted', status: null, model: 'gpt-4o' });
  });

  it('logs a client that stops reading a paced stream as aborted', async () => {
    sim.setRules([{ tokensPerSecond: 100 }]);
    const stream = await anthropic.messages.create({ ...message, stream: true });
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta') deltas += 1;
      if (deltas === 2) break;
    }
    const [call] = await settledCalls();
    expect(call?.outcome).toBe('aborted');
    expect(call?.outputTokens).toBeLessThan(32);
  });
});

describe('edge behaviour rules', () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sim.baseURL('openai')}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        authorization: `Bearer ${sim.apiKey('openai')}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('records the request headers of each call', async () => {
    await post('/chat/completions', chat, { 'x-canary': 'seen' });
    const [call] = await settledCalls();
    expect(call?.headers['x-canary']).toBe('seen');
    expect(call?.headers.authorization).toBe(`Bearer ${sim.apiKey('openai')}`);
  });

  it('redirects instead of answering, with a Location header', async () => {
    sim.setRules([{ redirectTo: 'http://127.0.0.1:9/elsewhere' }]);
    const response = await post('/chat/completions', chat);
    expect([response.status, response.headers.get('location')]).toEqual([
      307,
      'http://127.0.0.1:9/elsewhere',
    ]);
    expect((await settledCalls())[0]?.status).toBe(307);
  });

  it('refuses a redirect target that is not an absolute URL', () => {
    expect(() => sim.setRules([{ redirectTo: '/relative' }])).toThrow(ConfigurationError);
  });

  it('sets a cookie and the account headers in each family when asked', async () => {
    sim.setRules([{ setCookie: true }]);
    const response = await post('/chat/completions', chat);
    expect(response.headers.get('set-cookie')).toMatch(/^__cf_bm=/);
    expect(response.headers.get('openai-organization')).toBeTruthy();
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBeTruthy();
    const { response: raw } = await anthropic.messages.create(message).withResponse();
    expect(raw.headers.get('set-cookie')).toMatch(/^__cf_bm=/);
    expect(raw.headers.get('anthropic-organization-id')).toBeTruthy();
  });

  it('omits usage from JSON and streams when asked, and logs none', async () => {
    sim.setRules([{ omitUsage: true }]);
    const completion = (await (await post('/chat/completions', chat)).json()) as Record<string, unknown>;
    expect(completion.usage).toBeUndefined();
    const stream = await (
      await post('/chat/completions', { ...chat, stream: true, stream_options: { include_usage: true } })
    ).text();
    expect(stream).not.toContain('"usage"');
    expect(stream).toContain('data: [DONE]');
    expect((await settledCalls()).map((call) => call.usage)).toEqual([null, null]);
  });

  it('writes past max_tokens when told to ignore the output cap', async () => {
    sim.setRules([{ ignoreMaxTokens: true, responseTokens: 40 }]);
    const completion = await openai.chat.completions.create({ ...chat, max_tokens: 5 });
    expect(completion.usage?.completion_tokens).toBe(40);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });
});

describe('malformed requests', () => {
  it('answers malformed JSON with 400 in each family shape', async () => {
    const openAIResponse = await fetch(`${sim.baseURL('openai')}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-sim-openai', 'content-type': 'application/json' },
      body: '{"model": "gpt-4o", "messages": [',
    });
    expect(openAIResponse.status).toBe(400);
    expect(await openAIResponse.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: null },
    });
    const anthropicResponse = await fetch(`${sim.baseURL('anthropic')}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-sim-anthropic', 'anthropic-version': '2023-06-01' },
      body: 'not json',
    });
    expect(anthropicResponse.status).toBe(400);
    expect(await anthropicResponse.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
    // The simulator is still up.
    expect((await openai.models.list()).data.length).toBeGreaterThan(0);
  });

  it('answers unknown paths with 404 in each family shape', async () => {
    const openAIResponse = await fetch(`${sim.baseURL('openai')}/completions/nowhere`, {
      headers: { authorization: 'Bearer sk-sim-openai' },
    });
    expect(openAIResponse.status).toBe(404);
    expect(await openAIResponse.json()).toMatchObject({
      error: { message: expect.stringContaining('Invalid URL') },
    });
    const anthropicResponse = await fetch(`${sim.baseURL('anthropic')}/v1/complete`, {
      method: 'POST',
      body: '{}',
    });
    expect(anthropicResponse.status).toBe(404);
    expect(await anthropicResponse.json()).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });
    expect((await fetch(`${sim.url}/mistral/v1/models`)).status).toBe(404);
  });

  it('rejects a body over maxBodyBytes with 413', async () => {
    await using small = await startProviderSim({ maxBodyBytes: 64 });
    const response = await fetch(`${small.baseURL('openai')}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-sim-openai' },
      body: JSON.stringify({ ...chat, padding: 'x'.repeat(100) }),
    });
    expect(response.status).toBe(413);
  });
});

describe('control API', () => {
  it('sets rules and reads calls over HTTP', async () => {
    const rules = [{ provider: 'openai', responseTokens: 2 }];
    const set = await fetch(`${sim.url}/_sim/rules`, { method: 'POST', body: JSON.stringify({ rules }) });
    expect(await set.json()).toEqual({ rules });
    expect(sim.rules).toEqual(rules);
    expect(await (await fetch(`${sim.url}/_sim/rules`)).json()).toEqual({ rules });

    await openai.chat.completions.create(chat);
    await sim.idle();
    const { calls } = (await (await fetch(`${sim.url}/_sim/calls`)).json()) as { calls: unknown[] };
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ provider: 'openai', outputTokens: 2, outcome: 'completed' });

    expect((await fetch(`${sim.url}/_sim/calls`, { method: 'DELETE' })).status).toBe(204);
    expect(sim.calls).toEqual([]);
  });

  it('refuses an invalid rule with its path and keeps the old rules', async () => {
    sim.setRules([{ latencyMs: 1 }]);
    const response = await fetch(`${sim.url}/_sim/rules`, {
      method: 'POST',
      body: JSON.stringify([{ fault: { status: 418 } }]),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { path: 'rules[0].fault.status' } });
    expect(sim.rules).toEqual([{ latencyMs: 1 }]);
    expect(() => sim.setRules([{ latencyMs: -1 }])).toThrow(ConfigurationError);
  });
});

describe('close', () => {
  it('ends calls in flight as shutdown and leaves no server, socket or timer behind', async () => {
    const countResources = () => {
      const counts: Record<string, number> = {};
      for (const resource of process.getActiveResourcesInfo()) counts[resource] = (counts[resource] ?? 0) + 1;
      return counts;
    };
    const before = countResources();
    const local = await startProviderSim({
      rules: [{ model: 'gpt-4o', hang: true }, { tokensPerSecond: 1 }],
    });
    const client = new OpenAI({
      apiKey: local.apiKey('openai'),
      baseURL: local.baseURL('openai'),
      maxRetries: 0,
    });
    const hanging = client.chat.completions.create(chat).catch((caught) => caught);
    const paced = client.chat.completions
      .create({ ...chat, model: 'gpt-5', stream: true })
      .then(async (stream) => {
        for await (const _chunk of stream) {
          // drain until the simulator goes away
        }
      })
      .catch((caught) => caught);
    await vi.waitFor(() => expect(local.calls.filter((call) => call.model !== null)).toHaveLength(2));
    const closing = performance.now();
    await local.close();
    // Prompt: the paced stream's next token was a second away, the hang forever.
    expect(performance.now() - closing).toBeLessThan(500);
    await Promise.all([hanging, paced]);
    expect(local.calls.map((call) => call.outcome)).toEqual(['shutdown', 'shutdown']);
    // Handles are freed a few ticks after `close` resolves. Measured outside vi.waitFor, whose own
    // polling timers would count as leaks.
    const leaked = (after: Record<string, number>) =>
      ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'].filter(
        (kind) => (after[kind] ?? 0) > (before[kind] ?? 0),
      );
    let after = countResources();
    for (let attempt = 0; attempt < 50 && leaked(after).length > 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      after = countResources();
    }
    expect(leaked(after)).toEqual([]);
    await local.close(); // idempotent
  });
});
