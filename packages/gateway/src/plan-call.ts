import {
  type ApiFamily,
  checkRequest,
  findPrice,
  type ModelTarget,
  type ResolvedPrice,
  resolveTarget,
} from '@allowance/protocol';
import type { ConfiguredProvider } from '@allowance/store';
import { countConversationInput, countEmbeddingInput, countingFor } from './count-input.js';
import { GatewayError } from './gateway-error.js';
import type { GrantContext } from './load-grant.js';
import { destinationFailure, refusedDestinationMessage } from './upstream/index.js';

/** Which endpoint a metered call came in on. */
export type MeteredEndpoint = 'chat.completions' | 'embeddings' | 'messages';

/** A call the grant allows, with everything the reservation and the forward step need. */
export interface CallPlan {
  target: ModelTarget;
  provider: ConfiguredProvider;
  price: ResolvedPrice | undefined;
  inputTokens: number;
  maxOutputTokens: number;
  worstCaseMicros: number | undefined;
  needsConfirmation: boolean;
}

/** The output cap the app asked for, read the way each API names it (spec 06-metering §6.3). */
function requestedOutputCap(endpoint: MeteredEndpoint, body: Record<string, unknown>): number | undefined {
  if (endpoint === 'embeddings') return 0;
  const caps = [body.max_completion_tokens, body.max_tokens].filter(
    (value): value is number => typeof value === 'number',
  );
  if (caps.length === 0) return undefined;
  const choices = endpoint === 'chat.completions' && typeof body.n === 'number' ? body.n : 1;
  return Math.max(...caps) * choices;
}

/**
 * Steps 7 to 9 of the pipeline (spec 05-gateway): which provider serves the call, whether the
 * grant allows that provider and model, the input estimate against the input cap, the output
 * cap, the worst-case cost, and whether it needs a human confirmation.
 */
export function planCall(
  context: GrantContext,
  endpoint: MeteredEndpoint,
  family: ApiFamily,
  body: Record<string, unknown>,
  options: { providerHeader: string | undefined; defaultMaxOutputTokens: number; now: Date },
): CallPlan {
  const { grant, wallet, providers } = context;
  const lookup = { currency: wallet.currency, exchangeRates: wallet.exchangeRates };
  const resolved = resolveTarget({
    model: String(body.model),
    providerHeader: options.providerHeader,
    endpoint: family,
    granted: grant.details.providers,
    providers: providers.map((provider) => ({ id: provider.providerId, api: provider.api })),
    serves: (providerId, model) =>
      findPrice(wallet.prices, providerId, model, lookup) !== undefined ||
      wallet.prices[providerId]?.[model] !== undefined,
  });
  if (!resolved.ok) throw new GatewayError(resolved.refusal.code, resolved.refusal.message);
  const { target } = resolved;
  const provider = providers.find((candidate) => candidate.providerId === target.provider);
  if (!provider)
    throw new GatewayError('provider_unavailable', `The wallet has no key for "${target.provider}".`);
  // A key whose base URL it must not be sent to is no usable key (spec GW-13, SEC-7, SEC-8):
  // refused here, before anything is held. A name's addresses are checked at connect time.
  const refused = destinationFailure({
    providerId: provider.providerId,
    api: provider.api,
    baseUrl: provider.baseUrl,
    apiKey: '',
    privateNetworkAllowed: provider.privateNetwork,
  });
  if (refused)
    throw new GatewayError(
      'provider_unavailable',
      refusedDestinationMessage(target.provider, refused.problem),
    );
  const price = findPrice(wallet.prices, target.provider, target.model, lookup);
  const counting = countingFor(provider.api, provider.providerId, target.model);
  const inputTokens =
    endpoint === 'embeddings' ? countEmbeddingInput(body, counting) : countConversationInput(body, counting);
  const verdict = checkRequest(grant.details, {
    target,
    inputTokens,
    maxOutputTokens: requestedOutputCap(endpoint, body),
    fallbackMaxOutputTokens: endpoint === 'embeddings' ? 0 : options.defaultMaxOutputTokens,
    walletCapped: wallet.monthlyCapMicros !== null,
    price,
    now: options.now,
  });
  if (!verdict.ok) {
    const token =
      verdict.refusal.code === 'grant_expired' ? { challengeError: 'invalid_token' as const } : {};
    throw new GatewayError(verdict.refusal.code, verdict.refusal.message, token);
  }
  return {
    target,
    provider,
    price,
    inputTokens,
    maxOutputTokens: verdict.maxOutputTokens,
    worstCaseMicros: verdict.worstCaseCostMicros,
    needsConfirmation: verdict.needsConfirmation,
  };
}

/**
 * The body sent upstream (spec GW-16): the model id the provider knows, the output cap when the
 * app gave none, usage asked for in OpenAI streams, and `store: false` at OpenAI under
 * `retention: "none"`. Nothing else changes.
 */
export function rewriteBody(
  endpoint: MeteredEndpoint,
  body: Record<string, unknown>,
  plan: CallPlan,
  retention: 'none' | 'provider_default',
): Record<string, unknown> {
  const rewritten: Record<string, unknown> = { ...body, model: plan.target.model };
  if (endpoint === 'chat.completions') {
    if (body.max_tokens === undefined && body.max_completion_tokens === undefined) {
      rewritten[plan.provider.providerId === 'openai' ? 'max_completion_tokens' : 'max_tokens'] =
        plan.maxOutputTokens;
    }
    if (body.stream === true) {
      rewritten.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };
    }
    if (retention === 'none' && plan.provider.providerId === 'openai') rewritten.store = false;
  }
  if (endpoint === 'messages' && body.max_tokens === undefined) rewritten.max_tokens = plan.maxOutputTokens;
  return rewritten;
}
