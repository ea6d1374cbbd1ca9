import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countCl100kTokens } from './openai-token-count.js';
import { type ProviderSim, startProviderSim } from './simulator.js';

let sim: ProviderSim;
let openai: OpenAI;

beforeAll(async () => {
  sim = await startProviderSim();
  openai = new OpenAI({ apiKey: sim.apiKey('openai'), baseURL: sim.baseURL('openai'), maxRetries: 0 });
});
afterAll(() => sim.close());

const norm = (vector: readonly number[]) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));

describe('embeddings', () => {
  it('decodes the default base64 answer to the same vectors as the float answer', async () => {
    const input = ['The quick brown fox', 'jumps over the lazy dog'];
    const viaBase64 = await openai.embeddings.create({ model: 'text-embedding-3-small', input });
    const viaFloat = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input,
      encoding_format: 'float',
    });
    expect(viaBase64.object).toBe('list');
    expect(viaBase64.data.map((item) => item.index)).toEqual([0, 1]);
    expect(viaBase64.data[0]?.embedding).toHaveLength(1536);
    expect(viaBase64.data[0]?.embedding).toEqual(viaFloat.data[0]?.embedding);
    expect(viaBase64.data[1]?.embedding).toEqual(viaFloat.data[1]?.embedding);
    expect(viaBase64.data[0]?.embedding).not.toEqual(viaBase64.data[1]?.embedding);
    expect(norm(viaFloat.data[0]?.embedding ?? [])).toBeCloseTo(1, 5);
    const tokens = (await countCl100kTokens(input[0] ?? '')) + (await countCl100kTokens(input[1] ?? ''));
    expect(viaFloat.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
  });

  it('shortens to dimensions as a prefix of the native vector, renormalised', async () => {
    const native = await openai.embeddings.create({ model: 'text-embedding-3-large', input: 'hello' });
    const short = await openai.embeddings.create({
      model: 'text-embedding-3-large',
      input: 'hello',
      dimensions: 4,
    });
    const nativeVector = native.data[0]?.embedding ?? [];
    const shortVector = short.data[0]?.embedding ?? [];
    expect(nativeVector).toHaveLength(3072);
    expect(shortVector).toHaveLength(4);
    expect(norm(shortVector)).toBeCloseTo(1, 5);
    const scale = norm(nativeVector.slice(0, 4));
    for (const [index, value] of shortVector.entries()) {
      expect(value * scale).toBeCloseTo(nativeVector[index] ?? Number.NaN, 5);
    }
  });

  it('counts token-id inputs by their length and rejects empty input', async () => {
    const response = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: [[1, 2, 3], [4]],
    });
    expect(response.usage.prompt_tokens).toBe(4);
    await expect(
      openai.embeddings.create({ model: 'text-embedding-3-small', input: '' }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('models', () => {
  it('lists and retrieves models in the OpenAI shape', async () => {
    const page = await openai.models.list();
    expect(page.data.length).toBeGreaterThan(3);
    expect(page.data[0]).toMatchObject({
      object: 'model',
      id: expect.any(String),
      owned_by: expect.any(String),
    });
    expect(page.data.map((model) => model.id)).toContain('gpt-4o');
    expect(await openai.models.retrieve('gpt-4o')).toMatchObject({ id: 'gpt-4o', object: 'model' });
    const missing = await openai.models.retrieve('gpt-nothing').catch((caught) => caught);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing.code).toBe('model_not_found');
  });

  it('lists the configured models of a custom provider', async () => {
    await using custom = await startProviderSim({
      providers: [{ id: 'local-llm', family: 'openai', apiKey: 'sk-local', models: ['tiny-1', 'tiny-2'] }],
    });
    const client = new OpenAI({ apiKey: 'sk-local', baseURL: custom.baseURL('local-llm'), maxRetries: 0 });
    expect((await client.models.list()).data.map((model) => model.id)).toEqual(['tiny-1', 'tiny-2']);
  });
});
