import * as oauth from 'oauth4webapi';
import { AllowanceError } from './allowance-error.js';
import { type AllowanceRequest, resolveAllowanceRequest } from './allowance-request.js';
import { throwAsAllowanceError } from './authorization-errors.js';
import { type Connection, type ConnectionOptions, LiveConnection } from './connection.js';
import { type DpopKeyPair, generateDpopKey, importDpopKey, publicClient } from './dpop-key.js';
import { withDpopNonceRetry } from './dpop-nonce-retry.js';
import { tokenStateFrom } from './token-state.js';
import type { WalletContext } from './wallet-context.js';

/** What `startAuthorization` takes. */
export interface AuthorizationOptions {
  /** The allowance to ask for. */
  allowance: AllowanceRequest;
  /**
   * Bind the tokens to a new DPoP key (RFC 9449), so a stolen token is useless on its own. Default:
   * on for public clients (no secret), which wallets require it of by default (spec [DPOP-3]).
   */
  dpop?: boolean;
}

/**
 * What the app keeps between sending the user to the wallet and the callback, for example in
 * its session. Plain JSON. It holds the PKCE verifier and, with DPoP, the private key: keep it
 * server-side or in storage only the app can read.
 */
export interface PendingAuthorization {
  issuer: string;
  clientId: string;
  redirectUri: string;
  state: string;
  codeVerifier: string;
  dpopKey?: DpopKeyPair;
}

/** Where to send the user, and what to keep until they come back. */
export interface AuthorizationStart {
  url: URL;
  pending: PendingAuthorization;
}

/**
 * Builds the authorization request of spec §2.4 (PKCE S256, a fresh `state`, the gateway as
 * `resource`, one `ai_allowance` in `authorization_details`) and pushes it (RFC 9126, spec §2.5;
 * every Allowance wallet offers PAR, [META-7]). The URL then carries only `client_id` and
 * `request_uri`: the allowance stays out of the address bar and logs, and a request the wallet
 * refuses fails here, as an `AllowanceError` with the wallet's code, rather than in front of the
 * user. With DPoP the pushed request carries a proof, which binds the code to the key.
 */
export async function startAuthorization(
  context: WalletContext,
  options: AuthorizationOptions,
): Promise<AuthorizationStart> {
  const { metadata, client, clientAuthentication, redirectUri, http } = context;
  if (!redirectUri) {
    throw new AllowanceError('invalid_request', 'The redirect flow needs the client’s redirectUri.');
  }
  const details = resolveAllowanceRequest(options.allowance, context.currency);
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const parameters = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    resource: context.gateway,
    authorization_details: JSON.stringify([details]),
  });
  const dpop = (options.dpop ?? publicClient(client)) ? await generateDpopKey() : undefined;
  const handle = dpop && oauth.DPoP(client, dpop.keys);
  let requestUri: string;
  try {
    const pushed = await withDpopNonceRetry(async () =>
      oauth.processPushedAuthorizationResponse(
        metadata,
        client,
        await oauth.pushedAuthorizationRequest(metadata, client, clientAuthentication, parameters, {
          ...http,
          DPoP: handle,
        }),
      ),
    );
    requestUri = pushed.request_uri;
  } catch (error) {
    throwAsAllowanceError(error);
  }
  const url = new URL(String(metadata.authorization_endpoint));
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('request_uri', requestUri);
  return {
    url,
    pending: {
      issuer: context.issuer,
      clientId: client.client_id,
      redirectUri,
      state,
      codeVerifier,
      ...(dpop && { dpopKey: dpop.json }),
    },
  };
}

/**
 * Completes the redirect flow at the app's callback: checks `state` and `iss` (RFC 9207, spec
 * [AUTH-18]), turns an error response into an error (`access_denied` into
 * `AuthorizationDeniedError`), and exchanges the code with the PKCE verifier (and a DPoP proof).
 */
export async function finishAuthorization(
  context: WalletContext,
  callback: URL | string,
  pending: PendingAuthorization,
  options: ConnectionOptions = {},
): Promise<Connection> {
  const { metadata, client, clientAuthentication, http } = context;
  if (pending.issuer !== context.issuer || pending.clientId !== client.client_id) {
    throw new AllowanceError(
      'invalid_callback',
      `This pending authorization was started with ${pending.issuer} as ${pending.clientId}.`,
    );
  }
  let parameters: URLSearchParams;
  try {
    parameters = oauth.validateAuthResponse(metadata, client, new URL(callback), pending.state);
  } catch (error) {
    if (error instanceof oauth.OperationProcessingError) {
      throw new AllowanceError(
        'invalid_callback',
        `The callback does not match this request: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throwAsAllowanceError(error);
  }
  const handle = pending.dpopKey && oauth.DPoP(client, await importDpopKey(pending.dpopKey));
  let response: oauth.TokenEndpointResponse;
  try {
    response = await withDpopNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(
        metadata,
        client,
        await oauth.authorizationCodeGrantRequest(
          metadata,
          client,
          clientAuthentication,
          parameters,
          pending.redirectUri,
          pending.codeVerifier,
          { ...http, DPoP: handle },
        ),
      ),
    );
  } catch (error) {
    throwAsAllowanceError(error);
  }
  return new LiveConnection(context, tokenStateFrom(response, context.now()), pending.dpopKey, options);
}
