import type { AnthropicContentBlock, AnthropicMessagesRequest } from './anthropic-messages-request.js';

/** UTF-8 bytes per token in the approximation: Anthropic's guidance for English text. */
export const ANTHROPIC_BYTES_PER_TOKEN = 4;
/** Tokens every message adds around its content (role framing). */
export const ANTHROPIC_TOKENS_PER_MESSAGE = 3;
/** Tokens that prime the assistant's reply. */
export const ANTHROPIC_REPLY_PRIMING_TOKENS = 3;
/** Flat charge for an image or document block: the cost of a full-size image. */
export const ANTHROPIC_MEDIA_BLOCK_TOKENS = 1600;

const encoder = new TextEncoder();

/** `ceil(UTF-8 bytes / 4)`: the approximate token count of one piece of text. */
export function approximateAnthropicTokens(text: string): number {
  return Math.ceil(encoder.encode(text).length / ANTHROPIC_BYTES_PER_TOKEN);
}

/**
 * Input tokens of a Messages request. Anthropic publishes no tokenizer, so the simulator uses a
 * documented, deterministic approximation, applied to each piece of text separately:
 *
 * - each message: 3 + its content; string content and each `text` block count
 *   ceil(UTF-8 bytes / 4); `image` and `document` blocks count a flat 1600; a `tool_result`
 *   counts its nested content; any other block counts ceil(bytes of its JSON / 4);
 * - `system`: each text counted the same way, with no overhead;
 * - `tools`: ceil(bytes of their JSON / 4);
 * - the reply priming: 3.
 *
 * This is also what `count_tokens` returns, and the total that the `usage` of a response splits
 * into `input_tokens`, `cache_read_input_tokens` and `cache_creation_input_tokens`.
 *
 * @example
 * ```ts
 * countAnthropicInputTokens({ messages: [{ role: 'user', content: 'Hello' }] });
 * // 3 + (3 + ceil(5 / 4)) = 8
 * ```
 */
export function countAnthropicInputTokens(
  request: Pick<AnthropicMessagesRequest, 'messages' | 'system' | 'tools'>,
): number {
  let total = ANTHROPIC_REPLY_PRIMING_TOKENS;
  for (const message of request.messages)
    total += ANTHROPIC_TOKENS_PER_MESSAGE + countContent(message.content);
  if (request.system !== undefined) total += countContent(request.system);
  if (request.tools !== undefined && request.tools.length > 0) {
    total += approximateAnthropicTokens(JSON.stringify(request.tools));
  }
  return total;
}

function countContent(content: unknown): number {
  if (typeof content === 'string') return approximateAnthropicTokens(content);
  if (!Array.isArray(content)) return 0;
  let total = 0;
  for (const block of content as readonly AnthropicContentBlock[]) total += countBlock(block);
  return total;
}

function countBlock(block: AnthropicContentBlock): number {
  switch (block.type) {
    case 'text':
      return approximateAnthropicTokens(typeof block.text === 'string' ? block.text : '');
    case 'image':
    case 'document':
      return ANTHROPIC_MEDIA_BLOCK_TOKENS;
    case 'tool_result':
      return countContent(block.content);
    default:
      return approximateAnthropicTokens(JSON.stringify(block));
  }
}
