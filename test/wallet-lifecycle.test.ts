import { rotateSigningKey } from '@allowance/server';
import { createSealer, loadMasterKey } from '@allowance/store';
import { decodeProtectedHeader } from 'jose';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const ask = (token: string, model = 'gpt-4.1-mini') =>
  new OpenAI({
    apiKey: token,
    baseURL: `${harness.wallet.gateway}/v1`,
    maxRetries: 0,
  }).chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 50,
  });

describe('signing key rotation', () => {
  it('signs with the new key after a restart, and still accepts tokens signed by the old one', async () => {
    const browser = await userWithKeys(harness, 'rotate@example.com');
    const before = await connectApp(harness, browser, { providers: ['openai'], models: ['gpt-4.1-mini'] });
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    const newKid = await rotateSigningKey(
      harness.store,
      createSealer(loadMasterKey(harness.dataDirectory, {}).key),
      Date.now(),
    );
    await harness.restart();

    const jwks = (await (await fetch(`${harness.wallet.issuer}/jwks`)).json()) as {
      keys: { kid: string; d?: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    expect(jwks.keys.every((key) => key.d === undefined)).toBe(true);
    await expect(ask(before.accessToken)).resolves.toMatchObject({ object: 'chat.completion' });
    const after = await connectApp(harness, await userWithKeys(harness, 'rotate2@example.com'), {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
    });
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);
  });
});

describe('unpriced models', () => {
  it('are metered in tokens against a token-only grant, never as free money', async () => {
    const browser = await userWithKeys(harness, 'tokens@example.com');
    const { accessToken, grantId } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['openai/local-llama'],
      tokens: { limits: [{ tokens: 5000, period: 'day' }] },
    });
    await ask(accessToken, 'openai/local-llama');
    await harness.sim.idle();
    const reported = harness.sim.calls.at(-1)?.usage;
    const [row] = await harness.store.database
      .selectFrom('ledger')
      .selectAll()
      .where('grant_id', '=', grantId)
      .execute();
    expect(Number(row?.cost_micros)).toBe(0);
    expect(Number(row?.output_tokens)).toBe(reported?.outputTokens);
    const counter = await harness.store.database
      .selectFrom('usage_counters')
      .selectAll()
      .where('subject', '=', grantId)
      .where('kind', '=', 'tokens')
      .executeTakeFirstOrThrow();
    expect(Number(counter.spent)).toBe((reported?.inputTokens ?? 0) + (reported?.outputTokens ?? 0));
    expect(Number(counter.reserved)).toBe(0);
  });
});
