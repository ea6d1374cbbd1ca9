import { accessTokenClaimsSchema, accessTokenHeaderSchema } from '@allowance/protocol';
import { findGrant } from '@allowance/store';
import { ScriptedBrowser } from '@allowance/testing';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize, discover, REQUESTED_ALLOWANCE, tokenOptions } from './test-support/app-client.js';
import { PUBLIC_CLIENT, startTestWallet, type TestWallet } from './test-support/test-wallet.js';

let wallet: TestWallet;
let as: oauth.AuthorizationServer;
const client: oauth.Client = { client_id: PUBLIC_CLIENT.client_id, token_endpoint_auth_method: 'none' };
const redirectUri = PUBLIC_CLIENT.redirect_uris[0] as string;

/** A user with a wallet and an OpenAI and Anthropic key, signed in in `browser`. */
async function signedInUser(email: string) {
  const browser = new ScriptedBrowser(wallet.issuer);
  const signIn = await browser.open(`${wallet.issuer}/signin`);
  const home = await browser.submit(signIn, 'form[action="/signup"]', {
    email,
    password: 'correct horse battery',
  });
  expect(home.status).toBe(200);
  let page = await browser.submit(home, '#add-key', {
    providerId: 'openai',
    apiKey: 'sk-test-openai-key-0001',
  });
  page = await browser.submit(page, '#add-key', { providerId: 'anthropic', apiKey: 'sk-ant-test-key-0002' });
  expect(page.document.querySelector('#notice')?.text).toContain('…0002');
  return browser;
}

async function exchange(callback: URL | undefined, verifier: string, state: string) {
  if (!callback) throw new Error('the browser never came back to the app');
  const parameters = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    parameters,
    redirectUri,
    verifier,
    tokenOptions(client),
  );
  return oauth.processAuthorizationCodeResponse(as, client, response);
}

beforeAll(async () => {
  wallet = await startTestWallet();
  as = await discover(wallet.issuer);
});
afterAll(async () => {
  await wallet.close();
});

