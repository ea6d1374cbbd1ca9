import dns from 'node:dns';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import type { ScriptedBrowser } from '@allowance/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectApp, type Harness, startHarness, userWithKeys } from './support/wallet-harness.js';

// Issue 6's hardening: the gateway calls only the base URLs the user configured. Nothing an app
// sends (model names, provider names, Host or forwarding headers) may point it anywhere else.

let harness: Harness;
let canary: Server;
let canaryHits = 0;
let canaryOrigin: string;
let token: string;
let grantId: string;
let browser: ScriptedBrowser;

// A resolver stand-in for the whole wallet, which runs in this process: names under
// `.example.test` answer 127.0.0.1, IP literals and localhost resolve as usual, and any other name
// fails, so that no test here sends anything to a non-loopback address, whatever the code under
// test does (the workplace allows loopback only).
const realLookup = dns.lookup;
const strayLookups: string[] = [];
function standInLookup(hostname: string, options: unknown, callback?: unknown): void {
  if (isIP(hostname) !== 0 || hostname === 'localhost') {
    (realLookup as (...parts: unknown[]) => void)(hostname, options, callback);
    return;
  }
  const done = (typeof options === 'function' ? options : callback) as (
    error: Error | null,
    address?: string | { address: string; family: number }[],
    family?: number,
  ) => void;
  if (!hostname.endsWith('.example.test')) {
    strayLookups.push(hostname);
    done(Object.assign(new Error(`no DNS in this test (${hostname})`), { code: 'ENOTFOUND' }));
    return;
  }
  if (typeof options === 'object' && (options as { all?: boolean }).all)
    done(null, [{ address: '127.0.0.1', family: 4 }]);
  else done(null, '127.0.0.1', 4);
}

beforeAll(async () => {
  dns.lookup = standInLookup as typeof dns.lookup;
  canary = createServer((_request, response) => {
    canaryHits += 1;
    response.end('{}');
  });
  await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
  canaryOrigin = `127.0.0.1:${(canary.address() as AddressInfo).port}`;
  harness = await startHarness();
  browser = await userWithKeys(harness, 'ssrf@example.com');
  ({ accessToken: token, grantId } = await connectApp(harness, browser, {
    providers: ['openai', 'anthropic'],
    models: ['gpt-4.1-mini', 'claude-sonnet-4-6'],
  }));
});
afterAll(async () => {
  await harness?.close();
  await new Promise((resolve) => canary?.close(resolve));
  dns.lookup = realLookup;
  expect(strayLookups).toEqual([]);
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

/** Points the stored openai key somewhere else, as a key saved before the wallet checked URLs. */
async function storeOpenAiUrl(baseUrl: string, privateNetwork?: number): Promise<void> {
  await harness.store.database
    .updateTable('provider_credentials')
    .set({ base_url: baseUrl, ...(privateNetwork === undefined ? {} : { private_network: privateNetwork }) })
    .where('provider_id', '=', 'openai')
    .execute();
}

/** The simulator's openai base URL with another scheme and host, same port and path. */
function simUrlAt(protocol: 'http:' | 'https:', hostname: string): string {
  const url = new URL(harness.sim.baseURL('openai'));
  url.protocol = protocol;
  url.hostname = hostname;
  return url.href.replace(/\/$/, '');
}

const held = async () => {
  const reservations = await harness.store.database
    .selectFrom('reservations')
    .select('id')
    .where('grant_id', '=', grantId)
    .execute();
  const counters = await harness.store.database
    .selectFrom('usage_counters')
    .select(['reserved'])
    .where('subject', 'like', `%${grantId}%`)
    .execute();
  return {
    reservations: reservations.length,
    reserved: counters.reduce((sum, row) => sum + Number(row.reserved), 0),
  };
};
const ledgerRows = () =>
  harness.store.database.selectFrom('ledger').selectAll().where('grant_id', '=', grantId).execute();
const chatCall = (stream = false) =>
  send(
    '/v1/chat/completions',
    {},
    { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, stream },
  );
const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string } }).error;

describe('where the user’s key may go (SEC-7, SEC-8)', () => {
  it('refuses a key stored with an http URL to a host that is not loopback: 503, nothing sent or held, flagged (SEC-7)', async () => {
    // provider.example.test answers 127.0.0.1 here: a gateway that sent the key anyway would
    // reach the simulator in clear, and this test would see the call.
    await storeOpenAiUrl(simUrlAt('http:', 'provider.example.test'));
    try {
      const callsBefore = harness.sim.calls.length;
      const ledgerBefore = (await ledgerRows()).length;
      for (const stream of [false, true]) {
        const answer = await chatCall(stream);
        expect(answer.status).toBe(503);
        const error = errorOf(answer.body);
        expect(error.code).toBe('provider_unavailable');
        expect(error.message).toMatch(/http:\/\/.*unencrypted.*owner must correct/s);
        expect(answer.body).not.toContain('example.test');
      }
      expect(harness.sim.calls.length).toBe(callsBefore);
      expect((await ledgerRows()).length).toBe(ledgerBefore);
      expect(await held()).toEqual({ reservations: 0, reserved: 0 });
      const home = await browser.open(`${harness.wallet.issuer}/`);
      expect(home.document.querySelector('tr[data-key="openai"]')?.getAttribute('data-needs-fix')).toBe(
        'yes',
      );
    } finally {
      await storeOpenAiUrl(harness.sim.baseURL('openai'));
    }
  });

  it('refuses a public name that resolves to loopback at connect time, releasing the reservation (SEC-8)', async () => {
    // https, so the URL as typed is fine; only the address the name leads to is not.
    await storeOpenAiUrl(simUrlAt('https:', 'lan.example.test'));
    try {
      const ledgerBefore = (await ledgerRows()).length;
      const answer = await chatCall();
      expect(answer.status).toBe(503);
      const error = errorOf(answer.body);
      expect(error.code).toBe('provider_unavailable');
      expect(error.message).toMatch(/private network/);
      expect(answer.body).not.toContain('127.0.0.1');
      expect(await held()).toEqual({ reservations: 0, reserved: 0 });
      const rows = await ledgerRows();
      expect(rows.length).toBe(ledgerBefore + 1);
      expect(rows.at(-1)).toMatchObject({ cost_micros: 0, http_status: 503, error_code: 'refused' });

      // With the owner's private-network choice for this key, the gateway does connect: the
      // simulator speaks plain HTTP on that port, so the TLS handshake fails (502), on loopback.
      await storeOpenAiUrl(simUrlAt('https:', 'lan.example.test'), 1);
      const allowed = await chatCall();
      expect(allowed.status).toBe(502);
      expect(errorOf(allowed.body).code).toBe('upstream_error');
      expect(await held()).toEqual({ reservations: 0, reserved: 0 });
    } finally {
      await storeOpenAiUrl(harness.sim.baseURL('openai'));
    }
    expect((await chatCall()).status).toBe(200);
  });
});
