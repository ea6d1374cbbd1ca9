import type { Usage } from '@allowance/protocol';
import { isRecord } from './is-record.js';
import { openAIUsage } from './normalize-usage.js';
import { OutputTextMeter } from './output-text-meter.js';
import type { ServerSentEvent } from './server-sent-events.js';
import { parseEventData, type StreamEventReader } from './stream-event-reader.js';

/**
 * Reads a Chat Completions stream: `data: {chat.completion.chunk}` events, then `data: [DONE]`.
 * Usage is taken from any chunk that carries it, the last one winning; with
 * `stream_options.include_usage` that is the final chunk, whose `choices` is empty.
 *
 * When the app did not ask for usage, that usage-only chunk is kept from it ([GW-19]). The
 * `"usage": null` members of earlier chunks stay: removing them would mean re-serializing every
 * chunk, and SDKs ignore them. A provider that puts usage on a chunk that also has choices keeps
 * it there, for the same reason.
 */
export class OpenAIStreamReader implements StreamEventReader {
  readonly #appWantsUsage: boolean;
  readonly #output = new OutputTextMeter('openai');
  #completed = false;
  #usage: Usage | undefined;
  #errorEvent: unknown;

  constructor(appWantsUsage: boolean) {
    this.#appWantsUsage = appWantsUsage;
  }

  read(event: ServerSentEvent): boolean {
    if (event.data === '[DONE]') {
      this.#completed = true;
      return true;
    }
    const chunk = parseEventData(event);
    if (!isRecord(chunk)) return true;
    if (isRecord(chunk.error)) {
      this.#errorEvent ??= chunk;
      return true;
    }
    const usage = openAIUsage(chunk.usage);
    if (usage !== undefined) this.#usage = usage;
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    for (const choice of choices) this.#readDelta(isRecord(choice) ? choice.delta : undefined);
    const usageOnly = usage !== undefined && Array.isArray(chunk.choices) && choices.length === 0;
    return !(usageOnly && !this.#appWantsUsage);
  }

  get completed(): boolean {
    return this.#completed;
  }

  get usage(): Usage | undefined {
    return this.#usage;
  }

  get outputTokensFromText(): number {
    return this.#output.tokens;
  }

  get deliveredAnyOutput(): boolean {
    return this.#output.delivered;
  }

  get errorEvent(): unknown {
    return this.#errorEvent;
  }

  // Everything the provider bills as output: text, refusals, reasoning text of providers that
  // stream it (DeepSeek `reasoning_content`), and tool calls.
  #readDelta(delta: unknown): void {
    if (!isRecord(delta)) return;
    this.#output.add(delta.content);
    this.#output.add(delta.refusal);
    this.#output.add(delta.reasoning_content);
    if (!Array.isArray(delta.tool_calls)) return;
    for (const toolCall of delta.tool_calls) {
      const call = isRecord(toolCall) && isRecord(toolCall.function) ? toolCall.function : undefined;
      this.#output.add(call?.name);
      this.#output.add(call?.arguments);
    }
  }
}
