import { invalidRequest } from './provider-error.js';

/** A content block of an Anthropic prompt; only the fields the simulator reads are typed. */
export interface AnthropicContentBlock {
  readonly type: string;
  readonly text?: string;
  readonly content?: unknown;
}

/** One message of an Anthropic prompt. */
export interface AnthropicMessage {
  readonly role: string;
  readonly content: string | readonly AnthropicContentBlock[];
}

/**
 * The fields of a Messages (or count_tokens) request the simulator reads. An
 * `@anthropic-ai/sdk` `MessageCreateParams` object is assignable to it.
 */
export interface AnthropicMessagesRequest {
  readonly model: string;
  readonly messages: readonly AnthropicMessage[];
  readonly system?: string | readonly AnthropicContentBlock[];
  readonly tools?: readonly unknown[];
  readonly max_tokens?: number;
  readonly stream?: boolean;
}

/**
 * Checks a Messages body as api.anthropic.com does for the fields the simulator uses, with its
 * pydantic-style messages (`max_tokens: Field required`). `count_tokens` bodies pass
 * `requireMaxTokens: false`.
 *
 * @throws {ProviderError} 400 `invalid_request_error`.
 */
export function parseAnthropicMessagesRequest(
  body: unknown,
  { requireMaxTokens }: { readonly requireMaxTokens: boolean },
): AnthropicMessagesRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('Input should be a valid dictionary or object to extract fields from');
  }
  const request = body as Record<string, unknown>;
  if (request.model === undefined) throw invalidRequest('model: Field required');
  if (typeof request.model !== 'string' || request.model.length === 0) {
    throw invalidRequest('model: Input should be a valid string');
  }
  if (request.max_tokens === undefined) {
    if (requireMaxTokens) throw invalidRequest('max_tokens: Field required');
  } else if (typeof request.max_tokens !== 'number' || !Number.isInteger(request.max_tokens)) {
    throw invalidRequest('max_tokens: Input should be a valid integer');
  } else if (request.max_tokens < 1) {
    throw invalidRequest('max_tokens: Input should be greater than or equal to 1');
  }
  checkMessages(request.messages);
  checkSystem(request.system);
  if (request.stream !== undefined && typeof request.stream !== 'boolean') {
    throw invalidRequest('stream: Input should be a valid boolean');
  }
  return request as unknown as AnthropicMessagesRequest;
}

function checkMessages(messages: unknown): void {
  if (messages === undefined) throw invalidRequest('messages: Field required');
  if (!Array.isArray(messages)) throw invalidRequest('messages: Input should be a valid list');
  if (messages.length === 0) throw invalidRequest('messages: at least one message is required');
  for (const [index, message] of messages.entries()) {
    if (typeof message !== 'object' || message === null) {
      throw invalidRequest(`messages.${index}: Input should be a valid dictionary`);
    }
    const { role, content } = message as Record<string, unknown>;
    // Recent API versions also accept in-conversation `system` messages.
    if (role !== 'user' && role !== 'assistant' && role !== 'system') {
      throw invalidRequest(`messages.${index}.role: Input should be 'user', 'assistant' or 'system'`);
    }
    checkBlocks(content, `messages.${index}.content`);
  }
}

function checkSystem(system: unknown): void {
  if (system === undefined) return;
  checkBlocks(system, 'system');
}

function checkBlocks(content: unknown, path: string): void {
  if (typeof content === 'string') return;
  if (!Array.isArray(content)) throw invalidRequest(`${path}: Input should be a valid string or list`);
  for (const [index, block] of content.entries()) {
    const where = `${path}.${index}`;
    if (
      typeof block !== 'object' ||
      block === null ||
      typeof (block as { type?: unknown }).type !== 'string'
    ) {
      throw invalidRequest(`${where}: Unable to extract tag using discriminator 'type'`);
    }
    const { type, text } = block as { type: string; text?: unknown };
    if (type === 'text' && typeof text !== 'string') throw invalidRequest(`${where}.text: Field required`);
  }
}
