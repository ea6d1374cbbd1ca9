import type { IncomingMessage } from 'node:http';
import { countTokensEndpoint, messagesEndpoint } from './anthropic-messages.js';
import { listModelsEndpoint, retrieveModelEndpoint } from './anthropic-models.js';
import { bearerToken } from './bearer-token.js';
import type { ProviderConfig } from './options.js';
import type { ProviderApi } from './provider-api.js';
import { invalidRequest, ProviderError } from './provider-error.js';

/**
 * The Anthropic family: `x-api-key` (or `Authorization: Bearer`, which the API accepts for auth
 * tokens and recent SDKs send), a required `anthropic-version` header, and
 * `{ type: 'error', error: { type, message }, request_id }` errors.
 */
export const anthropicApi: ProviderApi = {
  endpoints: [messagesEndpoint, countTokensEndpoint, listModelsEndpoint, retrieveModelEndpoint],
  checkHeaders: checkKeyAndVersion,
  malformedJsonMessage: 'There was an error parsing the body of your request: it is not valid JSON.',
  notFound: () => new ProviderError({ status: 404, message: 'Not Found' }),
};

function checkKeyAndVersion(request: IncomingMessage, provider: ProviderConfig): ProviderError | undefined {
  const headerKey = request.headers['x-api-key'];
  const key =
    (typeof headerKey === 'string' && headerKey.length > 0 ? headerKey : undefined) ?? bearerToken(request);
  if (key === undefined) return new ProviderError({ status: 401, message: 'x-api-key header is required' });
  if (key !== provider.apiKey) return new ProviderError({ status: 401, message: 'invalid x-api-key' });
  if (request.headers['anthropic-version'] === undefined) {
    return invalidRequest('anthropic-version: header is required');
  }
  return undefined;
}
