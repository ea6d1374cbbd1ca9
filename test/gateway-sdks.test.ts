import { allowanceStatusSchema, costOf, DEFAULT_PRICES, findPrice, formatMoney } from '@allowance/protocol';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

let harness: Harness;
let token: string;
let grantId: string;

const usd = { currency: 'USD' };
const openai = () => new OpenAI({ apiKey: token, baseURL: `${harness.wallet.gateway}/v1`, maxRetries: 0 });
const anthropic = () => new Anthropic({ apiKey: token, baseURL: harness.wallet.gateway, maxRetries: 0 });

/** The cost the wallet must have billed for a simulator call, from the usage the simulator reported. */
function expectedCost(provider: string, model: string) {
  const call = harness.sim.calls.at(-1);
  if (!call?.usage) throw new Error('the simulator recorded no usage');
  const price = findPrice(DEFAULT_PRICES, provider, model, usd);
  if (!price) throw new Error(`${model} is unpriced`);
  return costOf(price, {
    inputTokens: call.usage.inputTokens - (call.family === 'openai' ? call.usage.cachedInputTokens : 0),
    cachedInputTokens: call.usage.cachedInputTokens,
    cacheWriteTokens: call.usage.cacheWriteInputTokens,
    outputTokens: call.usage.outputTokens,
  });
}

async function ledgerTotal() {
  const rows = await harness.store.database
    .selectFrom('ledger')
    .select('cost_micros')
    .where('grant_id', '=', grantId)
    .execute();
  return rows.reduce((sum, row) => sum + Number(row.cost_micros), 0);
}

beforeAll(async () => {
  harness = await startHarness();
  const browser = await userWithKeys(harness, 'sdk@example.com');
  ({ accessToken: token, grantId } = await connectApp(harness, browser, {
    providers: ['openai', 'anthropic'],
    models: ['gpt-4.1-mini', 'claude-sonnet-4-6', 'text-embedding-3-small'],
    budget: { currency: 'USD', limits: [{ amount: '5.00', period: 'month' }] },
  }));
});
afterAll(async () => {
  await harness?.close();
});

describe('the official SDKs through the gateway', () => {
  it('OpenAI chat completion: JSON, with the cost in a header equal to the priced simulator usage', async () => {
    const { data, response } = await openai()
      .chat.completions.create({
        model: 'gpt-4.1-mini',
        messages: [{ role: 'user', content: 'Write a title for a post about budgets.' }],
      })
      .withResponse();
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    await harness.sim.idle();
    expect(response.headers.get('allowance-cost')).toBe(formatMoney(expectedCost('openai', 'gpt-4.1-mini')));
    expect(response.headers.get('allowance-currency')).toBe('USD');
    expect(response.headers.get('allowance-remaining')).toBe(formatMoney(5_000_000 - (await ledgerTotal())));
  });

  it('OpenAI streaming, with and without usage asked for, and the stream is billed exactly', async () => {
    const before = await ledgerTotal();
    const stream = await openai().chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'Stream me a sentence.' }],
      stream: true,
    });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(sawUsage).toBe(false);
    await harness.sim.idle();
    expect((await ledgerTotal()) - before).toBe(expectedCost('openai', 'gpt-4.1-mini'));

    const withUsage = await openai().chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'Stream me another.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of withUsage) usage = chunk.usage ?? usage;
    await harness.sim.idle();
    expect(usage?.completion_tokens).toBe(harness.sim.calls.at(-1)?.usage?.outputTokens);
  });

  it('Anthropic messages: JSON and streaming, billed from the reported usage', async () => {
    const before = await ledgerTotal();
    const message = await anthropic().messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Suggest a rewrite.' }],
    });
    expect(message.content[0]?.type).toBe('text');
    await harness.sim.idle();
    const first = expectedCost('anthropic', 'claude-sonnet-4-6');
    expect((await ledgerTotal()) - before).toBe(first);

    const stream = anthropic().messages.stream({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Stream.' }],
    });
    const final = await stream.finalMessage();
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    await harness.sim.idle();
    expect((await ledgerTotal()) - before).toBe(first + expectedCost('anthropic', 'claude-sonnet-4-6'));
  });

  it('lists only the models this token may use, and reports the allowance exactly', async () => {
    const models = await openai().models.list();
    expect(models.data.map((model) => model.id).sort()).toEqual([
      'claude-sonnet-4-6',
      'gpt-4.1-mini',
      'text-embedding-3-small',
    ]);
    const response = await fetch(`${harness.wallet.gateway}/v1/allowance`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const status = allowanceStatusSchema.parse(await response.json());
    const month = status.budget[0];
    expect(month?.limit).toBe('5.00');
    expect(month?.spent).toBe(formatMoney(await ledgerTotal()));
    expect(month?.reserved).toBe('0.00');
  });

  it('surfaces refusals through the SDKs with the spec codes, and bills nothing for them', async () => {
    const before = await ledgerTotal();
    await expect(
      openai().chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' });
    await expect(
      new OpenAI({
        apiKey: 'not-a-token',
        baseURL: `${harness.wallet.gateway}/v1`,
        maxRetries: 0,
      }).chat.completions.create({
        model: 'gpt-4.1-mini',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    await expect(
      anthropic().messages.create({
        model: 'claude-opus-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(await ledgerTotal()).toBe(before);
  });

  it('embeddings are metered as input only, count_tokens is free, and Anthropic lists models in its own shape', async () => {
    const before = await ledgerTotal();
    const embedded = await openai().embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a post about budgets'],
    });
    expect(embedded.data[0]?.embedding.length).toBeGreaterThan(0);
    await harness.sim.idle();
    const embeddingCost = expectedCost('openai', 'text-embedding-3-small');
    expect((await ledgerTotal()) - before).toBe(embeddingCost);

    const counted = await anthropic().messages.countTokens({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'Count me.' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const after = await ledgerTotal();
    expect(after - before).toBe(embeddingCost);

    const models = await anthropic().models.list();
    expect(models.data.map((model) => model.id).sort()).toEqual([
      'claude-sonnet-4-6',
      'gpt-4.1-mini',
      'text-embedding-3-small',
    ]);
  });
});
