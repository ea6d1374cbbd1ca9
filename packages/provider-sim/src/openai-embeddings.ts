import { embeddingVector, nativeDimensions, toBase64 } from './embedding-vector.js';
import { countCl100kTokens } from './openai-token-count.js';
import type { Endpoint } from './provider-api.js';
import { invalidRequest } from './provider-error.js';

/** A validated embeddings request: one entry per input, text or token ids. */
interface EmbeddingsRequest {
  readonly model: string;
  readonly inputs: readonly (string | readonly number[])[];
  readonly encodingFormat: 'float' | 'base64';
  readonly dimensions: number;
}

/**
 * `POST /v1/embeddings`. Usage counts cl100k_base tokens (the `text-embedding-3-*` encoding) of
 * each text input, or the length of each token-id input. `encoding_format` defaults to `float`
 * as in the API; the `openai` SDK asks for `base64` unless told otherwise and decodes it itself.
 */
export const embeddingsEndpoint: Endpoint = {
  method: 'POST',
  path: /^\/v1\/embeddings\/?$/,
  async handle(context, body) {
    const request = parseEmbeddingsRequest(body);
    const rule = await context.applyRule({ model: request.model, stream: false });
    if (rule === undefined) return;
    let promptTokens = 0;
    for (const input of request.inputs) {
      promptTokens += typeof input === 'string' ? await countCl100kTokens(input) : input.length;
    }
    const data = request.inputs.map((input, index) => {
      const vector = embeddingVector(request.model, input, request.dimensions);
      const embedding = request.encodingFormat === 'base64' ? toBase64(vector) : Array.from(vector);
      return { object: 'embedding', index, embedding };
    });
    context.sendJson(200, {
      object: 'list',
      data,
      model: request.model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
    context.recordUsage({
      inputTokens: promptTokens,
      cachedInputTokens: 0,
      cacheWriteInputTokens: 0,
      outputTokens: 0,
    });
  },
};

function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('Invalid type for body: expected an object.', undefined, 'invalid_type');
  }
  const { model, input, encoding_format: encodingFormat, dimensions } = body as Record<string, unknown>;
  if (typeof model !== 'string' || model.length === 0)
    throw invalidRequest('you must provide a model parameter');
  const inputs = normaliseInput(input);
  if (encodingFormat !== undefined && encodingFormat !== 'float' && encodingFormat !== 'base64') {
    throw invalidRequest(
      `Invalid value: '${String(encodingFormat)}'. Supported values are: 'float' and 'base64'.`,
      'encoding_format',
      'invalid_value',
    );
  }
  const native = nativeDimensions(model);
  if (dimensions !== undefined) {
    if (model === 'text-embedding-ada-002') {
      throw invalidRequest('This model does not support specifying dimensions.', 'dimensions');
    }
    if (
      typeof dimensions !== 'number' ||
      !Number.isInteger(dimensions) ||
      dimensions < 1 ||
      dimensions > native
    ) {
      throw invalidRequest(
        `Invalid 'dimensions': expected an integer between 1 and ${native}.`,
        'dimensions',
      );
    }
  }
  return {
    model,
    inputs,
    encodingFormat: encodingFormat ?? 'float',
    dimensions: typeof dimensions === 'number' ? dimensions : native,
  };
}

function normaliseInput(input: unknown): readonly (string | readonly number[])[] {
  const invalid = () => invalidRequest("'$.input' is invalid. Please check the API reference.", 'input');
  if (input === undefined) {
    throw invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  }
  if (typeof input === 'string') {
    if (input.length === 0) throw invalid();
    return [input];
  }
  if (!Array.isArray(input) || input.length === 0) throw invalid();
  if (input.every(isTokenId)) return [input as number[]];
  return input.map((item: unknown) => {
    if (typeof item === 'string' && item.length > 0) return item;
    if (Array.isArray(item) && item.length > 0 && item.every(isTokenId)) return item as number[];
    throw invalid();
  });
}

function isTokenId(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
