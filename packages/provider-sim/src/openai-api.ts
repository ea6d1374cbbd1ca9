import type { IncomingMessage } from 'node:http';
import { bearerToken } from './bearer-token.js';
import { chatCompletionsEndpoint } from './openai-chat-completions.js';
import { embeddingsEndpoint } from './openai-embeddings.js';
import { listModelsEndpoint, retrieveModelEndpoint } from './openai-models.js';
import type { ProviderConfig } from './options.js';
import type { ProviderApi } from './provider-api.js';
import { ProviderError } from './provider-error.js';

/**
 * The OpenAI family (OpenAI itself and OpenAI-compatible providers such as DeepSeek):
 * `Authorization: Bearer` keys and `{ error: { message, type, param, code } }` errors.
 */
export const openAIApi: ProviderApi = {
  endpoints: [chatCompletionsEndpoint, embeddingsEndpoint, listModelsEndpoint, retrieveModelEndpoint],
  checkHeaders: checkBearerKey,
  malformedJsonMessage:
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP " +
    'library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)',
  notFound: (method, path) => new ProviderError({ status: 404, message: `Invalid URL (${method} ${path})` }),
};

function checkBearerKey(request: IncomingMessage, provider: ProviderConfig): ProviderError | undefined {
  const key = bearerToken(request);
  if (key === undefined) {
    return new ProviderError({
      status: 401,
      message:
        "You didn't provide an API key. You need to provide your API key in an Authorization header using " +
        'Bearer auth (i.e. Authorization: Bearer YOUR_KEY).',
    });
  }
  if (key !== provider.apiKey) {
    return new ProviderError({
      status: 401,
      message: `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    });
  }
  return undefined;
}

// The API echoes a masked key so a log never holds the whole secret.
function maskKey(key: string): string {
  return key.length <= 8 ? '********' : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}
