import type { AnthropicMessagesRequest } from './anthropic-messages-request.js';
import { countAnthropicInputTokens } from './anthropic-token-count.js';
import type { OpenAIChatRequest } from './openai-chat-request.js';
import { countOpenAIPromptTokens } from './openai-token-count.js';
import { seedFrom } from './random.js';
import { generateTokens } from './text-generator.js';
import {
  anthropicUsage,
  DEFAULT_RESPONSE_TOKENS,
  openAIUsage,
  type ReportedUsage,
  type ResponseKnobs,
} from './usage.js';

/** One generated answer. */
export interface PlannedChoice {
  /** The output, one string per token; `tokens.join('')` is `text`. */
  readonly tokens: readonly string[];
  readonly text: string;
  /**
   * Whether `max_tokens` cut the answer short: OpenAI `finish_reason: 'length'`, Anthropic
   * `stop_reason: 'max_tokens'` (otherwise `'stop'` / `'end_turn'`).
   */
  readonly truncated: boolean;
}

/** What the simulator will answer to a request, computed before any byte is sent. */
export interface ResponsePlan {
  /** One entry per choice (`n` for OpenAI, always one for Anthropic). */
  readonly choices: readonly PlannedChoice[];
  /** Usage the complete response reports, in the provider family's terms. */
  readonly usage: ReportedUsage;
}

/**
 * Predicts the simulator's answer to a Chat Completions request under the given rule knobs:
 * its text (identical whether streamed or not) and its usage. The simulator builds its responses
 * with this very function, so tests and the conformance suite can rely on it.
 *
 * - `prompt_tokens`: {@link countOpenAIPromptTokens}; `cached_tokens`: the rule's
 *   `cachedInputTokens`, capped at `prompt_tokens` and included in it.
 * - each choice: min(`max_completion_tokens` ?? `max_tokens`, `responseTokens` ?? 32) tokens;
 *   `completion_tokens` is their sum over the `n` choices.
 *
 * @example
 * ```ts
 * const plan = predictOpenAIChatResponse({ model: 'gpt-4o', messages }, { cachedInputTokens: 4 });
 * expect(completion.usage?.prompt_tokens).toBe(plan.usage.inputTokens);
 * expect(completion.choices[0]?.message.content).toBe(plan.choices[0]?.text);
 * ```
 */
export function predictOpenAIChatResponse(
  request: OpenAIChatRequest,
  knobs: ResponseKnobs = {},
): ResponsePlan {
  const limit = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const choiceCount = request.n ?? 1;
  const choices: PlannedChoice[] = [];
  for (let index = 0; index < choiceCount; index += 1) {
    const seed = seedFrom({ model: request.model, messages: request.messages, choice: index });
    choices.push(planChoice(seed, knobs, limit));
  }
  const outputTokens = choices.reduce((sum, choice) => sum + choice.tokens.length, 0);
  return { choices, usage: openAIUsage(countOpenAIPromptTokens(request), outputTokens, knobs) };
}

/**
 * Predicts the simulator's answer to an Anthropic Messages request under the given rule knobs.
 *
 * - the prompt's total: {@link countAnthropicInputTokens}; `cache_read_input_tokens` is the
 *   rule's `cachedInputTokens` and `cache_creation_input_tokens` its `cacheWriteInputTokens`
 *   (each capped), and `input_tokens` is the total **minus** both.
 * - output: min(`max_tokens`, `responseTokens` ?? 32) tokens.
 */
export function predictAnthropicMessageResponse(
  request: AnthropicMessagesRequest,
  knobs: ResponseKnobs = {},
): ResponsePlan {
  const seed = seedFrom({ model: request.model, system: request.system, messages: request.messages });
  const choice = planChoice(seed, knobs, request.max_tokens);
  return {
    choices: [choice],
    usage: anthropicUsage(countAnthropicInputTokens(request), choice.tokens.length, knobs),
  };
}

function planChoice(seed: number, knobs: ResponseKnobs, limit: number | undefined): PlannedChoice {
  const wanted = knobs.responseTokens ?? DEFAULT_RESPONSE_TOKENS;
  const truncated = limit !== undefined && limit < wanted && knobs.ignoreMaxTokens !== true;
  const tokens = generateTokens(seed, truncated ? limit : wanted);
  return { tokens, text: tokens.join(''), truncated };
}
