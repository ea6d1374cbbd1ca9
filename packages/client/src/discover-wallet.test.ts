import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AllowanceError } from './allowance-error.js';
import { discoverWallet } from './discover-wallet.js';
import { startTestWallet, type TestWallet, WEB_APP } from './test-support/test-wallet.js';

let testWallet: TestWallet;
const registration = { clientId: WEB_APP.client_id, redirectUri: WEB_APP.redirect_uris[0] as string };

beforeAll(async () => {
  testWallet = await startTestWallet();
});
afterAll(async () => {
  await testWallet?.close();
});

describe('discoverWallet', () => {
  it('reads the RFC 8414 metadata and its allowance member from a wallet on loopback', async () => {
    const wallet = await discoverWallet(new URL(testWallet.issuer), registration, { allowInsecure: true });
    expect(wallet.issuer).toBe(testWallet.issuer);
    expect(wallet.gateway).toBe(`${testWallet.issuer}/gateway`);
    expect(wallet.currency).toBe('USD');
    expect(wallet.allowance.version).toBe('1.0');
    expect(wallet.allowance.providers).toContainEqual({ id: 'anthropic', api: 'anthropic' });
    expect(wallet.metadata.pushed_authorization_request_endpoint).toBe(`${testWallet.issuer}/request`);
  });

  it('goes through the injected fetch', async () => {
    const requested: string[] = [];
    await discoverWallet(testWallet.issuer, registration, {
      allowInsecure: true,
      fetch: (input, init) => {
        requested.push(String(input));
        return fetch(input, init);
      },
    });
    expect(requested).toEqual([`${testWallet.issuer}/.well-known/oauth-authorization-server`]);
  });

  it('refuses plain http to a host that is not loopback, even with the opt-in, without sending anything', async () => {
    let sent = false;
    const failure = discoverWallet('http://wallet.example', registration, {
      fetch: async () => {
        sent = true;
        return new Response();
      },
    });
    await expect(failure).rejects.toMatchObject({ code: 'insecure_wallet_url' });
    const insecureEvenWithOptIn = discoverWallet('http://wallet.example', registration, {
      allowInsecure: true,
      fetch: async () => {
        sent = true;
        return new Response();
      },
    });
    await expect(insecureEvenWithOptIn).rejects.toMatchObject({ code: 'insecure_wallet_url' });
    expect(sent).toBe(false);
  });

  it('needs an explicit opt-in for plain http on loopback', async () => {
    await expect(discoverWallet(testWallet.issuer, registration)).rejects.toMatchObject({
      code: 'insecure_wallet_url',
      message: expect.stringContaining('allowInsecure'),
    });
  });

  it('refuses an authorization server that is not an Allowance wallet', async () => {
    const withoutAllowance: typeof fetch = async (input, init) => {
      const { allowance: _omitted, ...metadata } = (await (await fetch(input, init)).json()) as Record<
        string,
        unknown
      >;
      return Response.json(metadata);
    };
    const failure = discoverWallet(testWallet.issuer, registration, {
      allowInsecure: true,
      fetch: withoutAllowance,
    });
    await expect(failure).rejects.toBeInstanceOf(AllowanceError);
    await expect(failure).rejects.toMatchObject({
      code: 'invalid_wallet_metadata',
      message: expect.stringContaining('allowance'),
    });
  });

  it('refuses metadata whose issuer is not the one asked for', async () => {
    const failure = discoverWallet(`${testWallet.issuer.replace('127.0.0.1', 'localhost')}`, registration, {
      allowInsecure: true,
      fetch: (input, init) => fetch(String(input).replace('localhost', '127.0.0.1'), init),
    });
    await expect(failure).rejects.toMatchObject({ code: 'unexpected_response' });
  });
});
