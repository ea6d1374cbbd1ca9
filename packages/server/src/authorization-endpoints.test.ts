import { readFileSync } from 'node:fs';
import { findGrant } from '@allowance/store';
import { ScriptedBrowser } from '@allowance/testing';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize, discover, REQUESTED_ALLOWANCE, tokenOptions } from './test-support/app-client.js';
import {
  CONFIDENTIAL_CLIENT,
  DEVICE_CLIENT,
  PUBLIC_CLIENT,
  REGISTRATION_TOKEN,
  startTestWallet,
  type TestWallet,
} from './test-support/test-wallet.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const OPENAI_KEY = 'sk-proj-VAULT-CANARY-3f9a7c1e5b2d4068';
let wallet: TestWallet;
let as: oauth.AuthorizationServer;
const publicClient: oauth.Client = { client_id: PUBLIC_CLIENT.client_id, token_endpoint_auth_method: 'none' };
const confidentialClient: oauth.Client = { client_id: CONFIDENTIAL_CLIENT.client_id };
const confidentialAuth = oauth.ClientSecretBasic(CONFIDENTIAL_CLIENT.client_secret);
const publicRedirect = PUBLIC_CLIENT.redirect_uris[0] as string;
const confidentialRedirect = CONFIDENTIAL_CLIENT.redirect_uris[0] as string;

/** A new user with an OpenAI key, signed in to `at` (the shared test wallet by default). */
async function signedInUser(email: string, at: TestWallet = wallet) {
  const browser = new ScriptedBrowser(at.issuer);
  const signIn = await browser.open(`${at.issuer}/signin`);
  const home = await browser.submit(signIn, 'form[action="/signup"]', {
    email,
    password: 'correct horse battery',
  });
  await browser.submit(home, '#add-key', { providerId: 'openai', apiKey: OPENAI_KEY });
  return browser;
}

const approve =
  (browser: ScriptedBrowser, fields: Record<string, string | string[] | null> = {}) =>
  (page: Parameters<ScriptedBrowser['submit']>[0]) =>
    browser.submit(page, '#consent', fields, { name: 'decision', value: 'approve' });

async function codeFlow(
  browser: ScriptedBrowser,
  client: oauth.Client,
  auth: oauth.ClientAuth,
  redirectUri: string,
  fields = {},
) {
  const { verifier, state, callback } = await authorize(
    browser,
    as,
    { client_id: client.client_id, redirect_uri: redirectUri },
    {
      resource: wallet.gateway,
      consent: approve(browser, fields),
    },
  );
  if (!callback) throw new Error('no callback');
  const parameters = oauth.validateAuthResponse(as, client, callback, state);
  return oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      parameters,
      redirectUri,
      verifier,
      tokenOptions(client),
    ),
  );
}

const grantIdOf = (accessToken: string) => String(decodeJwt(accessToken).grant_id);

beforeAll(async () => {
  wallet = await startTestWallet();
  as = await discover(wallet.issuer);
});
afterAll(async () => {
  await wallet.close();
});

