import type { ScriptedBrowser } from '@allowance/testing';
import * as oauth from 'oauth4webapi';

/** The request a test app makes: the blog assistant's allowance. */
export const REQUESTED_ALLOWANCE = {
  type: 'ai_allowance',
  providers: ['openai', 'anthropic'],
  models: ['gpt-4.1-mini', 'claude-sonnet-4-6'],
  budget: { currency: 'USD', limits: [{ amount: '10.00', period: 'month' }] },
  tokens: { max_output_per_request: 4000 },
  scopes: ['document:read', 'document:write'],
};

/** An app using oauth4webapi, as a real app would, against the test wallet. */
export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  const response = await oauth.discoveryRequest(url, {
    algorithm: 'oauth2',
    [oauth.allowInsecureRequests]: true,
  });
  return oauth.processDiscoveryResponse(url, response);
}

/** Runs the browser through an authorization request; returns the verifier and the callback URL. */
export async function authorize(
  browser: ScriptedBrowser,
  as: oauth.AuthorizationServer,
  client: { client_id: string; redirect_uri: string },
  options: {
    allowance?: unknown;
    resource?: string | undefined;
    consent?: (
      page: Awaited<ReturnType<ScriptedBrowser['open']>>,
    ) => Promise<Awaited<ReturnType<ScriptedBrowser['open']>>>;
    extra?: Record<string, string>;
  },
) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(String(as.authorization_endpoint));
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', client.redirect_uri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  if (options.resource !== undefined) url.searchParams.set('resource', options.resource);
  url.searchParams.set('authorization_details', JSON.stringify([options.allowance ?? REQUESTED_ALLOWANCE]));
  for (const [name, value] of Object.entries(options.extra ?? {})) url.searchParams.set(name, value);
  const page = await browser.open(url.href);
  const after = options.consent ? await options.consent(page) : page;
  return { verifier, state, page: after, callback: browser.leftTo };
}

// One DPoP key for the tests' public clients, which the wallet's default policy makes use DPoP.
const PUBLIC_CLIENT_DPOP_KEYS = await oauth.generateKeyPair('ES256');

/**
 * Options for a token request: public clients send a DPoP proof (spec DPOP-3, the wallet's
 * default policy); confidential clients need none.
 */
export function tokenOptions(client: oauth.Client) {
  const insecure = { [oauth.allowInsecureRequests]: true } as const;
  return client.token_endpoint_auth_method === 'none'
    ? { ...insecure, DPoP: oauth.DPoP(client, PUBLIC_CLIENT_DPOP_KEYS) }
    : insecure;
}

/**
 * Exchanges the code an {@link authorize} run came back with, as the app would: PKCE, and a DPoP
 * proof for a public client ({@link tokenOptions}).
 */
export async function exchangeCode(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  redirectUri: string,
  authorized: { verifier: string; state: string; callback: URL | undefined },
) {
  if (!authorized.callback) throw new Error('the browser never came back to the app');
  return oauth.processAuthorizationCodeResponse(
    as,
    client,
    await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      oauth.validateAuthResponse(as, client, authorized.callback, authorized.state),
      redirectUri,
      authorized.verifier,
      tokenOptions(client),
    ),
  );
}
