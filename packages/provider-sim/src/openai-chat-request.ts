import { invalidRequest } from './provider-error.js';

/** A content part of an OpenAI chat message; only `text` (and `refusal`) parts carry text. */
export interface OpenAIContentPart {
  readonly type: string;
  readonly text?: string;
  readonly refusal?: string;
}

/** A tool call inside an assistant message of the prompt. */
export interface OpenAIToolCall {
  readonly function?: { readonly name: string; readonly arguments: string };
}

/** One message of an OpenAI chat prompt. */
export interface OpenAIChatMessage {
  readonly role: string;
  readonly content?: string | readonly OpenAIContentPart[] | null;
  readonly name?: string;
  readonly tool_calls?: readonly OpenAIToolCall[];
}

/**
 * The fields of a Chat Completions request the simulator reads. An `openai` SDK
 * `ChatCompletionCreateParams` object is assignable to it.
 */
export interface OpenAIChatRequest {
  readonly model: string;
  readonly messages: readonly OpenAIChatMessage[];
  readonly max_completion_tokens?: number | null;
  readonly max_tokens?: number | null;
  readonly n?: number | null;
  readonly stream?: boolean | null;
  readonly stream_options?: { readonly include_usage?: boolean | null } | null;
  readonly store?: boolean | null;
  readonly tools?: readonly unknown[];
}

const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

/**
 * Checks a Chat Completions body the way api.openai.com does for the fields the simulator uses,
 * with its messages, params and codes. Unknown fields are accepted, as the real API accepts every
 * documented parameter.
 *
 * @throws {ProviderError} 400 `invalid_request_error` naming the offending `param`.
 */
export function parseOpenAIChatRequest(body: unknown): OpenAIChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('Invalid type for body: expected an object.', undefined, 'invalid_type');
  }
  const request = body as Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model.length === 0) {
    throw invalidRequest('you must provide a model parameter');
  }
  checkMessages(request.messages);
  for (const param of ['max_completion_tokens', 'max_tokens'] as const) {
    checkOptionalInteger(request[param], param, 1, Number.MAX_SAFE_INTEGER);
  }
  checkOptionalInteger(request.n, 'n', 1, 128);
  for (const param of ['stream', 'store'] as const) {
    const value = request[param];
    if (value !== undefined && value !== null && typeof value !== 'boolean') {
      throw invalidRequest(`Invalid type for '${param}': expected a boolean.`, param, 'invalid_type');
    }
  }
  if (request.stream_options !== undefined && request.stream_options !== null) {
    if (request.stream !== true) {
      throw invalidRequest(
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        'stream_options',
      );
    }
    if (typeof request.stream_options !== 'object') {
      throw invalidRequest(
        "Invalid type for 'stream_options': expected an object.",
        'stream_options',
        'invalid_type',
      );
    }
  }
  return request as unknown as OpenAIChatRequest;
}

function checkMessages(messages: unknown): void {
  if (messages === undefined) {
    throw invalidRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  }
  if (!Array.isArray(messages)) {
    throw invalidRequest("Invalid type for 'messages': expected an array.", 'messages', 'invalid_type');
  }
  if (messages.length === 0) {
    throw invalidRequest(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  }
  for (const [index, message] of messages.entries()) {
    const param = `messages[${index}]`;
    if (typeof message !== 'object' || message === null) {
      throw invalidRequest(`Invalid type for '${param}': expected an object.`, param, 'invalid_type');
    }
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.includes(role)) {
      throw invalidRequest(
        `Invalid value: '${String(role)}'. Supported values are: ${ROLES.map((name) => `'${name}'`).join(', ')}.`,
        `${param}.role`,
        'invalid_value',
      );
    }
    checkContent(content, role, `${param}.content`);
  }
}

function checkContent(content: unknown, role: string, param: string): void {
  if (typeof content === 'string') return;
  if (content === undefined || content === null) {
    if (role === 'assistant') return;
    throw invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  }
  if (!Array.isArray(content)) {
    throw invalidRequest(
      `Invalid type for '${param}': expected a string or an array.`,
      param,
      'invalid_type',
    );
  }
  for (const [index, part] of content.entries()) {
    const where = `${param}[${index}]`;
    if (typeof part !== 'object' || part === null || typeof (part as { type?: unknown }).type !== 'string') {
      throw invalidRequest(
        `Invalid type for '${where}': expected an object with a 'type'.`,
        where,
        'invalid_type',
      );
    }
    const { type, text } = part as { type: string; text?: unknown };
    if (type === 'text' && typeof text !== 'string') {
      throw invalidRequest(
        `Missing required parameter: '${where}.text'.`,
        `${where}.text`,
        'missing_required_parameter',
      );
    }
  }
}

function checkOptionalInteger(value: unknown, param: string, minimum: number, maximum: number): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalidRequest(`Invalid type for '${param}': expected an integer.`, param, 'invalid_type');
  }
  if (value < minimum) {
    throw invalidRequest(
      `Invalid '${param}': integer below minimum value. Expected a value >= ${minimum}, but got ${value} instead.`,
      param,
      'integer_below_min_value',
    );
  }
  if (value > maximum) {
    throw invalidRequest(
      `Invalid '${param}': integer above maximum value. Expected a value <= ${maximum}, but got ${value} instead.`,
      param,
      'integer_above_max_value',
    );
  }
}
