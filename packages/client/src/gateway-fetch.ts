import * as oauth from 'oauth4webapi';
import { AllowanceError } from './allowance-error.js';
import { type Confirmation, ConfirmationRequiredError } from './gateway-errors.js';
import { toAllowanceError } from './to-allowance-error.js';

/** What a request to the gateway is sent with. */
export interface GatewayCredentials {
  accessToken: string;
  /** Present when the access token is DPoP-bound: every request then carries a fresh proof. */
  dpop: oauth.DPoPHandle | undefined;
}

/** What {@link createGatewayFetch} needs from the connection. */
export interface GatewayFetchOptions {
  /** The gateway base URL `G`; requests anywhere else are refused, so the token never leaks. */
  gateway: string;
  fetch: typeof fetch;
  /** Plain `http`, allowed for a loopback gateway only (spec [META-1]). */
  insecure: boolean;
  /** The credentials to send now, refreshed first when the token is about to expire. */
  credentials(): Promise<GatewayCredentials>;
  /** Renews the access token the gateway refused as `invalid_token`, unless it was renewed since. */
  renew(rejectedAccessToken: string): Promise<void>;
  /** Told of every confirmation the gateway asks for, so its error can later wait for the decision. */
  onConfirmation?: (confirmation: Confirmation) => void;
}

interface OutgoingRequest {
  url: URL;
  method: string;
  headers: Headers;
  body: unknown;
  /** Whether the body can be sent a second time (a stream cannot). */
  replayable: boolean;
  signal: AbortSignal | undefined;
  /** Everything else the caller passed to fetch (a dispatcher, keepalive, …). */
  passthrough: RequestInit;
}

// Headers where an SDK puts its API key, or a proof of its own; the connection sets its own.
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'dpop'];
const HANDLED_INIT_MEMBERS = new Set(['headers', 'body', 'method', 'signal']);

async function readRequest(
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<OutgoingRequest> {
  const request = input instanceof Request ? input : undefined;
  const headers = new Headers(request?.headers);
  new Headers(init?.headers).forEach((value, name) => {
    headers.set(name, value);
  });
  for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  let body: unknown = init?.body;
  if (body === undefined && request?.body) body = await request.arrayBuffer();
  const passthrough = Object.fromEntries(
    Object.entries(init ?? {}).filter(([name]) => !HANDLED_INIT_MEMBERS.has(name)),
  ) as RequestInit;
  return {
    url: new URL(request?.url ?? String(input)),
    method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
    headers,
    body: body ?? undefined,
    replayable: !(body instanceof ReadableStream),
    signal: init?.signal ?? request?.signal ?? undefined,
    passthrough,
  };
}

function isUnder(url: URL, gateway: string): boolean {
  const base = new URL(gateway);
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return url.origin === base.origin && (url.pathname === base.pathname || url.pathname.startsWith(prefix));
}

/** Whether the gateway refused the token itself (expired, or signed with a retired key): worth one refresh. */
async function refusedAsInvalidToken(response: Response): Promise<boolean> {
  if (response.status !== 401) return false;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { error?: { code?: unknown } } | undefined;
  return body?.error?.code === 'invalid_token';
}

/** The confirmation a 403 `confirmation_required` carries (spec 06-metering §6.10), if it is one. */
async function requestedConfirmation(response: Response): Promise<Confirmation | undefined> {
  if (response.status !== 403) return undefined;
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => undefined);
  const refusal = toAllowanceError({ status: response.status, error: body });
  return refusal instanceof ConfirmationRequiredError ? refusal.confirmation : undefined;
}

/**
 * A `fetch` for the official OpenAI and Anthropic SDKs that authenticates every request to the
 * gateway with the connection's current access token, whatever key the SDK put in
 * `Authorization` or `x-api-key`: `Bearer`, or `DPoP` with a fresh proof whose `htu` is the
 * request URL without query and fragment and whose `ath` is the token's hash (RFC 9449 §4.2,
 * §7.1). Proofs come from oauth4webapi, which also keeps the gateway's DPoP nonce and lets this
 * retry once when the gateway asks for a new one. A 401 `invalid_token` gets one refresh and one
 * retry. Responses, streams and gateway errors are returned untouched, so the SDKs raise their
 * usual errors; a `confirmation_required` is also reported to `onConfirmation`.
 */
export function createGatewayFetch(options: GatewayFetchOptions): typeof fetch {
  const send = async (request: OutgoingRequest, credentials: GatewayCredentials): Promise<Response> => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await oauth.protectedResourceRequest(
          credentials.accessToken,
          request.method,
          request.url,
          new Headers(request.headers),
          request.body as oauth.ProtectedResourceRequestBody,
          {
            DPoP: credentials.dpop,
            signal: request.signal,
            [oauth.customFetch]: (url, fetchOptions) =>
              options.fetch(url, { ...request.passthrough, ...(fetchOptions as RequestInit) }),
            [oauth.allowInsecureRequests]: options.insecure,
          },
        );
      } catch (error) {
        // oauth4webapi turns every challenge into an error; the SDK needs the response itself.
        if (!(error instanceof oauth.WWWAuthenticateChallengeError)) throw error;
        const retryWithNonce =
          attempt === 0 &&
          credentials.dpop !== undefined &&
          request.replayable &&
          oauth.isDPoPNonceError(error);
        if (!retryWithNonce) return error.response;
        await error.response.body?.cancel();
      }
    }
  };

  return async (input, init) => {
    const request = await readRequest(input, init);
    if (!isUnder(request.url, options.gateway)) {
      throw new AllowanceError(
        'not_gateway_url',
        `Refusing to send the wallet's access token to ${request.url.origin}${request.url.pathname}: it is not under the gateway ${options.gateway}.`,
      );
    }
    const credentials = await options.credentials();
    const response = await send(request, credentials);
    if (options.onConfirmation) {
      const confirmation = await requestedConfirmation(response);
      if (confirmation) options.onConfirmation(confirmation);
    }
    if (!request.replayable || !(await refusedAsInvalidToken(response))) return response;
    await response.body?.cancel();
    await options.renew(credentials.accessToken);
    return send(request, await options.credentials());
  };
}
