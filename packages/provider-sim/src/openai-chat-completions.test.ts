import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countO200kTokens, countOpenAIPromptTokens } from './openai-token-count.js';
import { predictOpenAIChatResponse } from './predict-response.js';
import { type ProviderSim, startProviderSim } from './simulator.js';
import { toOpenAIUsageObject } from './usage.js';

let sim: ProviderSim;
let openai: OpenAI;

beforeAll(async () => {
  sim = await startProviderSim({ host: '127.0.0.1', port: 0 });
  openai = new OpenAI({ apiKey: 'sk-sim-openai', baseURL: sim.baseURL('openai'), maxRetries: 0 });
});
afterAll(() => sim.close());

/** The call log once every call has finished on the server side too. */
async function settledCalls() {
  await sim.idle();
  return sim.calls;
}
beforeEach(() => {
  sim.setRules([]);
  sim.clearCalls();
});

const question = 'Name three rivers in Europe, please.';
const params = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a terse assistant.' },
    { role: 'user', content: question },
  ],
} satisfies ChatCompletionCreateParamsNonStreaming;

describe('chat completions (JSON)', () => {
  it('answers with a chat.completion whose usage matches the prediction', async () => {
    const completion = await openai.chat.completions.create(params);
    const plan = predictOpenAIChatResponse(params);

    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.system_fingerprint).toMatch(/^fp_/);
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', refusal: null });
    expect(completion.choices[0]?.message.content).toBe(plan.choices[0]?.text);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toEqual(toOpenAIUsageObject(plan.usage));
    // The recipe: 3 per message + role + content, plus 3 to prime the reply.
    const expectedPrompt =
      3 + (3 + 1 + countO200kTokens('You are a terse assistant.')) + (3 + 1 + countO200kTokens(question));
    expect(completion.usage?.prompt_tokens).toBe(expectedPrompt);
    expect(completion.usage?.completion_tokens).toBe(32);
    expect(countO200kTokens(completion.choices[0]?.message.content ?? '')).toBe(32);
  });

  it('cuts the answer at max_completion_tokens and says length', async () => {
    const full = await openai.chat.completions.create(params);
    const cut = await openai.chat.completions.create({ ...params, max_completion_tokens: 5 });
    expect(cut.choices[0]?.finish_reason).toBe('length');
    expect(cut.usage?.completion_tokens).toBe(5);
    expect(full.choices[0]?.message.content?.startsWith(cut.choices[0]?.message.content ?? '?')).toBe(true);
  });

  it('uses the rule knobs: responseTokens and cached tokens inside prompt_tokens', async () => {
    sim.setRules([{ provider: 'openai', model: 'gpt-4o*', responseTokens: 7, cachedInputTokens: 10 }]);
    const completion = await openai.chat.completions.create(params);
    const promptTokens = countOpenAIPromptTokens(params);
    expect(completion.usage?.completion_tokens).toBe(7);
    expect(completion.usage?.prompt_tokens).toBe(promptTokens);
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(10);
    expect(completion.usage?.total_tokens).toBe(promptTokens + 7);
    expect((await settledCalls())[0]?.usage).toEqual({
      inputTokens: promptTokens,
      cachedInputTokens: 10,
      cacheWriteInputTokens: 0,
      outputTokens: 7,
    });
  });

  it('caps cached tokens at the prompt size', async () => {
    sim.setRules([{ cachedInputTokens: 1_000_000 }]);
    const completion = await openai.chat.completions.create(params);
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(completion.usage?.prompt_tokens);
  });

  it('answers n choices, each with its own text, and bills them all', async () => {
    const completion = await openai.chat.completions.create({ ...params, n: 3, max_tokens: 4 });
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(new Set(completion.choices.map((choice) => choice.message.content)).size).toBe(3);
    expect(completion.usage?.completion_tokens).toBe(12);
  });

  it('records store and the outcome in the call log', async () => {
    await openai.chat.completions.create({ ...params, store: true });
    const [call] = await settledCalls();
    expect(call).toMatchObject({
      provider: 'openai',
      family: 'openai',
      method: 'POST',
      path: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      stream: false,
      store: true,
      status: 200,
      outcome: 'completed',
      outputTokens: 32,
    });
    expect(call?.responseId).toMatch(/^chatcmpl-/);
    expect(call?.outputTextLength).toBeGreaterThan(32);
  });

  it('serves the OpenAI-compatible family under its own mount and key', async () => {
    const deepseek = new OpenAI({
      apiKey: 'sk-sim-deepseek',
      baseURL: sim.baseURL('deepseek'),
      maxRetries: 0,
    });
    const completion = await deepseek.chat.completions.create({ ...params, model: 'deepseek-chat' });
    expect(completion.usage?.completion_tokens).toBe(32);
    expect((await settledCalls())[0]?.provider).toBe('deepseek');
    await expect(
      new OpenAI({ apiKey: 'sk-sim-openai', baseURL: sim.baseURL('deepseek'), maxRetries: 0 }).models.list(),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('rejects invalid requests with 400 and the offending param', async () => {
    const error = await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [] })
      .catch((caught) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'messages', code: 'empty_array' });
  });
});

describe('chat completions (stream)', () => {
  it('streams the same text as JSON, then a usage chunk, when include_usage is set', async () => {
    const json = await openai.chat.completions.create(params);
    const stream = await openai.chat.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    const first = chunks[0];
    expect(first?.object).toBe('chat.completion.chunk');
    expect(first?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    const contentChunks = chunks.filter((chunk) => chunk.choices[0]?.delta.content);
    expect(contentChunks).toHaveLength(32);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(json.choices[0]?.message.content);

    const last = chunks.at(-1);
    const beforeLast = chunks.at(-2);
    expect(beforeLast?.choices[0]?.finish_reason).toBe('stop');
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(json.usage);
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    const calls = await settledCalls();
    expect(calls[1]).toMatchObject({ stream: true, outcome: 'completed', outputTokens: 32 });
    expect(calls[1]?.usage).toEqual(calls[0]?.usage);
  });

  it('sends no usage at all without include_usage', async () => {
    const stream = await openai.chat.completions.create({ ...params, stream: true, max_tokens: 3 });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
    expect((await settledCalls())[0]).toMatchObject({ outcome: 'completed', usage: null, outputTokens: 3 });
  });

  it('works with the SDK stream helper and its final completion', async () => {
    const runner = openai.chat.completions.stream({ ...params, stream_options: { include_usage: true } });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe(predictOpenAIChatResponse(params).choices[0]?.text);
    expect(final.usage?.prompt_tokens).toBe(countOpenAIPromptTokens(params));
  });

  it('paces tokens at tokensPerSecond', async () => {
    sim.setRules([{ tokensPerSecond: 200, responseTokens: 20 }]);
    const started = performance.now();
    const stream = await openai.chat.completions.create({ ...params, stream: true });
    for await (const _chunk of stream) {
      // drain
    }
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
  });
});
