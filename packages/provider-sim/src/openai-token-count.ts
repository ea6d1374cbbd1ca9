import { countTokens as countO200kBaseTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { OpenAIChatMessage, OpenAIChatRequest } from './openai-chat-request.js';

/** Tokens every message adds around its content (`<|start|>{role}\n…<|end|>` framing). */
export const OPENAI_TOKENS_PER_MESSAGE = 3;
/** Extra tokens for a message with a `name`. */
export const OPENAI_TOKENS_PER_NAME = 1;
/** Tokens that prime the assistant's reply (`<|start|>assistant<|message|>`). */
export const OPENAI_REPLY_PRIMING_TOKENS = 3;
/** Flat charge for a non-text content part (image, audio, file): the low-detail image cost. */
export const OPENAI_NON_TEXT_PART_TOKENS = 85;

// Text a user sends is never treated as a special token by the API, so neither is it here.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** Number of o200k_base tokens in `text` (the GPT-4o / GPT-5 encoding). */
export function countO200kTokens(text: string): number {
  return text.length === 0 ? 0 : countO200kBaseTokens(text, PLAIN_TEXT);
}

let cl100kBase: Promise<typeof import('gpt-tokenizer/encoding/cl100k_base')> | undefined;

/**
 * Number of cl100k_base tokens in `text` (the `text-embedding-3-*` and `ada-002` encoding).
 * The encoding is loaded on first use, as only embeddings need it.
 */
export async function countCl100kTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  cl100kBase ??= import('gpt-tokenizer/encoding/cl100k_base');
  return (await cl100kBase).countTokens(text, PLAIN_TEXT);
}

/**
 * Prompt tokens of a Chat Completions request, by OpenAI's published recipe for GPT-4o-class
 * models (openai-cookbook "How to count tokens with tiktoken"), using o200k_base:
 *
 * - each message: 3 + tokens(role) + tokens(text content) (+ 1 + tokens(name) when named);
 *   text content is a string content or the `text`/`refusal` of each part; every other part
 *   (image, audio, file) counts a flat 85; an assistant's tool calls count
 *   tokens(function name) + tokens(arguments) each;
 * - the reply priming: 3;
 * - `tools`, when given: tokens(JSON of the array) (OpenAI's real tool formatting is not published).
 *
 * @example
 * ```ts
 * countOpenAIPromptTokens({ messages: [{ role: 'user', content: 'Hello' }] }); // 3 + 1 + 1 + 3 = 8
 * ```
 */
export function countOpenAIPromptTokens(request: Pick<OpenAIChatRequest, 'messages' | 'tools'>): number {
  let total = OPENAI_REPLY_PRIMING_TOKENS;
  for (const message of request.messages) total += countMessageTokens(message);
  if (request.tools !== undefined && request.tools.length > 0) {
    total += countO200kTokens(JSON.stringify(request.tools));
  }
  return total;
}

function countMessageTokens(message: OpenAIChatMessage): number {
  let total = OPENAI_TOKENS_PER_MESSAGE + countO200kTokens(message.role);
  const content = message.content;
  if (typeof content === 'string') {
    total += countO200kTokens(content);
  } else if (Array.isArray(content)) {
    for (const part of content) {
      if (part.type === 'text') total += countO200kTokens(textOf(part.text));
      else if (part.type === 'refusal') total += countO200kTokens(textOf(part.refusal));
      else total += OPENAI_NON_TEXT_PART_TOKENS;
    }
  }
  if (typeof message.name === 'string') total += OPENAI_TOKENS_PER_NAME + countO200kTokens(message.name);
  for (const toolCall of message.tool_calls ?? []) {
    total += countO200kTokens(textOf(toolCall.function?.name));
    total += countO200kTokens(textOf(toolCall.function?.arguments));
  }
  return total;
}

// The request is only checked as far as the API checks it, so guard fields of the wrong type.
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
