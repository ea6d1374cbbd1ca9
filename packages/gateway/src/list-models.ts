import { modelAllowed, qualifiedProvider } from '@allowance/protocol';
import type { GrantContext } from './load-grant.js';

/**
 * `GET /v1/models` (spec GW-28): one entry per (provider, model) pair a call with this token
 * could use — granted, configured with a key, allowed by the grant, known to be served — with
 * the bare model id unless two providers share it. OpenAI's list shape, or Anthropic's when the
 * caller speaks Anthropic (it sends `anthropic-version`).
 */
export function listModels(context: GrantContext, anthropicShape: boolean) {
  const { grant, wallet, providers } = context;
  const pairs: { provider: string; model: string }[] = [];
  for (const provider of providers) {
    if (!grant.details.providers.includes(provider.providerId)) continue;
    const known = Object.hasOwn(wallet.prices, provider.providerId)
      ? Object.keys(wallet.prices[provider.providerId] ?? {})
      : [];
    const named = grant.details.models.map((entry) => {
      const prefix = qualifiedProvider(entry);
      return prefix === provider.providerId ? entry.slice(prefix.length + 1) : entry;
    });
    for (const model of new Set([...known, ...named])) {
      const served =
        known.includes(model) || grant.details.models.includes(`${provider.providerId}/${model}`);
      if (served && modelAllowed(grant.details, { provider: provider.providerId, model })) {
        pairs.push({ provider: provider.providerId, model });
      }
    }
  }
  const shared = (model: string) => pairs.filter((pair) => pair.model === model).length > 1;
  const id = (pair: { provider: string; model: string }) =>
    shared(pair.model) ? `${pair.provider}/${pair.model}` : pair.model;
  if (anthropicShape) {
    const data = pairs.map((pair) => ({
      type: 'model',
      id: id(pair),
      display_name: id(pair),
      created_at: '1970-01-01T00:00:00Z',
    }));
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }
  return {
    object: 'list',
    data: pairs.map((pair) => ({ id: id(pair), object: 'model', created: 0, owned_by: pair.provider })),
  };
}