describe('pushed authorization requests (RFC 9126)', () => {
  it('accepts the request by reference and issues the approved allowance', async () => {
    const browser = await signedInUser('par@example.com');
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const pushed = await oauth.processPushedAuthorizationResponse(
      as,
      publicClient,
      await oauth.pushedAuthorizationRequest(
        as,
        publicClient,
        oauth.None(),
        {
          response_type: 'code',
          redirect_uri: publicRedirect,
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          resource: wallet.gateway,
          authorization_details: JSON.stringify([
            { ...REQUESTED_ALLOWANCE, providers: ['openai'], models: ['gpt-4.1-mini'] },
          ]),
        },
        insecure,
      ),
    );
    const url = new URL(String(as.authorization_endpoint));
    url.searchParams.set('client_id', publicClient.client_id);
    url.searchParams.set('request_uri', pushed.request_uri);
    const consent = await browser.open(url.href);
    await approve(browser, { 'budget.month': '6.00' })(consent);
    const callback = browser.leftTo;
    if (!callback) throw new Error('no callback');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      publicClient,
      await oauth.authorizationCodeGrantRequest(
        as,
        publicClient,
        oauth.None(),
        oauth.validateAuthResponse(as, publicClient, callback, state),
        publicRedirect,
        verifier,
        tokenOptions(publicClient),
      ),
    );
    expect(tokens.authorization_details?.[0]).toMatchObject({
      budget: { limits: [{ amount: '6.00', period: 'month' }] },
    });
  });

  it('refuses an invalid allowance when it is pushed', async () => {
    const response = await oauth.pushedAuthorizationRequest(
      as,
      publicClient,
      oauth.None(),
      {
        response_type: 'code',
        redirect_uri: publicRedirect,
        code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
        code_challenge_method: 'S256',
        resource: wallet.gateway,
        authorization_details: JSON.stringify([
          { ...REQUESTED_ALLOWANCE, budget: { currency: 'USD', limits: [{ amount: 10, period: 'month' }] } },
        ]),
      },
      insecure,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_authorization_details' });
  });
});

describe('the device authorization grant (RFC 8628)', () => {
  it('lets a CLI connect: the user enters the code, signs in, narrows and approves', async () => {
    const browser = await signedInUser('cli@example.com');
    const client: oauth.Client = { client_id: DEVICE_CLIENT.client_id, token_endpoint_auth_method: 'none' };
    const device = await oauth.processDeviceAuthorizationResponse(
      as,
      client,
      await oauth.deviceAuthorizationRequest(
        as,
        client,
        oauth.None(),
        {
          resource: wallet.gateway,
          authorization_details: JSON.stringify([{ ...REQUESTED_ALLOWANCE, providers: ['openai'] }]),
        },
        insecure,
      ),
    );
    const pending = await oauth.deviceCodeGrantRequest(
      as,
      client,
      oauth.None(),
      device.device_code,
      tokenOptions(client),
    );
    await expect(oauth.processDeviceCodeResponse(as, client, pending)).rejects.toMatchObject({
      error: 'authorization_pending',
    });

    const entry = await browser.open(String(device.verification_uri_complete));
    const confirm = entry.document.querySelector('form') ? await browser.submit(entry, 'form') : entry;
    expect(confirm.document.querySelector('#user-code')?.text).toBe(device.user_code);
    const consent = await browser.submit(confirm, 'form#op\\.deviceConfirmForm');
    expect(consent.document.querySelector('#client-name')?.text).toBe('CLI Assistant');
    const done = await approve(browser, { 'budget.month': '2.00', model: ['gpt-4.1-mini'] })(consent);
    expect(done.document.querySelector('#device-done')).not.toBeNull();

    const tokens = await oauth.processDeviceCodeResponse(
      as,
      client,
      await oauth.deviceCodeGrantRequest(as, client, oauth.None(), device.device_code, tokenOptions(client)),
    );
    expect(tokens.authorization_details?.[0]).toMatchObject({
      budget: { limits: [{ amount: '2.00' }] },
      models: ['gpt-4.1-mini'],
    });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: 'cli-assistant', aud: wallet.gateway });
    expect(tokens.refresh_token).toBeTypeOf('string');
  });
});

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  it('introspects a refresh token with the approved allowance and the pairwise subject', async () => {
    const browser = await signedInUser('intro@example.com');
    const tokens = await codeFlow(browser, confidentialClient, confidentialAuth, confidentialRedirect);
    const introspection = await oauth.processIntrospectionResponse(
      as,
      confidentialClient,
      await oauth.introspectionRequest(
        as,
        confidentialClient,
        confidentialAuth,
        String(tokens.refresh_token),
        insecure,
      ),
    );
    expect(introspection.active).toBe(true);
    expect(introspection.sub).toBe(decodeJwt(tokens.access_token).sub);
    expect(introspection.authorization_details).toMatchObject([{ type: 'ai_allowance' }]);
  });

  it('tells a public client nothing: it cannot prove it is the app', async () => {
    const browser = await signedInUser('intro-public@example.com');
    const tokens = await codeFlow(browser, publicClient, oauth.None(), publicRedirect);
    const introspection = await oauth.processIntrospectionResponse(
      as,
      publicClient,
      await oauth.introspectionRequest(
        as,
        publicClient,
        oauth.None(),
        String(tokens.refresh_token),
        insecure,
      ),
    );
    expect(introspection).toEqual({ active: false });
  });

  it('revokes the grant when the app revokes its refresh token', async () => {
    const browser = await signedInUser('revoke@example.com');
    const tokens = await codeFlow(browser, publicClient, oauth.None(), publicRedirect);
    const grantId = grantIdOf(tokens.access_token);
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, publicClient, oauth.None(), String(tokens.refresh_token), insecure),
    );
    // The owner reads what happened in words: the app left, nothing was attacked.
    expect(await findGrant(wallet.store, grantId)).toMatchObject({
      status: 'revoked',
      statusReason: 'the app disconnected itself (it revoked its own token)',
    });
    const card = await browser.open(`${wallet.issuer}/`);
    expect(card.html).toContain('the app disconnected itself');
    expect(card.html).not.toContain('replay');
    const refresh = await oauth.refreshTokenGrantRequest(
      as,
      publicClient,
      oauth.None(),
      String(tokens.refresh_token),
      tokenOptions(publicClient),
    );
    await expect(oauth.processRefreshTokenResponse(as, publicClient, refresh)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});