describe('the authorization code flow, as an app drives it', () => {
  it('publishes RFC 8414 metadata with the ai_allowance type and the allowance member', () => {
    expect(as.authorization_details_types_supported).toEqual(['ai_allowance']);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.response_types_supported).toEqual(['code']);
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
    expect(as.pushed_authorization_request_endpoint).toBeTypeOf('string');
    expect(as.device_authorization_endpoint).toBeTypeOf('string');
    expect(as.allowance).toMatchObject({
      gateway: wallet.gateway,
      resource: wallet.gateway,
      currency: 'USD',
    });
  });

  it('issues a JWT access token carrying the narrowed allowance, bound to the gateway', async () => {
    const browser = await signedInUser('ann@example.com');
    const { verifier, state, callback } = await authorize(
      browser,
      as,
      { client_id: client.client_id, redirect_uri: redirectUri },
      {
        resource: wallet.gateway,
        consent: async (page) => {
          expect(page.document.querySelector('#client-name')?.text).toBe('Blog Assistant');
          expect(page.html).toContain('gpt-4.1-mini');
          expect(page.html).toContain('0.40 in / 1.60 out USD per million tokens');
          return browser.submit(
            page,
            '#consent',
            { 'budget.month': '5', model: ['gpt-4.1-mini'], scope: ['document:read'] },
            { name: 'decision', value: 'approve' },
          );
        },
      },
    );
    expect(callback?.searchParams.get('iss')).toBe(wallet.issuer);
    const tokens = await exchange(callback, verifier, state);
    // A public client's tokens are DPoP-bound by the wallet's default policy (spec DPOP-3).
    expect(tokens.token_type).toBe('dpop');

    const header = accessTokenHeaderSchema.parse(decodeProtectedHeader(tokens.access_token));
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256' });
    const { payload } = await jwtVerify(
      tokens.access_token,
      createRemoteJWKSet(new URL(String(as.jwks_uri))),
      {
        issuer: wallet.issuer,
        audience: wallet.gateway,
        typ: 'at+jwt',
        algorithms: ['ES256'],
      },
    );
    const claims = accessTokenClaimsSchema.parse(payload);
    expect(claims.client_id).toBe('blog-assistant');
    expect(claims.cnf?.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(claims.exp - claims.iat).toBe(300);
    const [allowance] = claims.authorization_details;
    expect(allowance.models).toEqual(['gpt-4.1-mini']);
    expect(allowance.budget?.limits).toEqual([{ amount: '5.00', period: 'month' }]);
    expect(allowance.scopes).toEqual(['document:read']);
    expect(allowance.retention).toBe('provider_default');

    const grant = await findGrant(wallet.store, claims.grant_id);
    expect(grant).toMatchObject({ status: 'active', clientId: 'blog-assistant' });
    expect(claims.sub).not.toBe(grant?.accountId);
  });

  it('rotates refresh tokens, and a replayed one revokes the grant', async () => {
    const browser = await signedInUser('bob@example.com');
    const { verifier, state, callback } = await authorize(
      browser,
      as,
      { client_id: client.client_id, redirect_uri: redirectUri },
      {
        resource: wallet.gateway,
        consent: (page) => browser.submit(page, '#consent', {}, { name: 'decision', value: 'approve' }),
      },
    );
    const first = await exchange(callback, verifier, state);
    const grantId = accessTokenClaimsSchema.parse(
      JSON.parse(Buffer.from(first.access_token.split('.')[1] ?? '', 'base64url').toString()),
    ).grant_id;
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.None(),
        String(first.refresh_token),
        tokenOptions(client),
      ),
    );
    expect(refreshed.refresh_token).toBeTypeOf('string');
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);

    const replay = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      String(first.refresh_token),
      tokenOptions(client),
    );
    await expect(oauth.processRefreshTokenResponse(as, client, replay)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    // A replay is named as one on the owner's dashboard.
    expect(await findGrant(wallet.store, grantId)).toMatchObject({
      status: 'revoked',
      statusReason: expect.stringContaining('used a second time'),
    });
    const after = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      String(refreshed.refresh_token),
      tokenOptions(client),
    );
    await expect(oauth.processRefreshTokenResponse(as, client, after)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('refuses a forged consent that widens the request, and issues no code', async () => {
    const browser = await signedInUser('eve@example.com');
    const { page, callback } = await authorize(
      browser,
      as,
      { client_id: client.client_id, redirect_uri: redirectUri },
      {
        resource: wallet.gateway,
        consent: (consent) =>
          browser.submit(
            consent,
            '#consent',
            { 'budget.month': '50.00', model: ['gpt-4.1-mini', 'gpt-5'] },
            { name: 'decision', value: 'approve' },
          ),
      },
    );
    expect(callback).toBeUndefined();
    expect(page.status).toBe(400);
    expect(page.document.querySelector('#problems')?.text).toContain('"gpt-5" was not requested');
    expect(page.document.querySelector('#problems')?.text).toContain('budget.limits.month');
    const eve = await wallet.store.database
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', 'eve@example.com')
      .executeTakeFirstOrThrow();
    expect(
      await wallet.store.database
        .selectFrom('grants')
        .select('id')
        .where('account_id', '=', eve.id)
        .execute(),
    ).toEqual([]);
  });

  it('returns access_denied to the app when the user denies', async () => {
    const browser = await signedInUser('dan@example.com');
    const { callback, state } = await authorize(
      browser,
      as,
      { client_id: client.client_id, redirect_uri: redirectUri },
      {
        resource: wallet.gateway,
        consent: (page) => browser.submit(page, '#consent', {}, { name: 'decision', value: 'deny' }),
      },
    );
    expect(callback?.searchParams.get('error')).toBe('access_denied');
    expect(callback?.searchParams.get('iss')).toBe(wallet.issuer);
    expect(callback?.searchParams.get('state')).toBe(state);
  });

  it('requires the gateway as resource', async () => {
    const browser = await signedInUser('ivy@example.com');
    for (const resource of [undefined, 'https://elsewhere.example/api']) {
      const { callback } = await authorize(
        browser,
        as,
        { client_id: client.client_id, redirect_uri: redirectUri },
        { resource },
      );
      expect(callback?.searchParams.get('error')).toBe('invalid_target');
    }
    expect(REQUESTED_ALLOWANCE.type).toBe('ai_allowance');
  });
});
