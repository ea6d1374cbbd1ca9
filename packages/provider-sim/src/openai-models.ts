import { type CatalogModel, modelsOf } from './model-catalog.js';
import type { Endpoint } from './provider-api.js';
import { ProviderError } from './provider-error.js';

/** `GET /v1/models`: `{ object: 'list', data: Model[] }`. */
export const listModelsEndpoint: Endpoint = {
  method: 'GET',
  path: /^\/v1\/models\/?$/,
  async handle(context) {
    if ((await context.applyRule({ model: null, stream: false })) === undefined) return;
    context.sendJson(200, { object: 'list', data: modelsOf(context.provider).map(toOpenAIModel) });
  },
};

/** `GET /v1/models/{model}`: one `Model`, or 404 `model_not_found`. */
export const retrieveModelEndpoint: Endpoint = {
  method: 'GET',
  path: /^\/v1\/models\/([^/]+)\/?$/,
  async handle(context, _body, match) {
    const id = decodeURIComponent(match[1] ?? '');
    if ((await context.applyRule({ model: id, stream: false })) === undefined) return;
    const model = modelsOf(context.provider).find((candidate) => candidate.id === id);
    if (model === undefined) {
      throw new ProviderError({
        status: 404,
        code: 'model_not_found',
        param: 'model',
        message: `The model '${id}' does not exist`,
      });
    }
    context.sendJson(200, toOpenAIModel(model));
  },
};

function toOpenAIModel(model: CatalogModel): object {
  return { id: model.id, object: 'model', created: model.created, owned_by: model.ownedBy };
}
