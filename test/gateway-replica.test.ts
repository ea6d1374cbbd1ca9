import { readWalletOptions, serveGateway } from '@allowance/cli';
import { freePort } from '@allowance/testing';
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

describe('allowance gateway, a replica on the same database', () => {
  it('verifies tokens with the issuer’s published keys and meters against the same budget', async () => {
    const browser = await userWithKeys(harness, 'replica@example.com');
    const { accessToken, grantId } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
    });
    const port = await freePort();
    const replica = await serveGateway(
      readWalletOptions(
        {
          port: String(port),
          data: harness.dataDirectory,
          issuer: harness.wallet.issuer,
          gateway: harness.wallet.gateway,
        },
        {},
      ),
    );
    try {
      const viaReplica = new OpenAI({
        apiKey: accessToken,
        baseURL: `http://127.0.0.1:${port}/gateway/v1`,
        maxRetries: 0,
      });
      const viaWallet = new OpenAI({
        apiKey: accessToken,
        baseURL: `${harness.wallet.gateway}/v1`,
        maxRetries: 0,
      });
      const message = { model: 'gpt-4.1-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
      const [first, second] = await Promise.all([
        viaReplica.chat.completions.create(message).withResponse(),
        viaWallet.chat.completions.create(message).withResponse(),
      ]);
      const billed = [first, second].map((answer) =>
        Number((answer.response.headers.get('allowance-cost') ?? '0').replace('.', '')),
      );
      const ledger = await harness.store.database
        .selectFrom('ledger')
        .select('cost_micros')
        .where('grant_id', '=', grantId)
        .execute();
      expect(ledger).toHaveLength(2);
      expect(billed.every((cost) => cost > 0)).toBe(true);
      const replicaOnly = await fetch(`http://127.0.0.1:${port}/signin`);
      expect(replicaOnly.status).toBe(404);
    } finally {
      await replica.close();
    }
  });
});
