import { type AiAllowance, qualifiedProvider } from './allowance-details.js';
import { type ApiFamily, type Refusal, refusal } from './errors.js';

/** A provider the wallet has credentials for, and the API family it speaks. */
export interface WalletProvider {
  id: string;
  api: ApiFamily;
}

/** Where a call goes: a provider and the model name that provider knows it by. */
export interface ModelTarget {
  provider: string;
  model: string;
}

/** What {@link resolveTarget} reads from the request and the wallet. */
export interface TargetQuery {
  /** The model string as the app sent it. */
  model: string;
  /** The `Allowance-Provider` header, if the app sent one. */
  providerHeader?: string | undefined;
  /** The API family of the endpoint that was called. */
  endpoint: ApiFamily;
  /** The grant's providers. */
  granted: readonly string[];
  /** The wallet's configured providers. */
  providers: readonly WalletProvider[];
  /** Whether the wallet knows the provider serves the model (price table or provider model list). */
  serves: (provider: string, model: string) => boolean;
}

/**
 * Decides which provider a call is for (spec 05-gateway, provider resolution): the
 * `Allowance-Provider` header; else a `provider/model` string whose prefix is a granted
 * provider; else the one granted provider of the endpoint's family that serves the model.
 * A user may have the same model at two providers (a company gateway), so a guess is refused.
 */
export function resolveTarget(
  query: TargetQuery,
): { ok: true; target: ModelTarget } | { ok: false; refusal: Refusal } {
  const family = (id: string) => query.providers.find((provider) => provider.id === id)?.api;
  const decide = (provider: string, model: string) => {
    if (!query.granted.includes(provider)) {
      return {
        ok: false as const,
        refusal: refusal('provider_not_allowed', `The grant does not allow provider "${provider}".`),
      };
    }
    const api = family(provider);
    if (api === undefined) {
      return {
        ok: false as const,
        refusal: refusal('provider_unavailable', `The wallet has no credentials for "${provider}".`),
      };
    }
    if (api !== query.endpoint) {
      return {
        ok: false as const,
        refusal: refusal(
          'provider_api_mismatch',
          `Provider "${provider}" speaks the ${api} API, not the ${query.endpoint} API.`,
        ),
      };
    }
    return { ok: true as const, target: { provider, model } };
  };

  if (query.providerHeader !== undefined) return decide(query.providerHeader, query.model);
  const prefix = qualifiedProvider(query.model);
  // A prefix that names a provider of the grant or of the wallet is a provider (spec GW-9); any
  // other prefix is part of the model id (`meta-llama/Llama-3`).
  if (prefix !== undefined && (query.granted.includes(prefix) || family(prefix) !== undefined)) {
    return decide(prefix, query.model.slice(prefix.length + 1));
  }
  const candidates = query.granted.filter(
    (provider) => family(provider) === query.endpoint && query.serves(provider, query.model),
  );
  if (candidates.length === 1 && candidates[0] !== undefined) return decide(candidates[0], query.model);
  const why =
    candidates.length === 0
      ? `No granted provider is known to serve "${query.model}".`
      : `Several granted providers serve "${query.model}" (${candidates.join(', ')}).`;
  return {
    ok: false,
    refusal: refusal(
      'provider_unresolved',
      `${why} Name one with the Allowance-Provider header or a "provider/model" model.`,
    ),
  };
}

/**
 * Whether the grant allows a model at a provider: listed plainly (any granted provider), or
 * listed as `provider/model` for exactly that provider.
 */
export function modelAllowed(
  detail: Pick<AiAllowance, 'models' | 'providers'>,
  target: ModelTarget,
): boolean {
  return detail.models.some((entry) => {
    if (entry === `${target.provider}/${target.model}`) return true;
    const prefix = qualifiedProvider(entry);
    const boundToProvider = prefix !== undefined && detail.providers.includes(prefix);
    return !boundToProvider && entry === target.model;
  });
}
