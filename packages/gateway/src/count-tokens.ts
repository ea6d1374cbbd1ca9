import type { ServerResponse } from 'node:http';
import { modelAllowed, resolveTarget } from '@allowance/protocol';
import { openSealedCredential, type Sealer } from '@allowance/store';
import { CORS } from './cors.js';
import { GatewayError } from './gateway-error.js';
import type { GrantContext } from './load-grant.js';
import { refusedDestinationMessage, type Upstream } from './upstream/index.js';

/**
 * `POST /v1/messages/count_tokens`: the provider counts, free; only the grant's provider and
 * model checks apply, and nothing is reserved or billed.
 */
export async function countTokens(
  dependencies: { upstream: Upstream; sealer: Sealer },
  context: GrantContext,
  request: {
    body: Record<string, unknown>;
    providerHeader: string | undefined;
    passHeaders: Record<string, string>;
    signal: AbortSignal;
  },
  response: ServerResponse,
): Promise<void> {
  const { body, providerHeader } = request;
  const resolved = resolveTarget({
    model: String(body.model),
    providerHeader,
    endpoint: 'anthropic',
    granted: context.grant.details.providers,
    providers: context.providers.map((provider) => ({ id: provider.providerId, api: provider.api })),
    serves: (providerId, model) => Object.hasOwn(context.wallet.prices[providerId] ?? {}, model),
  });
  if (!resolved.ok) throw new GatewayError(resolved.refusal.code, resolved.refusal.message);
  if (!modelAllowed(context.grant.details, resolved.target)) {
    throw new GatewayError('model_not_allowed', `The grant does not allow model "${resolved.target.model}".`);
  }
  const sealed = context.credentials.get(resolved.target.provider);
  if (!sealed)
    throw new GatewayError(
      'provider_unavailable',
      `The wallet has no key for "${resolved.target.provider}".`,
    );
  const credential = openSealedCredential(dependencies.sealer, context.grant.accountId, sealed);
  const result = await dependencies.upstream.call({
    endpoint: 'messages.count_tokens',
    target: {
      providerId: resolved.target.provider,
      api: credential.api,
      baseUrl: credential.baseUrl,
      apiKey: credential.apiKey,
      privateNetworkAllowed: credential.privateNetwork,
    },
    body: { ...body, model: resolved.target.model },
    stream: false,
    appWantsUsage: false,
    headers: request.passHeaders,
    signal: request.signal,
  });
  // Nothing is reserved for a count; a key the gateway must not send is refused (spec GW-13, SEC-8).
  if (!result.ok && result.failure.kind === 'refused') {
    const message = refusedDestinationMessage(resolved.target.provider, result.failure.problem);
    throw new GatewayError('provider_unavailable', message);
  }
  if (!result.ok) {
    const { failure } = result;
    const status = failure.kind === 'status' ? failure.status : undefined;
    if (status === 429) {
      throw new GatewayError('rate_limited', 'The provider is rate limiting this wallet. Retry later.', {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(Number(failure.retryAfter ?? 1)) || 1)) },
      });
    }
    // The provider's own 4xx about the request is relayed as for a metered call (spec GW-21):
    // what the app sent is wrong, and malformed input is never a 5xx (GW-7).
    if (status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 403) {
      response.writeHead(status, { 'content-type': 'application/json', ...CORS });
      response.end(JSON.stringify(failure.body ?? {}));
      return;
    }
    if (failure.kind === 'timeout')
      throw new GatewayError('upstream_timeout', 'The provider did not count the tokens in time.');
    throw new GatewayError('upstream_error', 'The provider could not count the tokens.');
  }
  response.writeHead(result.status, { 'content-type': 'application/json', ...CORS });
  response.end(result.body);
}
