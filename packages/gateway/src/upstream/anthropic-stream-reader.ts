import type { Usage } from '@allowance/protocol';
import { isRecord } from './is-record.js';
import { AnthropicUsage } from './normalize-usage.js';
import { OutputTextMeter } from './output-text-meter.js';
import type { ServerSentEvent } from './server-sent-events.js';
import { parseEventData, type StreamEventReader } from './stream-event-reader.js';

/**
 * Reads a Messages stream: `message_start` (input and cache counts), content block events,
 * `message_delta` (cumulative `output_tokens`, and in newer API versions the input counts
 * again), `message_stop`. Every event reaches the app.
 *
 * Until the last `message_delta`, the output count is the provisional one of `message_start`;
 * for a stream that did not complete, `outputTokensFromText` is the better bound.
 */
export class AnthropicStreamReader implements StreamEventReader {
  readonly #usage = new AnthropicUsage();
  readonly #output = new OutputTextMeter('anthropic');
  #completed = false;
  #errorEvent: unknown;

  read(event: ServerSentEvent): boolean {
    const data = parseEventData(event);
    if (!isRecord(data)) return true;
    switch (event.type ?? data.type) {
      case 'message_start':
        this.#usage.add(isRecord(data.message) ? data.message.usage : undefined);
        break;
      case 'message_delta':
        this.#usage.add(data.usage);
        break;
      case 'content_block_delta':
        this.#readDelta(data.delta);
        break;
      case 'message_stop':
        this.#completed = true;
        break;
      case 'error':
        this.#errorEvent ??= data;
        break;
    }
    return true;
  }

  get completed(): boolean {
    return this.#completed;
  }

  get usage(): Usage | undefined {
    return this.#usage.usage;
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

  // Text, tool input and thinking are all billed as output.
  #readDelta(delta: unknown): void {
    if (!isRecord(delta)) return;
    if (delta.type === 'text_delta') this.#output.add(delta.text);
    else if (delta.type === 'input_json_delta') this.#output.add(delta.partial_json);
    else if (delta.type === 'thinking_delta') this.#output.add(delta.thinking);
  }
}
