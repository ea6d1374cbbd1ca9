import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

// Issue 6's hardening: the gateway calls only the base URLs the user configured. Nothing an app
// sends (model names, provider names, Host or forwarding headers) may point it anywhere else.

let harness: Harness;
let canary: Server;
let canaryHits = 0;
let canaryOrigin: string;
let token: string;

beforeAll(async () => {
  canary = createServer((_request, response) => {
    canaryHits += 1;
    response.end('{}');
  });
  await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
  canaryOrigin = `127.0.0.1:${(canary.address() as AddressInfo).port}`;
  harness = await startHarness();
  const browser = await userWithKeys(harness, 'ssrf@example.com');
  ({ accessToken: token } = await connectApp(harness, browser, {
    providers: ['openai', 'anthropic'],
    models: ['gpt-4.1-mini', 'claude-sonnet-4-6'],
  }));
});
afterAll(async () => {
  await harness?.close();
  await new Promise((resolve) => canary?.close(resolve));
});

/** A raw request, so that Host and other headers fetch would guard are sent as given. */
function send(path: string, headers: Record<string, string>, body: unknown) {
  const url = new URL(`${harness.wallet.gateway}${path}`);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(JSON.stringify(body));
  });
}

describe('the upstream address is the user’s to choose, never the app’s', () => {
  it('refuses model and provider names that look like addresses, and never calls them', async () => {
    const models = [
      `http://${canaryOrigin}/v1`,
      `//${canaryOrigin}/v1`,
      `openai/../../${canaryOrigin}`,
      `gpt-4.1-mini@${canaryOrigin}`,
      `openai:http://${canaryOrigin}`,
      'gpt-4.1-mini\r\nHost: evil',
    ];
    for (const model of models) {
      const answer = await send(
        '/v1/chat/completions',
        {},
        { model, messages: [{ role: 'user', content: 'hi' }] },
      );
      expect(answer.status, model).toBeGreaterThanOrEqual(400);
      expect(answer.status, model).toBeLessThan(500);
    }
    for (const provider of [`http://${canaryOrigin}`, canaryOrigin, '../anthropic']) {
      const answer = await send(
        '/v1/chat/completions',
        { 'allowance-provider': provider },
        { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] },
      );
      expect(answer.status, provider).toBeGreaterThanOrEqual(400);
      expect(answer.status, provider).toBeLessThan(500);
    }
    expect(canaryHits).toBe(0);
  });

  it('ignores Host and forwarding headers when choosing where to forward a good call', async () => {
    const before = harness.sim.calls.length;
    const answer = await send(
      '/v1/chat/completions',
      {
        host: canaryOrigin,
        'x-forwarded-host': canaryOrigin,
        'x-forwarded-proto': 'http',
        forwarded: `host=${canaryOrigin}`,
        'x-original-url': `http://${canaryOrigin}/v1/chat/completions`,
      },
      { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 },
    );
    expect(answer.status).toBe(200);
    expect(harness.sim.calls.length).toBe(before + 1);
    expect(canaryHits).toBe(0);
  });
});
