import type { Usage } from '@allowance/protocol';
import { isRecord } from './is-record.js';

/**
 * Reads an OpenAI-family `usage` object ([Part 6 §6.2.1]). `prompt_tokens` includes
 * `prompt_tokens_details.cached_tokens`, so uncached input is their difference. DeepSeek reports
 * `prompt_cache_hit_tokens` instead, also inside `prompt_tokens`. Returns `undefined` when the
 * object does not hold the counts.
 *
 * @example
 * ```ts
 * openAIUsage({ prompt_tokens: 100, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 60 } });
 * // { inputTokens: 40, cachedInputTokens: 60, cacheWriteTokens: 0, outputTokens: 5 }
 * ```
 */
export function openAIUsage(usage: unknown): Usage | undefined {
  if (!isRecord(usage)) return undefined;
  const promptTokens = count(usage.prompt_tokens);
  const outputTokens = count(usage.completion_tokens);
  if (promptTokens === undefined || outputTokens === undefined) return undefined;
  const details = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const cached = count(details.cached_tokens) ?? count(usage.prompt_cache_hit_tokens) ?? 0;
  const cachedInputTokens = Math.min(cached, promptTokens);
  return {
    inputTokens: promptTokens - cachedInputTokens,
    cachedInputTokens,
    cacheWriteTokens: 0,
    outputTokens,
  };
}

/** Reads an embeddings `usage` object: all input is uncached, and there is no output. */
export function embeddingsUsage(usage: unknown): Usage | undefined {
  if (!isRecord(usage)) return undefined;
  const inputTokens = count(usage.prompt_tokens);
  if (inputTokens === undefined) return undefined;
  return { inputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0 };
}

/**
 * Usage as an Anthropic message reports it, piece by piece: a stream sends the input counts in
 * `message_start` and the cumulative `output_tokens` (and, in newer API versions, the input
 * counts again) in `message_delta`. Each `add` keeps the latest non-null value of every count.
 * `input_tokens` excludes both cache counts, which map straight to their own classes.
 */
export class AnthropicUsage {
  #input: number | undefined;
  #cacheRead: number | undefined;
  #cacheWrite: number | undefined;
  #output: number | undefined;

  /** Takes in a `usage` object; members that are absent or null leave the earlier value. */
  add(usage: unknown): void {
    if (!isRecord(usage)) return;
    this.#input = count(usage.input_tokens) ?? this.#input;
    this.#cacheRead = count(usage.cache_read_input_tokens) ?? this.#cacheRead;
    this.#cacheWrite = count(usage.cache_creation_input_tokens) ?? this.#cacheWrite;
    this.#output = count(usage.output_tokens) ?? this.#output;
  }

  /** The usage seen so far, or `undefined` when no input or output count was seen at all. */
  get usage(): Usage | undefined {
    if (this.#input === undefined && this.#output === undefined) return undefined;
    return {
      inputTokens: this.#input ?? 0,
      cachedInputTokens: this.#cacheRead ?? 0,
      cacheWriteTokens: this.#cacheWrite ?? 0,
      outputTokens: this.#output ?? 0,
    };
  }
}

/** Reads the `usage` of a complete Anthropic message. */
export function anthropicUsage(usage: unknown): Usage | undefined {
  const reader = new AnthropicUsage();
  reader.add(usage);
  return reader.usage;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
