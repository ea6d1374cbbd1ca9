import { hkdfSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AccessTokenClaims,
  type ApiFamily,
  addressAllowed,
  providerIdSchema,
} from '@allowance/protocol';
import {
  changeGrantStatus,
  createSealer,
  purgeExpiredConfirmations,
  recoverStaleReservations,
  type Store,
  sweepDpopProofs,
  takeFromRateBucket,
} from '@allowance/store';
import type { JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { allowanceStatus } from './allowance-status.js';
import { AnomalyDetector } from './anomaly-detector.js';
import { clientAddress } from './client-address.js';
import { type GatewayConfig, type GatewayConfigInput, resolveGatewayConfig } from './config.js';
import { CONFIRMATION_STATUS_PATH, confirmationStatus } from './confirmation-status.js';
import { CORS, preflightHeaders } from './cors.js';
import { prepareInputCount } from './count-input.js';
import { countTokens } from './count-tokens.js';
import { createDpopVerifier, rotatingNonces } from './dpop/index.js';
import { GatewayError } from './gateway-error.js';
import { asGatewayError, readJsonBody, sendError, sendJson } from './http-io.js';
import { listModels } from './list-models.js';
import { type GrantContext, loadGrant } from './load-grant.js';
import { meteredCall } from './metered-call.js';
import type { MeteredEndpoint } from './plan-call.js';
import { validateRequestBody } from './request-bodies.js';
import { sharedReplayCache } from './shared-replay-cache.js';
import { createUpstream, type Upstream } from './upstream/index.js';
import { createTokenVerifier, presentedToken } from './verify-token.js';

/** What the gateway is built from. */
export interface GatewayOptions {
  config: GatewayConfigInput;
  store: Store;
  /** The wallet's master key, to open provider keys at the forward step. */
  masterKey: Uint8Array;
  logger: Logger;
  /** Where token signing keys come from; default: the issuer's JWKS over HTTP. */
  keys?: JWTVerifyGetKey;
  upstream?: Upstream;
  now?: () => number;
}

/** A gateway ready to serve: a node:http request handler. */
export interface Gateway extends AsyncDisposable {
  readonly config: GatewayConfig;
  /** Answers a request if it is the gateway's; returns false when the path is not. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  close(): Promise<void>;
}

interface Route {
  method: 'GET' | 'POST';
  family: ApiFamily | 'either';
  endpoint: MeteredEndpoint | 'models' | 'allowance' | 'count_tokens' | 'confirmation';
}

const ROUTES: Record<string, Route> = {
  '/v1/chat/completions': { method: 'POST', family: 'openai', endpoint: 'chat.completions' },
  '/v1/embeddings': { method: 'POST', family: 'openai', endpoint: 'embeddings' },
  '/v1/messages': { method: 'POST', family: 'anthropic', endpoint: 'messages' },
  '/v1/messages/count_tokens': { method: 'POST', family: 'anthropic', endpoint: 'count_tokens' },
  '/v1/models': { method: 'GET', family: 'either', endpoint: 'models' },
  '/v1/allowance': { method: 'GET', family: 'either', endpoint: 'allowance' },
};
/** `GET /v1/confirmations/{id}`: where a human confirmation stands (spec §6.10). */
const CONFIRMATION_ROUTE: Route = { method: 'GET', family: 'either', endpoint: 'confirmation' };

/**
 * Builds the gateway (spec 05-gateway): OpenAI- and Anthropic-compatible endpoints under the
 * resource's path, each call going verify → check → reserve → forward → settle. Settles
 * reservations a crash left behind before serving.
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const config = resolveGatewayConfig(options.config);
  const now = options.now ?? Date.now;
  const { store, logger } = options;
  const sealer = createSealer(options.masterKey);
  const verifyToken = createTokenVerifier(config, { ...(options.keys && { keys: options.keys }), now });
  const verifyProof = createDpopVerifier({ replayCache: sharedReplayCache(store, now), now });
  // Every replica opens the same master key, so nonces derived from it agree across replicas.
  const nonces = config.dpopNonces
    ? rotatingNonces({
        secret: new Uint8Array(
          hkdfSync('sha256', options.masterKey, '', 'allowance gateway dpop nonces', 32),
        ),
        now,
      })
    : undefined;
  const upstream =
    options.upstream ??
    createUpstream({
      connectTimeoutMs: config.upstreamConnectTimeoutMs,
      headersTimeoutMs: config.upstreamHeadersTimeoutMs,
      bodyTimeoutMs: config.upstreamBodyTimeoutMs,
    });
  const anomalies = new AnomalyDetector(store, {
    burstCalls: config.anomalyBurstCalls,
    burstWindowSeconds: config.anomalyBurstWindowSeconds,
    spendMicros: config.anomalySpendMicros,
    spendWindowSeconds: config.anomalySpendWindowSeconds,
  });
  const base = new URL(config.resource);
  const basePath = base.pathname.replace(/\/$/, '');
  const resourceMetadataUrl = `${base.origin}/.well-known/oauth-protected-resource${basePath}`;
  const metered = {
    store,
    sealer,
    upstream,
    defaultMaxOutputTokens: config.defaultMaxOutputTokens,
    reservationDeadlineMs: config.reservationDeadlineSeconds * 1000,
    confirmationLifetimeMs: config.confirmationLifetimeSeconds * 1000,
    now,
    issuer: config.issuer,
  };

  // A reservation past its deadline belongs to a call whose gateway died (this one before a
  // restart, or another replica): settle it at its full amount, at start and then periodically.
  const recover = async () => {
    const recovered = await recoverStaleReservations(store, now());
    await sweepDpopProofs(store, now());
    await purgeExpiredConfirmations(store, now());
    if (recovered > 0)
      logger.warn({ recovered }, 'settled reservations left open by a crash, at their full reserved amount');
  };
  await recover();
  const sweeper = setInterval(
    () => {
      recover().catch((error: unknown) =>
        logger.error({ error: String(error) }, 'could not settle stale reservations'),
      );
    },
    Math.min(60_000, config.reservationDeadlineSeconds * 1000),
  );
  sweeper.unref();

  /** Steps 2 to 4: the token, its DPoP proof when it is bound, and its grant as stored now. */
  const authenticate = async (
    request: IncomingMessage,
    route: Route,
    url: URL,
    dpop: { used: boolean },
  ): Promise<{ claims: AccessTokenClaims; context: GrantContext }> => {
    let presented: ReturnType<typeof presentedToken>;
    try {
      presented = presentedToken(request.headers, route.family !== 'openai');
    } catch {
      throw new GatewayError('invalid_token', 'The Authorization header is malformed.', {
        challengeError: 'invalid_token',
      });
    }
    if (!presented)
      throw new GatewayError(
        'token_required',
        'Send the access token from your Allowance wallet as the API key.',
      );
    dpop.used = presented.scheme === 'DPoP';
    const claims = await verifyToken(presented.token);
    const thumbprint = claims.cnf?.jkt;
    if (thumbprint) {
      dpop.used = true;
      if (presented.scheme !== 'DPoP') {
        throw new GatewayError(
          'invalid_dpop_proof',
          'This token is DPoP-bound: send it with the DPoP scheme and a proof.',
        );
      }
      const proofHeader = request.headers.dpop;
      const outcome = await verifyProof({
        proofs:
          proofHeader === undefined
            ? []
            : Array.isArray(proofHeader)
              ? proofHeader
              : proofHeader.split(/\s*,\s*/),
        method: request.method ?? 'GET',
        url: `${base.origin}${url.pathname}`,
        accessToken: presented.token,
        expectedThumbprint: thumbprint,
        ...(nonces && { nonces }),
      });
      if (!outcome.ok) {
        throw new GatewayError(outcome.error, outcome.description, {
          ...(outcome.nonce && { headers: { 'dpop-nonce': outcome.nonce } }),
        });
      }
    } else if (presented.scheme === 'DPoP') {
      throw new GatewayError(
        'invalid_token',
        'This token is not DPoP-bound: send it with the Bearer scheme.',
        {
          challengeError: 'invalid_token',
        },
      );
    }
    const context = await loadGrant(store, claims, now(), {
      allowSuspended: route.endpoint === 'allowance',
    });
    if (context.grant.requireDpop && !thumbprint) {
      // The user made this grant DPoP-only (spec DPOP-3): an unbound token is refused even
      // though it verifies, as a stolen Bearer token would be.
      dpop.used = true;
      throw new GatewayError(
        'invalid_dpop_proof',
        'The user requires DPoP for this app: get a DPoP-bound token and send a proof with each call.',
      );
    }
    const allowlist = context.grant.ipAllowlist;
    if (allowlist.length > 0) {
      const address = clientAddress(request, config.trustedProxies);
      if (!addressAllowed(address, allowlist)) {
        throw new GatewayError(
          'ip_not_allowed',
          `Calls from ${address} are not allowed for this app; the user limited it to ${allowlist.join(', ')}.`,
        );
      }
    }
    return { claims, context };
  };

  const serve = async (
    request: IncomingMessage,
    response: ServerResponse,
    route: Route,
    url: URL,
    dpop: { used: boolean },
  ) => {
    const family: ApiFamily =
      route.family === 'either'
        ? request.headers['anthropic-version']
          ? 'anthropic'
          : 'openai'
        : route.family;
    const body = route.method === 'POST' ? await readJsonBody(request, config.maxBodyBytes) : undefined;
    const valid =
      body === undefined
        ? undefined
        : validateRequestBody(route.endpoint as MeteredEndpoint | 'count_tokens', body);
    const { claims, context } = await authenticate(request, route, url, dpop);
    // A fresh nonce with every answer, so an app rarely pays the round trip of a use_dpop_nonce.
    if (nonces && dpop.used) response.setHeader('dpop-nonce', nonces.current());

    if (route.endpoint === 'allowance')
      return sendJson(response, 200, await allowanceStatus(store, context, new Date(now())), CORS);
    if (route.endpoint === 'models')
      return sendJson(response, 200, listModels(context, family === 'anthropic'), CORS);
    if (route.endpoint === 'confirmation') {
      const path = url.pathname.slice(basePath.length);
      return sendJson(
        response,
        200,
        await confirmationStatus(store, context, path, config.issuer, now()),
        CORS,
      );
    }

    // A leaked token draining the wallet looks like a burst or a day's budget in a minute: the
    // grant is suspended, with the reason, until the user resumes or revokes it.
    const anomaly = await anomalies.check(context.grant, now(), context.wallet);
    if (anomaly) {
      await changeGrantStatus(store, {
        grantId: context.grant.id,
        accountId: context.grant.accountId,
        from: 'active',
        to: 'suspended',
        reason: `suspended by the wallet: ${anomaly}`,
        now: now(),
      });
      logger.warn({ grantId: context.grant.id, anomaly }, 'suspended a grant');
      throw new GatewayError(
        'grant_suspended',
        `The wallet suspended this allowance: ${anomaly}. The user can resume it.`,
      );
    }
    const perMinute = context.grant.details.rate?.requests_per_minute;
    if (perMinute !== undefined) {
      // The bucket is in the database, so every replica draws from the same one (spec MTR-28).
      const wait = await takeFromRateBucket(store, context.grant.id, perMinute, now());
      if (wait > 0) {
        throw new GatewayError(
          'rate_limited',
          `This app may make ${perMinute} calls a minute. Retry after the given time.`,
          {
            headers: { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) },
          },
        );
      }
    }
    const providerHeader =
      typeof request.headers['allowance-provider'] === 'string'
        ? request.headers['allowance-provider']
        : undefined;
    if (providerHeader !== undefined && !providerIdSchema.safeParse(providerHeader).success) {
      throw new GatewayError(
        'invalid_request',
        'Allowance-Provider must be a provider id such as "openai" (lowercase letters, digits, - and _).',
      );
    }
    // Step 8's input estimate, counted ahead in slices that let other requests run (spec
    // MTR-14), however large the prompt; planning the call, however often, reads it.
    if (route.endpoint !== 'count_tokens')
      await prepareInputCount(valid as Record<string, unknown>, route.endpoint as MeteredEndpoint);
    const passHeaders: Record<string, string> = {};
    for (const name of ['anthropic-version', 'anthropic-beta']) {
      const value = request.headers[name];
      if (typeof value === 'string') passHeaders[name] = value;
    }
    const abort = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) abort.abort();
    });

    if (route.endpoint === 'count_tokens') {
      return countTokens(
        { upstream, sealer },
        context,
        { body: valid as Record<string, unknown>, providerHeader, passHeaders, signal: abort.signal },
        response,
      );
    }
    for (const [name, value] of Object.entries(CORS)) response.setHeader(name, value);
    await meteredCall(
      metered,
      context,
      {
        endpoint: route.endpoint,
        family,
        body: valid as Record<string, unknown>,
        providerHeader,
        passHeaders,
        confirmation: request.headers['allowance-confirmation'],
        clientAddress: clientAddress(request, config.trustedProxies),
        signal: abort.signal,
        reload: () => loadGrant(store, claims, now()),
      },
      response,
    );
  };

  const handle = (request: IncomingMessage, response: ServerResponse): boolean => {
    const url = new URL(request.url ?? '/', 'http://gateway.invalid');
    if (request.method === 'GET' && url.pathname === `/.well-known/oauth-protected-resource${basePath}`) {
      sendJson(
        response,
        200,
        {
          resource: config.resource,
          authorization_servers: [config.issuer],
          bearer_methods_supported: ['header'],
          dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
          authorization_details_types_supported: ['ai_allowance'],
          resource_name: 'Allowance gateway',
          allowance_endpoint: `${config.resource}/v1/allowance`,
        },
        CORS,
      );
      return true;
    }
    if (basePath !== '' && url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`))
      return false;
    const path = url.pathname.slice(basePath.length);
    const route =
      ROUTES[path] ?? (path.startsWith(CONFIRMATION_STATUS_PATH) ? CONFIRMATION_ROUTE : undefined);
    const family: ApiFamily =
      path.startsWith('/v1/messages') || request.headers['anthropic-version'] ? 'anthropic' : 'openai';
    const dpop = { used: false };
    const challenge = () => ({ resourceMetadataUrl, dpop: dpop.used });
    if (request.method === 'OPTIONS') {
      response.writeHead(204, preflightHeaders(request.headers['access-control-request-headers']));
      response.end();
      return true;
    }
    if (!route) {
      sendError(
        response,
        family,
        new GatewayError('not_found', `No endpoint ${path} on this gateway.`),
        challenge(),
      );
      return true;
    }
    if (request.method !== route.method) {
      sendError(
        response,
        family,
        new GatewayError('method_not_allowed', `${path} takes ${route.method}.`, {
          headers: { allow: route.method },
        }),
        challenge(),
      );
      return true;
    }
    serve(request, response, route, url, dpop).catch((error: unknown) => {
      const refusal = asGatewayError(error);
      if (refusal.code === 'internal_error')
        logger.error({ error: String(error), path }, 'gateway request failed');
      try {
        for (const [name, value] of Object.entries(CORS))
          if (!response.headersSent) response.setHeader(name, value);
        sendError(response, family, refusal, challenge());
      } catch (failure) {
        // Never leave a request hanging because the refusal itself could not be written.
        logger.error({ error: String(failure), path }, 'could not send a refusal');
        response.destroy();
      }
      // A body the app is still sending must not keep the socket busy after a refusal.
      request.resume();
    });
    return true;
  };

  const close = async () => {
    clearInterval(sweeper);
    await upstream.close();
  };
  return { config, handle, close, [Symbol.asyncDispose]: close };
}
