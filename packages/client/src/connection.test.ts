import { createHash } from 'node:crypto';
import type { ScriptedBrowser } from '@allowance/testing';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AllowanceBuilder, allowance } from './allowance-builder.js';
import { ReauthorizationRequiredError } from './authorization-errors.js';
import type { Connection, ConnectionOptions } from './connection.js';
import { discoverWallet } from './discover-wallet.js';
import type { DpopKeyPair } from './dpop-key.js';
import {
  BudgetExhaustedError,
  GrantRevokedError,
  ModelNotAllowedError,
  ProviderNotAllowedError,
} from './gateway-errors.js';
import type { SavedConnection } from './saved-connection.js';
import {
  answerConsent,
  type ConsentFields,
  signUpWithKeys,
  startTestWallet,
  type TestWallet,
  WEB_APP,
} from './test-support/test-wallet.js';
import { toAllowanceError } from './to-allowance-error.js';
import type { Wallet } from './wallet.js';

let testWallet: TestWallet;
let browser: ScriptedBrowser;
const registration = { clientId: WEB_APP.client_id, redirectUri: WEB_APP.redirect_uris[0] as string };
const request = allowance()
  .providers('openai', 'anthropic')
  .models('gpt-4.1-mini', 'claude-sonnet-4-6')
  .budget('5.00', 'month');
const messages = [{ role: 'user' as const, content: 'Suggest a title for a post about budgets.' }];

/** A wallet whose clock the test moves: `clock.offset` milliseconds ahead of real time. */
async function walletWithClock() {
  const clock = { offset: 0 };
  const wallet = await discoverWallet(testWallet.issuer, registration, {
    allowInsecure: true,
    now: () => Date.now() + clock.offset,
  });
  return { wallet, clock };
}

async function connect(
  wallet: Wallet,
  requested: AllowanceBuilder = request,
  options: ConnectionOptions = {},
  consent: ConsentFields = {},
): Promise<Connection> {
  const { url, pending } = await wallet.startAuthorization({ allowance: requested });
  return wallet.finishAuthorization(await answerConsent(browser, url, 'approve', consent), pending, options);
}

/** What the call threw, mapped; fails the test if it did not throw. */
async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => {
      throw new Error('the call succeeded');
    },
    (thrown: unknown) => thrown,
  );
  return { error, mapped: toAllowanceError(error) };
}

function decodeJwt(jwt: string) {
  const [header, payload] = jwt
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, payload };
}

/** RFC 7638 thumbprint of an EC public key. */
function thumbprint(jwk: DpopKeyPair['publicKey']): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

beforeAll(async () => {
  testWallet = await startTestWallet();
  browser = await signUpWithKeys(testWallet, 'connection@example.com');
});
afterAll(async () => {
  await testWallet?.close();
});

