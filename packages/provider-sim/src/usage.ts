/**
 * Token usage as a provider reports it. The meaning of `inputTokens` follows the provider family,
 * because that is exactly what a metering gateway has to get right:
 *
 * - OpenAI family: `inputTokens` is `prompt_tokens`, which **includes** `cachedInputTokens`
 *   (`prompt_tokens_details.cached_tokens`); `cacheWriteInputTokens` is always 0.
 * - Anthropic family: `inputTokens` is `input_tokens`, which **excludes** both
 *   `cachedInputTokens` (`cache_read_input_tokens`) and `cacheWriteInputTokens`
 *   (`cache_creation_input_tokens`); the prompt's total is the sum of the three.
 */
export interface ReportedUsage {
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly cacheWriteInputTokens: number;
  readonly outputTokens: number;
}

/** The rule knobs that shape a response's content and usage. */
export interface ResponseKnobs {
  /** Tokens the model "wants" to write before any `max_tokens` cut. Default 32. */
  readonly responseTokens?: number;
  /** Prompt tokens to report as cache reads (capped at the prompt size). */
  readonly cachedInputTokens?: number;
  /** Prompt tokens to report as cache writes; Anthropic family only (capped at what is left). */
  readonly cacheWriteInputTokens?: number;
  /** Write `responseTokens` even past `max_tokens`, as a provider ignoring the output cap would. */
  readonly ignoreMaxTokens?: boolean;
}

/** Output length when no rule sets `responseTokens`. */
export const DEFAULT_RESPONSE_TOKENS = 32;

/** OpenAI `usage` object of a chat completion, as sent on the wire. */
export interface OpenAIUsageObject {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly prompt_tokens_details: { readonly cached_tokens: number; readonly audio_tokens: number };
  readonly completion_tokens_details: {
    readonly reasoning_tokens: number;
    readonly audio_tokens: number;
    readonly accepted_prediction_tokens: number;
    readonly rejected_prediction_tokens: number;
  };
}

/** Anthropic `usage` object of a message, as sent on the wire. */
export interface AnthropicUsageObject {
  readonly input_tokens: number;
  readonly cache_creation_input_tokens: number;
  readonly cache_read_input_tokens: number;
  readonly cache_creation: {
    readonly ephemeral_5m_input_tokens: number;
    readonly ephemeral_1h_input_tokens: number;
  };
  readonly output_tokens: number;
  readonly service_tier: 'standard';
}

/** OpenAI-family usage for a prompt of `promptTokens` tokens: cached tokens stay inside the total. */
export function openAIUsage(promptTokens: number, outputTokens: number, knobs: ResponseKnobs): ReportedUsage {
  return {
    inputTokens: promptTokens,
    cachedInputTokens: Math.min(knobs.cachedInputTokens ?? 0, promptTokens),
    cacheWriteInputTokens: 0,
    outputTokens,
  };
}

/**
 * Anthropic usage for a prompt of `promptTokens` tokens in all: cache reads are taken out of it
 * first, then cache writes, and `input_tokens` is what remains.
 */
export function anthropicUsage(
  promptTokens: number,
  outputTokens: number,
  knobs: ResponseKnobs,
): ReportedUsage {
  const cachedInputTokens = Math.min(knobs.cachedInputTokens ?? 0, promptTokens);
  const cacheWriteInputTokens = Math.min(knobs.cacheWriteInputTokens ?? 0, promptTokens - cachedInputTokens);
  return {
    inputTokens: promptTokens - cachedInputTokens - cacheWriteInputTokens,
    cachedInputTokens,
    cacheWriteInputTokens,
    outputTokens,
  };
}

/** Renders usage as the OpenAI `usage` object. */
export function toOpenAIUsageObject(usage: ReportedUsage): OpenAIUsageObject {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Renders usage as the Anthropic `usage` object; cache writes are reported as 5-minute entries. */
export function toAnthropicUsageObject(usage: ReportedUsage): AnthropicUsageObject {
  return {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: usage.cacheWriteInputTokens,
    cache_read_input_tokens: usage.cachedInputTokens,
    cache_creation: { ephemeral_5m_input_tokens: usage.cacheWriteInputTokens, ephemeral_1h_input_tokens: 0 },
    output_tokens: usage.outputTokens,
    service_tier: 'standard',
  };
}
