import { createHash, randomUUID } from 'node:crypto';
import { readWalletOptions, serveGateway } from '@allowance/cli';
import { freePort } from '@allowance/testing';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKeyPair } from 'oauth4webapi';
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

async function startReplica(gatewayOptions: Record<string, unknown> = {}) {
  const port = await freePort();
  const replica = await serveGateway({
    ...readWalletOptions(
      {
        port: String(port),
        data: harness.dataDirectory,
        issuer: harness.wallet.issuer,
        gateway: harness.wallet.gateway,
      },
      {},
    ),
    gatewayOptions,
  });
  return { replica, gateway: `http://127.0.0.1:${port}/gateway` };
}

describe('allowance gateway, a replica on the same database', () => {
  it('verifies tokens with the issuer’s published keys and meters against the same budget', async () => {
    const browser = await userWithKeys(harness, 'replica@example.com');
    const { accessToken, grantId } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
      budget: { currency: 'USD', limits: [{ amount: '1.00', period: 'day' }] },
    });
    const { replica, gateway } = await startReplica();
    try {
      const viaReplica = new OpenAI({
        apiKey: accessToken,
        baseURL: `${gateway}/v1`,
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
      const replicaOnly = await fetch(`${new URL(gateway).origin}/signin`);
      expect(replicaOnly.status).toBe(404);
    } finally {
      await replica.close();
    }
  });

  it('refuses at one replica a DPoP proof another already accepted (spec DPOP-13)', async () => {
    const keys = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair;
    const jwk = await exportJWK(keys.publicKey);
    const browser = await userWithKeys(harness, 'replica-dpop@example.com');
    const { accessToken, grantId } = await connectApp(
      harness,
      browser,
      { providers: ['openai'], models: ['gpt-4.1-mini'] },
      {},
      { dpopKeys: keys },
    );
    // The proof names the gateway's public URL, which both replicas serve behind a balancer.
    const proof = await new SignJWT({
      jti: randomUUID(),
      htm: 'POST',
      htu: `${harness.wallet.gateway}/v1/chat/completions`,
      iat: Math.floor(Date.now() / 1000),
      ath: createHash('sha256').update(accessToken).digest('base64url'),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
      .sign(keys.privateKey);
    const send = (gateway: string) =>
      fetch(`${gateway}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `DPoP ${accessToken}`, dpop: proof, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const { replica, gateway } = await startReplica();
    try {
      expect((await send(harness.wallet.gateway)).status).toBe(200);
      const replayed = await send(gateway);
      expect(replayed.status).toBe(401);
      expect(((await replayed.json()) as { error: { code: string } }).error.code).toBe('invalid_dpop_proof');
      const ledger = await harness.store.database
        .selectFrom('ledger')
        .select('cost_micros')
        .where('grant_id', '=', grantId)
        .execute();
      expect(ledger).toHaveLength(1);
    } finally {
      await replica.close();
    }
  });

  it('applies at a replica, from the very next call, what the user changed at the wallet', async () => {
    const browser = await userWithKeys(harness, 'replica-changes@example.com');
    const { accessToken, grantId } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini', 'gpt-4.1-nano'],
    });
    const { replica, gateway } = await startReplica();
    try {
      const send = async (model: string) => {
        const response = await fetch(`${gateway}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
        });
        const body = (await response.json()) as { error?: { code: string } };
        return [response.status, body.error?.code];
      };
      // Twice, so the replica has read the grant and may keep it (issue 8).
      expect(await send('gpt-4.1-nano')).toEqual([200, undefined]);
      expect(await send('gpt-4.1-nano')).toEqual([200, undefined]);
      // Only the grant's copy in the replica knows the model list: the reservation does not.
      const home = await browser.open(`${harness.wallet.issuer}/`);
      const lowered = await browser.submit(home, `form[action="/grants/${grantId}/limits"]`, {
        model: ['gpt-4.1-mini'],
      });
      expect(lowered.status).toBe(200);
      expect(await send('gpt-4.1-nano')).toEqual([403, 'model_not_allowed']);
      expect(await send('gpt-4.1-mini')).toEqual([200, undefined]);
      const asked = await browser.submit(
        await browser.open(`${harness.wallet.issuer}/`),
        `tr[data-grant="${grantId}"] form`,
      );
      await browser.submit(asked, '#confirm-revoke');
      expect(await send('gpt-4.1-mini')).toEqual([401, 'grant_revoked']);
    } finally {
      await replica.close();
    }
  });

  it('applies the same gateway options as the wallet, such as the body limit', async () => {
    const browser = await userWithKeys(harness, 'replica-options@example.com');
    const { accessToken } = await connectApp(harness, browser, {
      providers: ['openai'],
      models: ['gpt-4.1-mini'],
    });
    const { replica, gateway } = await startReplica({ maxBodyBytes: 2048 });
    try {
      const send = (base: string) =>
        fetch(`${base}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'gpt-4.1-mini',
            max_tokens: 5,
            messages: [{ role: 'user', content: 'x'.repeat(4096) }],
          }),
        });
      expect((await send(harness.wallet.gateway)).status).toBe(200);
      const refused = await send(gateway);
      expect(refused.status).toBe(413);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
    } finally {
      await replica.close();
    }
  });
});