describe('a connection with the official SDKs', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await connect((await walletWithClock()).wallet);
  });

  it('serves the OpenAI SDK: JSON and streaming, metered by the gateway', async () => {
    const openai = new OpenAI({ ...connection.openai(), maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4.1-mini', messages })
      .withResponse();
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(response.headers.get('allowance-currency')).toBe('USD');
    expect(Number(response.headers.get('allowance-cost'))).toBeGreaterThan(0);

    const stream = await openai.chat.completions.create({ model: 'gpt-4.1-mini', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('serves the Anthropic SDK: JSON and streaming', async () => {
    const anthropic = new Anthropic({ ...connection.anthropic(), maxRetries: 0 });
    const message = await anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages });
    expect(message.content[0]?.type).toBe('text');
    const final = await anthropic.messages
      .stream({ model: 'claude-sonnet-4-6', max_tokens: 64, messages })
      .finalMessage();
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('reports what is left with status(), including the calls above', async () => {
    const status = await connection.status();
    expect(status).toMatchObject({ object: 'allowance', grant_id: connection.grantId, currency: 'USD' });
    const month = status.budget[0];
    expect(month?.limit).toBe('5.00');
    expect(Number(month?.spent)).toBeGreaterThan(0);
    expect(Number(month?.remaining)).toBeCloseTo(5 - Number(month?.spent), 6);
  });

  it('round-trips through JSON and keeps working', async () => {
    const saved = JSON.parse(JSON.stringify(connection)) as SavedConnection;
    expect(saved).toMatchObject({ version: 1, issuer: testWallet.issuer, clientId: WEB_APP.client_id });
    expect(saved.refreshToken).toBeTypeOf('string');
    const restored = (await walletWithClock()).wallet.restoreConnection(saved);
    expect(restored.grantId).toBe(connection.grantId);
    expect(restored.allowance).toEqual(connection.allowance);
    const openai = new OpenAI({ ...restored.openai(), maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: 'gpt-4.1-mini', messages });
    expect(reply.choices).toHaveLength(1);
  });

  it('refuses a saved connection of another wallet or client', async () => {
    const saved = connection.toJSON();
    const { wallet } = await walletWithClock();
    expect(() => wallet.restoreConnection({ ...saved, clientId: 'other-app' })).toThrow(
      expect.objectContaining({ code: 'invalid_saved_connection' }),
    );
    expect(() => wallet.restoreConnection({ ...saved, issuer: 'https://wallet.example' })).toThrow(
      expect.objectContaining({ code: 'invalid_saved_connection' }),
    );
  });

  it('never sends the token anywhere but the gateway', async () => {
    const { fetch: gatewayFetch } = connection.openai();
    for (const url of ['http://127.0.0.1:1/v1/models', `${testWallet.gateway}-elsewhere/v1/models`]) {
      await expect(gatewayFetch(url)).rejects.toMatchObject({ code: 'not_gateway_url' });
    }
  });
});

describe('refresh', () => {
  it('refreshes a token about to expire, once for concurrent callers, and rotates the refresh token', async () => {
    const { wallet, clock } = await walletWithClock();
    const rotations: SavedConnection[] = [];
    const connection = await connect(wallet, request, { onRotate: (saved) => void rotations.push(saved) });
    const before = connection.toJSON();
    expect(await connection.accessToken()).toBe(before.accessToken);
    expect(rotations).toHaveLength(0);

    // 280 s later the 300 s token expires within the 30 s margin.
    clock.offset = 280_000;
    const tokens = await Promise.all([
      connection.accessToken(),
      connection.accessToken(),
      connection.accessToken(),
    ]);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(before.accessToken);
    expect(rotations).toHaveLength(1);
    expect(rotations[0]?.refreshToken).toBeTypeOf('string');
    expect(rotations[0]?.refreshToken).not.toBe(before.refreshToken);
    expect(rotations[0]?.accessToken).toBe(tokens[0]);
    expect(connection.grantId).toBe(before.grantId);

    const openai = new OpenAI({ ...connection.openai(), maxRetries: 0 });
    await expect(openai.chat.completions.create({ model: 'gpt-4.1-mini', messages })).resolves.toHaveProperty(
      'choices',
    );

    // The refresh token from before the rotation is refused, and presenting it revoked the grant (TOK-2).
    const stale = wallet.restoreConnection(before);
    await expect(stale.accessToken()).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    await expect(stale.accessToken()).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(connection.status()).rejects.toBeInstanceOf(GrantRevokedError);
  });

  it('refreshes once and retries when the gateway refuses the token as invalid_token', async () => {
    const { wallet } = await walletWithClock();
    const rotations: SavedConnection[] = [];
    const connection = await connect(wallet);
    // A token the gateway cannot verify, which the connection believes fresh.
    const broken = wallet.restoreConnection(
      { ...connection.toJSON(), accessToken: 'not.a.token' },
      { onRotate: (saved) => void rotations.push(saved) },
    );
    const openai = new OpenAI({ ...broken.openai(), maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: 'gpt-4.1-mini', messages });
    expect(reply.choices).toHaveLength(1);
    expect(rotations).toHaveLength(1);
    expect(await broken.accessToken()).not.toBe('not.a.token');
  });
});

describe('gateway refusals as typed errors', () => {
  it('maps a model outside the allowance to ModelNotAllowedError, from either SDK', async () => {
    const connection = await connect((await walletWithClock()).wallet);
    const openai = new OpenAI({ ...connection.openai(), maxRetries: 0 });
    const fromOpenAI = await refusal(openai.chat.completions.create({ model: 'gpt-4.1', messages }));
    expect(fromOpenAI.error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(fromOpenAI.mapped).toBeInstanceOf(ModelNotAllowedError);
    expect(fromOpenAI.mapped).toMatchObject({ code: 'model_not_allowed', status: 403 });

    const anthropic = new Anthropic({ ...connection.anthropic(), maxRetries: 0 });
    const fromAnthropic = await refusal(
      anthropic.messages.create({ model: 'claude-opus-4-5', max_tokens: 16, messages }),
    );
    expect(fromAnthropic.error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(fromAnthropic.mapped).toBeInstanceOf(ModelNotAllowedError);

    const otherProvider = await refusal(
      openai.chat.completions.create(
        { model: 'deepseek-chat', messages },
        { headers: { 'Allowance-Provider': 'deepseek' } },
      ),
    );
    expect(otherProvider.mapped).toBeInstanceOf(ProviderNotAllowedError);
    expect(otherProvider.mapped).toMatchObject({ code: 'provider_not_allowed', status: 403 });
  });

  it('maps a call that does not fit the budget to BudgetExhaustedError, and nothing reaches the provider', async () => {
    const small = allowance().providers('openai').models('gpt-4.1-mini').budget('0.001', 'month');
    const connection = await connect((await walletWithClock()).wallet, small);
    const callsBefore = testWallet.sim.calls.length;
    const openai = new OpenAI({ ...connection.openai(), maxRetries: 0 });
    const { mapped } = await refusal(
      openai.chat.completions.create({ model: 'gpt-4.1-mini', messages, max_completion_tokens: 4000 }),
    );
    expect(mapped).toBeInstanceOf(BudgetExhaustedError);
    expect(mapped).toMatchObject({ code: 'budget_exhausted', status: 402 });
    expect(testWallet.sim.calls.length).toBe(callsBefore);
  });

  it('revokes the grant: the gateway then refuses calls with grant_revoked', async () => {
    const connection = await connect((await walletWithClock()).wallet);
    const openai = new OpenAI({ ...connection.openai(), maxRetries: 0 });
    await openai.chat.completions.create({ model: 'gpt-4.1-mini', messages });
    await connection.revoke();
    const { error, mapped } = await refusal(
      openai.chat.completions.create({ model: 'gpt-4.1-mini', messages }),
    );
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(mapped).toBeInstanceOf(GrantRevokedError);
    expect(mapped).toMatchObject({ code: 'grant_revoked', status: 401 });
    await expect(connection.status()).rejects.toBeInstanceOf(GrantRevokedError);
  });
});

describe('a DPoP-bound connection', () => {
  let wallet: Wallet;
  let connection: Connection;
  let dpopKey: DpopKeyPair;
  const clock = { offset: 0 };
  /** Every request the app sent to the gateway, as the injected fetch saw it. */
  const sent: { url: string; headers: Record<string, string> }[] = [];

  beforeAll(async () => {
    wallet = await discoverWallet(
      testWallet.issuer,
      { clientId: WEB_APP.client_id, redirectUri: WEB_APP.redirect_uris[0] as string },
      {
        allowInsecure: true,
        now: () => Date.now() + clock.offset,
        fetch: (input, init) => {
          if (String(input).startsWith(testWallet.gateway)) {
            sent.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) } });
          }
          return fetch(input, init);
        },
      },
    );
    const { url, pending } = await wallet.startAuthorization({
      allowance: allowance().providers('openai', 'anthropic').models('gpt-4.1-mini', 'claude-sonnet-4-6'),
      dpop: true,
    });
    expect(pending.dpopKey?.privateKey.d).toBeTypeOf('string');
    dpopKey = pending.dpopKey as DpopKeyPair;
    connection = await wallet.finishAuthorization(await answerConsent(browser, url), pending);
  });

  it('holds an access token bound to its key (cnf.jkt)', async () => {
    expect(connection.dpopBound).toBe(true);
    const { payload } = decodeJwt(await connection.accessToken());
    expect(payload.cnf).toEqual({ jkt: thumbprint(dpopKey.publicKey) });
  });

  it('calls through both SDKs with a fresh proof per request', async () => {
    sent.length = 0;
    const openai = new OpenAI({ ...connection.openai(), maxRetries: 0 });
    await openai.chat.completions.create({ model: 'gpt-4.1-mini', messages });
    let streamed = '';
    for await (const chunk of await openai.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages,
      stream: true,
    })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    expect(streamed.length).toBeGreaterThan(0);
    const anthropic = new Anthropic({ ...connection.anthropic(), maxRetries: 0 });
    await anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 32, messages });
    // A query string is part of the URL but not of the proof's htu (RFC 9449 §4.2).
    await openai.models.list({ query: { after: 'x' } });

    const token = await connection.accessToken();
    const ath = createHash('sha256').update(token).digest('base64url');
    expect(sent).toHaveLength(4);
    expect(new URL(sent[3]?.url ?? '').search).toBe('?after=x');
    for (const [index, request] of sent.entries()) {
      expect(request.headers.authorization).toBe(`DPoP ${token}`);
      expect(request.headers['x-api-key']).toBeUndefined();
      const proof = decodeJwt(request.headers.dpop ?? '');
      expect(proof.header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
      expect(thumbprint(proof.header.jwk)).toBe(thumbprint(dpopKey.publicKey));
      const target = new URL(request.url);
      const method = index === 3 ? 'GET' : 'POST';
      expect(proof.payload).toMatchObject({ htm: method, htu: `${target.origin}${target.pathname}`, ath });
    }
    const identifiers = sent.map((request) => decodeJwt(request.headers.dpop ?? '').payload.jti);
    expect(new Set(identifiers).size).toBe(4);
  });

  it('is useless without the key: the gateway refuses the same token as a Bearer token', async () => {
    const response = await fetch(`${testWallet.gateway}/v1/allowance`, {
      headers: { authorization: `Bearer ${await connection.accessToken()}` },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_dpop_proof');
  });

  it('refreshes with a proof, keeps the binding, and survives a JSON round trip with its key', async () => {
    const rotations: SavedConnection[] = [];
    const saved = JSON.parse(JSON.stringify(connection)) as SavedConnection;
    expect(saved).toMatchObject({ tokenType: 'DPoP', dpopKey });
    const restored = wallet.restoreConnection(saved, { onRotate: (next) => void rotations.push(next) });
    clock.offset = 280_000;
    const refreshed = await restored.accessToken();
    expect(refreshed).not.toBe(saved.accessToken);
    expect(rotations).toHaveLength(1);
    expect(decodeJwt(refreshed).payload.cnf).toEqual({ jkt: thumbprint(dpopKey.publicKey) });
    const openai = new OpenAI({ ...restored.openai(), maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: 'gpt-4.1-mini', messages });
    expect(reply.choices).toHaveLength(1);
  });

  it('revokes a DPoP-bound grant: the gateway then refuses its calls with grant_revoked', async () => {
    const { url, pending } = await wallet.startAuthorization({
      allowance: allowance().providers('openai').models('gpt-4.1-mini'),
      dpop: true,
    });
    const bound = await wallet.finishAuthorization(await answerConsent(browser, url), pending);
    await bound.revoke();
    const openai = new OpenAI({ ...bound.openai(), maxRetries: 0 });
    const { error, mapped } = await refusal(
      openai.chat.completions.create({ model: 'gpt-4.1-mini', messages }),
    );
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(mapped).toBeInstanceOf(GrantRevokedError);
  });
});