describe('the wallet-side revoke endpoint', () => {
  it('revokes at once for the owner, and refuses without a session, without CSRF, or for another user', async () => {
    const owner = await signedInUser('owner-revoke@example.com');
    const tokens = await codeFlow(owner, publicClient, oauth.None(), publicRedirect);
    const grantId = grantIdOf(tokens.access_token);

    const anonymous = await fetch(`${wallet.issuer}/grants/${grantId}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=x',
    });
    expect(anonymous.status).toBe(401);
    const home = await owner.open(`${wallet.issuer}/`);
    const noCsrf = await owner.open(`${wallet.issuer}/grants/${grantId}/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ csrf: 'forged' }),
    });
    expect(noCsrf.status).toBe(403);
    const intruder = await signedInUser('intruder@example.com');
    const intruderHome = await intruder.open(`${wallet.issuer}/`);
    const csrf = intruderHome.document.querySelector('input[name=csrf]')?.getAttribute('value') ?? '';
    const stolen = await intruder.open(`${wallet.issuer}/grants/${grantId}/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ csrf }),
    });
    expect(stolen.status).toBe(404);
    expect(await findGrant(wallet.store, grantId)).toMatchObject({ status: 'active' });

    const asked = await owner.submit(home, `tr[data-grant="${grantId}"] form`);
    expect(await findGrant(wallet.store, grantId)).toMatchObject({ status: 'active' });
    const revoked = await owner.submit(asked, '#confirm-revoke');
    expect(revoked.status).toBe(200);
    expect(await findGrant(wallet.store, grantId)).toMatchObject({ status: 'revoked' });
    const refresh = await oauth.refreshTokenGrantRequest(
      as,
      publicClient,
      oauth.None(),
      String(tokens.refresh_token),
      tokenOptions(publicClient),
    );
    await expect(oauth.processRefreshTokenResponse(as, publicClient, refresh)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});

describe('remembered consent', () => {
  it('skips the screen for the same or a smaller request, reusing the grant, and asks again for more', async () => {
    const browser = await signedInUser('remember@example.com');
    const first = await codeFlow(browser, publicClient, oauth.None(), publicRedirect, { remember: 'yes' });
    const again = await authorize(
      browser,
      as,
      { client_id: publicClient.client_id, redirect_uri: publicRedirect },
      {
        resource: wallet.gateway,
        allowance: { ...REQUESTED_ALLOWANCE, providers: ['openai'], models: ['gpt-4.1-mini'] },
      },
    );
    expect(again.callback?.searchParams.get('code')).toBeTypeOf('string');
    const second = await oauth.processAuthorizationCodeResponse(
      as,
      publicClient,
      await oauth.authorizationCodeGrantRequest(
        as,
        publicClient,
        oauth.None(),
        oauth.validateAuthResponse(as, publicClient, again.callback as URL, again.state),
        publicRedirect,
        again.verifier,
        tokenOptions(publicClient),
      ),
    );
    expect(grantIdOf(second.access_token)).toBe(grantIdOf(first.access_token));

    const wider = await authorize(
      browser,
      as,
      { client_id: publicClient.client_id, redirect_uri: publicRedirect },
      {
        resource: wallet.gateway,
        allowance: {
          ...REQUESTED_ALLOWANCE,
          budget: { currency: 'USD', limits: [{ amount: '20.00', period: 'month' }] },
        },
      },
    );
    expect(wider.callback).toBeUndefined();
    expect(wider.page.document.querySelector('#consent')).not.toBeNull();
  });
});

describe('dynamic client registration (RFC 7591)', () => {
  it('needs the initial access token, then registers a client that can authorize', async () => {
    const metadata = {
      redirect_uris: ['http://127.0.0.1:5997/callback'],
      client_name: 'Registered App',
      token_endpoint_auth_method: 'none',
    };
    const refused = await fetch(String(as.registration_endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(metadata),
    });
    expect(refused.status).toBe(401);
    const registered = await fetch(String(as.registration_endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${REGISTRATION_TOKEN}` },
      body: JSON.stringify(metadata),
    });
    expect(registered.status).toBe(201);
    const client = (await registered.json()) as { client_id: string; authorization_details_types: string[] };
    expect(client.authorization_details_types).toEqual(['ai_allowance']);
    const browser = await signedInUser('dcr@example.com');
    const { page } = await authorize(
      browser,
      as,
      { client_id: client.client_id, redirect_uri: metadata.redirect_uris[0] as string },
      {
        resource: wallet.gateway,
      },
    );
    expect(page.document.querySelector('#client-name')?.text).toBe('Registered App');
    expect(page.html).toContain('registered today');
  });
});

