import { type CatalogModel, modelsOf } from './model-catalog.js';
import type { Endpoint } from './provider-api.js';
import { invalidRequest, ProviderError } from './provider-error.js';

/**
 * `GET /v1/models`: `{ data, has_more, first_id, last_id }`, newest first, paged by `limit`
 * (default 20, at most 1000), `after_id` and `before_id` as the API does.
 */
export const listModelsEndpoint: Endpoint = {
  method: 'GET',
  path: /^\/v1\/models\/?$/,
  async handle(context) {
    const query = new URL(context.request.url ?? '/', 'http://localhost').searchParams;
    const limit = Number(query.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw invalidRequest(
        'limit: Input should be greater than or equal to 1 and less than or equal to 1000',
      );
    }
    if ((await context.applyRule({ model: null, stream: false })) === undefined) return;
    const models = modelsOf(context.provider);
    const afterId = query.get('after_id');
    const beforeId = query.get('before_id');
    let page: readonly CatalogModel[];
    if (beforeId !== null) {
      const end = Math.max(
        0,
        models.findIndex((model) => model.id === beforeId),
      );
      page = models.slice(Math.max(0, end - limit), end);
    } else {
      const start = afterId === null ? 0 : models.findIndex((model) => model.id === afterId) + 1;
      page = start === 0 && afterId !== null ? [] : models.slice(start, start + limit);
    }
    const first = page[0];
    const last = page.at(-1);
    const hasMore =
      beforeId !== null
        ? first !== undefined && models.indexOf(first) > 0
        : last !== undefined && models.indexOf(last) < models.length - 1;
    context.sendJson(200, {
      data: page.map(toAnthropicModel),
      has_more: hasMore,
      first_id: first?.id ?? null,
      last_id: last?.id ?? null,
    });
  },
};

/** `GET /v1/models/{model_id}`: one model, or 404 `not_found_error`. */
export const retrieveModelEndpoint: Endpoint = {
  method: 'GET',
  path: /^\/v1\/models\/([^/]+)\/?$/,
  async handle(context, _body, match) {
    const id = decodeURIComponent(match[1] ?? '');
    if ((await context.applyRule({ model: id, stream: false })) === undefined) return;
    const model = modelsOf(context.provider).find((candidate) => candidate.id === id);
    if (model === undefined) throw new ProviderError({ status: 404, message: `model: ${id}` });
    context.sendJson(200, toAnthropicModel(model));
  },
};

function toAnthropicModel(model: CatalogModel): object {
  return {
    type: 'model',
    id: model.id,
    display_name: model.displayName,
    created_at: new Date(model.created * 1000).toISOString(),
  };
}