describe('bad input gets the RFC error, never a 500', () => {
  const base = () => {
    const url = new URL(String(as.authorization_endpoint));
    url.searchParams.set('client_id', publicClient.client_id);
    url.searchParams.set('redirect_uri', publicRedirect);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('resource', wallet.gateway);
    url.searchParams.set('authorization_details', JSON.stringify([REQUESTED_ALLOWANCE]));
    return url;
  };
  const redirectError = async (url: URL) => {
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBeLessThan(500);
    return new URL(response.headers.get('location') ?? 'http://none/').searchParams.get('error');
  };

  it('at the authorization endpoint', async () => {
    const noPkce = base();
    noPkce.searchParams.delete('code_challenge');
    expect(await redirectError(noPkce)).toBe('invalid_request');
    const plain = base();
    plain.searchParams.set('code_challenge_method', 'plain');
    expect(await redirectError(plain)).toBe('invalid_request');
    const unknownType = base();
    unknownType.searchParams.set('authorization_details', JSON.stringify([{ type: 'payment_initiation' }]));
    expect(await redirectError(unknownType)).toBe('invalid_authorization_details');
    for (const detail of [
      { ...REQUESTED_ALLOWANCE, unlimited: true },
      { ...REQUESTED_ALLOWANCE, models: [] },
      { ...REQUESTED_ALLOWANCE, budget: { currency: 'EUR', limits: [{ amount: '1.00', period: 'day' }] } },
      { ...REQUESTED_ALLOWANCE, expires_at: '2001-01-01T00:00:00Z' },
    ]) {
      const invalid = base();
      invalid.searchParams.set('authorization_details', JSON.stringify([detail]));
      expect(await redirectError(invalid)).toBe('invalid_authorization_details');
    }
    const two = base();
    two.searchParams.set('authorization_details', JSON.stringify([REQUESTED_ALLOWANCE, REQUESTED_ALLOWANCE]));
    expect(await redirectError(two)).toBe('invalid_authorization_details');
    const notJson = base();
    notJson.searchParams.set('authorization_details', '[{');
    expect(await redirectError(notJson)).toBe('invalid_authorization_details');
    const missing = base();
    missing.searchParams.delete('authorization_details');
    expect(await redirectError(missing)).toBe('invalid_authorization_details');
    const empty = base();
    empty.searchParams.set('authorization_details', '[]');
    expect(await redirectError(empty)).toBe('invalid_authorization_details');
    const twice = base();
    twice.searchParams.append('resource', wallet.gateway);
    expect(await redirectError(twice)).toBe('invalid_target');
    const implicit = base();
    implicit.searchParams.set('response_type', 'token');
    const implicitResponse = await fetch(implicit, { redirect: 'manual' });
    expect(implicitResponse.headers.get('location')).toContain('unsupported_response_type');

    const wrongRedirect = base();
    wrongRedirect.searchParams.set('redirect_uri', 'http://127.0.0.1:5999/callback/other');
    const page = await fetch(wrongRedirect, { redirect: 'manual' });
    expect(page.status).toBe(400);
    expect(page.headers.get('location')).toBeNull();
    expect(await page.text()).toContain('invalid_redirect_uri');

    const huge = base();
    huge.searchParams.set(
      'authorization_details',
      JSON.stringify([{ ...REQUESTED_ALLOWANCE, scopes: ['x'.repeat(200_000)] }]),
    );
    const hugeResponse = await fetch(huge, { redirect: 'manual' });
    expect(hugeResponse.status).toBeGreaterThanOrEqual(300);
    expect(hugeResponse.status).toBeLessThan(500);
  });

  it('at the token endpoint', async () => {
    const wrongSecret = await fetch(String(as.token_endpoint), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CONFIDENTIAL_CLIENT.client_id}:not-the-secret-at-all`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'nope',
        redirect_uri: confidentialRedirect,
        code_verifier: 'v'.repeat(43),
      }),
    });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });

    for (const body of [
      'grant_type=password&username=a&password=b',
      'grant_type=client_credentials',
      'garbage',
      '',
    ]) {
      const response = await fetch(String(as.token_endpoint), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `client_id=blog-assistant&${body}`,
      });
      expect(response.status).toBe(400);
      expect(['unsupported_grant_type', 'invalid_request']).toContain(
        ((await response.json()) as { error: string }).error,
      );
    }
    const oversized = await fetch(String(as.token_endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `client_id=blog-assistant&grant_type=refresh_token&refresh_token=${'a'.repeat(2_000_000)}`,
    });
    expect(oversized.status).toBeGreaterThanOrEqual(400);
    expect(oversized.status).toBeLessThan(500);
  });

  it('on the wallet pages', async () => {
    const notAForm = await fetch(`${wallet.issuer}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(notAForm.status).toBe(415);
    const tooBig = await fetch(`${wallet.issuer}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `email=${'a'.repeat(100_000)}`,
    });
    expect(tooBig.status).toBe(413);
    const unknownInteraction = await fetch(`${wallet.issuer}/interaction/nope`);
    expect(unknownInteraction.status).toBeGreaterThanOrEqual(400);
    expect(unknownInteraction.status).toBeLessThan(500);
  });
});

describe('the provider-key vault', () => {
  it('never keeps, logs or returns a key in clear', async () => {
    const browser = await signedInUser('vault@example.com');
    const home = await browser.open(`${wallet.issuer}/`);
    expect(home.html).toContain('…4068');
    expect(home.html).not.toContain(OPENAI_KEY);
    await codeFlow(browser, publicClient, oauth.None(), publicRedirect);
    const files = [wallet.databasePath, `${wallet.databasePath}-wal`].map((path) => {
      try {
        return readFileSync(path);
      } catch {
        return Buffer.alloc(0);
      }
    });
    for (const file of files) expect(file.includes(Buffer.from('VAULT-CANARY'))).toBe(false);
    expect(files.some((file) => file.length > 0)).toBe(true);
    expect(wallet.logs.join('')).not.toContain('VAULT-CANARY');
  });

  it('refuses a key for an unknown provider without a base URL, with a message that says what to do', async () => {
    const browser = await signedInUser('vault2@example.com');
    const home = await browser.open(`${wallet.issuer}/`);
    const page = await browser.submit(home, '#add-key', {
      providerId: 'acme-gateway',
      apiKey: 'acme-key-12345678',
    });
    expect(page.status).toBe(400);
    expect(page.document.querySelector('#problem')?.text).toContain('give its base URL');
  });
});

describe('accounts and pages', () => {
  it('makes the first account on a fresh install the owner, and later ones members', async () => {
    await using fresh = await startTestWallet();
    for (const email of ['first@example.com', 'second@example.com']) {
      const browser = new ScriptedBrowser(fresh.issuer);
      const page = await browser.open(`${fresh.issuer}/signin`);
      await browser.submit(page, 'form[action="/signup"]', { email, password: 'correct horse battery' });
    }
    const roles = await fresh.store.database
      .selectFrom('accounts')
      .select(['email', 'role'])
      .orderBy('created_at')
      .execute();
    expect(roles.map((row) => row.role).sort()).toEqual(['member', 'owner']);
    const duplicate = new ScriptedBrowser(fresh.issuer);
    const page = await duplicate.open(`${fresh.issuer}/signin`);
    const refused = await duplicate.submit(page, 'form[action="/signup"]', {
      email: 'FIRST@example.com',
      password: 'another password here',
    });
    expect(refused.status).toBe(400);
  });

  it('throttles repeated wrong passwords for an account', async () => {
    await signedInUser('throttled@example.com');
    const browser = new ScriptedBrowser(wallet.issuer);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const page = await browser.open(`${wallet.issuer}/signin`);
      statuses.push(
        (
          await browser.submit(page, 'form[action="/login"]', {
            email: 'throttled@example.com',
            password: 'wrong password!',
          })
        ).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const page = await browser.open(`${wallet.issuer}/signin`);
    const right = await browser.submit(page, 'form[action="/login"]', {
      email: 'throttled@example.com',
      password: 'correct horse battery',
    });
    expect(right.status).toBe(429);
  });

  it('serves the consent screen with a strict CSP that forbids framing', async () => {
    const browser = await signedInUser('csp@example.com');
    const { page } = await authorize(
      browser,
      as,
      { client_id: publicClient.client_id, redirect_uri: publicRedirect },
      {
        resource: wallet.gateway,
      },
    );
    expect(page.document.querySelector('#consent')).not.toBeNull();
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('form-action');
    expect(csp).toContain('http://127.0.0.1:5999');
    expect(csp).not.toContain('unsafe-inline');
    const headers = page;
    expect(headers.headers.get('x-frame-options')).toBe('DENY');
  });
});

describe('DPoP required by policy or by the user (spec DPOP-3)', () => {
  const approvedCallback = async (
    client: oauth.Client,
    redirectUri: string,
    browser: ScriptedBrowser,
    consent: Record<string, string> = {},
  ) => {
    const { verifier, state, callback } = await authorize(
      browser,
      as,
      { client_id: client.client_id, redirect_uri: redirectUri },
      { resource: wallet.gateway, consent: approve(browser, consent) },
    );
    if (!callback) throw new Error('no callback');
    const parameters = oauth.validateAuthResponse(as, client, callback, state);
    return { parameters, verifier };
  };

  it('refuses a public client’s token request without a proof with invalid_dpop_proof', async () => {
    const browser = await signedInUser('dpop-policy@example.com');
    const { parameters, verifier } = await approvedCallback(publicClient, publicRedirect, browser);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      publicClient,
      oauth.None(),
      parameters,
      publicRedirect,
      verifier,
      insecure,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('holds a confidential client to DPoP when the user asks on the consent screen, refresh included', async () => {
    const browser = await signedInUser('dpop-user@example.com');
    const first = await approvedCallback(confidentialClient, confidentialRedirect, browser, {
      require_dpop: 'yes',
    });
    const unbound = await oauth.authorizationCodeGrantRequest(
      as,
      confidentialClient,
      confidentialAuth,
      first.parameters,
      confidentialRedirect,
      first.verifier,
      insecure,
    );
    expect(unbound.status).toBe(400);
    expect(await unbound.json()).toMatchObject({ error: 'invalid_dpop_proof' });

    const second = await approvedCallback(confidentialClient, confidentialRedirect, browser, {
      require_dpop: 'yes',
    });
    const keys = await oauth.generateKeyPair('ES256');
    const bound = { ...insecure, DPoP: oauth.DPoP(confidentialClient, keys) };
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      confidentialClient,
      await oauth.authorizationCodeGrantRequest(
        as,
        confidentialClient,
        confidentialAuth,
        second.parameters,
        confidentialRedirect,
        second.verifier,
        bound,
      ),
    );
    expect(tokens.token_type).toBe('dpop');
    expect(await findGrant(wallet.store, grantIdOf(tokens.access_token))).toMatchObject({
      requireDpop: true,
    });

    // A refresh without a proof is refused before the refresh token rotates, so the app can
    // still refresh with one.
    const refusedRefresh = await oauth.refreshTokenGrantRequest(
      as,
      confidentialClient,
      confidentialAuth,
      String(tokens.refresh_token),
      insecure,
    );
    expect(refusedRefresh.status).toBe(400);
    expect(await refusedRefresh.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      confidentialClient,
      await oauth.refreshTokenGrantRequest(
        as,
        confidentialClient,
        confidentialAuth,
        String(tokens.refresh_token),
        bound,
      ),
    );
    expect(refreshed.token_type).toBe('dpop');
  });

  it('binds a public client’s refresh token to its key (DPOP-4)', async () => {
    const browser = await signedInUser('dpop-refresh@example.com');
    const { parameters, verifier } = await approvedCallback(publicClient, publicRedirect, browser);
    const keys = await oauth.generateKeyPair('ES256');
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      publicClient,
      await oauth.authorizationCodeGrantRequest(
        as,
        publicClient,
        oauth.None(),
        parameters,
        publicRedirect,
        verifier,
        { ...insecure, DPoP: oauth.DPoP(publicClient, keys) },
      ),
    );
    const otherKey = { ...insecure, DPoP: oauth.DPoP(publicClient, await oauth.generateKeyPair('ES256')) };
    const stolen = await oauth.refreshTokenGrantRequest(
      as,
      publicClient,
      oauth.None(),
      String(tokens.refresh_token),
      otherKey,
    );
    expect(stolen.status).toBe(400);
    expect(await stolen.json()).toMatchObject({ error: 'invalid_grant' });
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      publicClient,
      await oauth.refreshTokenGrantRequest(as, publicClient, oauth.None(), String(tokens.refresh_token), {
        ...insecure,
        DPoP: oauth.DPoP(publicClient, keys),
      }),
    );
    expect(refreshed.token_type).toBe('dpop');
  });

  it('asks for a DPoP nonce when configured to, and takes the proof that carries it (DPOP-5)', async () => {
    const strict = await startTestWallet({ requireDpopNonce: true });
    try {
      const strictAs = await discover(strict.issuer);
      const browser = await signedInUser('nonce@example.com', strict);
      const { verifier, state, callback } = await authorize(
        browser,
        strictAs,
        { client_id: publicClient.client_id, redirect_uri: publicRedirect },
        { resource: strict.gateway, consent: approve(browser) },
      );
      if (!callback) throw new Error('no callback');
      const parameters = oauth.validateAuthResponse(strictAs, publicClient, callback, state);
      const DPoP = oauth.DPoP(publicClient, await oauth.generateKeyPair('ES256'));
      const exchange = () =>
        oauth.authorizationCodeGrantRequest(
          strictAs,
          publicClient,
          oauth.None(),
          parameters,
          publicRedirect,
          verifier,
          {
            ...insecure,
            DPoP,
          },
        );
      const challenged = await exchange();
      expect(challenged.status).toBe(400);
      expect(challenged.headers.get('dpop-nonce')).toBeTruthy();
      // oauth4webapi keeps the nonce from the challenge for the handle's next proof.
      await expect(
        oauth.processAuthorizationCodeResponse(strictAs, publicClient, challenged),
      ).rejects.toSatisfy((error: unknown) => oauth.isDPoPNonceError(error));
      const tokens = await oauth.processAuthorizationCodeResponse(strictAs, publicClient, await exchange());
      expect(tokens.token_type).toBe('dpop');
    } finally {
      await strict.close();
    }
  });

  it('lets the policy be turned off for public clients that cannot do DPoP yet', async () => {
    const relaxed = await startTestWallet({ requireDpopForPublicClients: false });
    try {
      const relaxedAs = await discover(relaxed.issuer);
      const browser = await signedInUser('relaxed@example.com', relaxed);
      const { verifier, state, callback } = await authorize(
        browser,
        relaxedAs,
        { client_id: publicClient.client_id, redirect_uri: publicRedirect },
        { resource: relaxed.gateway, consent: approve(browser) },
      );
      if (!callback) throw new Error('no callback');
      const tokens = await oauth.processAuthorizationCodeResponse(
        relaxedAs,
        publicClient,
        await oauth.authorizationCodeGrantRequest(
          relaxedAs,
          publicClient,
          oauth.None(),
          oauth.validateAuthResponse(relaxedAs, publicClient, callback, state),
          publicRedirect,
          verifier,
          insecure,
        ),
      );
      expect(tokens.token_type).toBe('bearer');
    } finally {
      await relaxed.close();
    }
  });
});

describe('the end of a grant (spec TOK-16)', () => {
  it('refuses to refresh once the allowance has expired', async () => {
    const browser = await signedInUser('expiry@example.com');
    const tokens = await codeFlow(browser, confidentialClient, confidentialAuth, confidentialRedirect);
    const grantId = grantIdOf(tokens.access_token);
    await wallet.store.database
      .updateTable('grants')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', grantId)
      .execute();
    const refresh = await oauth.refreshTokenGrantRequest(
      as,
      confidentialClient,
      confidentialAuth,
      String(tokens.refresh_token),
      insecure,
    );
    expect(refresh.status).toBe(400);
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('an approval whose code exchange is refused', () => {
  it('is no connected app on the dashboard, and becomes one with the first token', async () => {
    const browser = await signedInUser('refused-exchange@example.com');
    const { verifier, state, callback } = await authorize(
      browser,
      as,
      { client_id: publicClient.client_id, redirect_uri: publicRedirect },
      { resource: wallet.gateway, consent: approve(browser) },
    );
    if (!callback) throw new Error('no callback');
    const parameters = oauth.validateAuthResponse(as, publicClient, callback, state);
    // A public client must bind its tokens with DPoP (spec DPOP-3): without a proof, no token.
    const refused = await oauth.authorizationCodeGrantRequest(
      as,
      publicClient,
      oauth.None(),
      parameters,
      publicRedirect,
      verifier,
      insecure,
    );
    await expect(oauth.processAuthorizationCodeResponse(as, publicClient, refused)).rejects.toMatchObject({
      error: 'invalid_dpop_proof',
    });
    const home = await browser.open(`${wallet.issuer}/`);
    expect(home.document.querySelectorAll('[data-grant-card]')).toHaveLength(0);
    expect(home.document.querySelectorAll('tr[data-grant]')).toHaveLength(0);

    const tokens = await codeFlow(browser, publicClient, oauth.None(), publicRedirect);
    const connected = await browser.open(`${wallet.issuer}/`);
    expect(
      connected.document
        .querySelectorAll('[data-grant-card]')
        .map((card) => card.getAttribute('data-grant-card')),
    ).toEqual([grantIdOf(tokens.access_token)]);
  });
});
