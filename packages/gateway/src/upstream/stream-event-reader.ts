import type { Usage } from '@allowance/protocol';
import type { ServerSentEvent } from './server-sent-events.js';

/**
 * What a provider family's stream means, read event by event while the events are relayed:
 * usage, the output text relayed, whether the final event arrived, and any error event.
 */
export interface StreamEventReader {
  /** Reads one event; returns `false` when the event must be kept from the app. */
  read(event: ServerSentEvent): boolean;
  /** Whether the stream's final event (`[DONE]`, `message_stop`) was read. */
  readonly completed: boolean;
  /** The latest usage the provider reported, normalized. */
  readonly usage: Usage | undefined;
  /** Output tokens counted from the text of the events relayed. */
  readonly outputTokensFromText: number;
  /** Whether any relayed event carried output text. */
  readonly deliveredAnyOutput: boolean;
  /** The data of an error event the provider sent, if it sent one. */
  readonly errorEvent: unknown;
}

/** Parses an event's data as JSON, or `undefined` when it is not JSON. */
export function parseEventData(event: ServerSentEvent): unknown {
  if (event.data === '') return undefined;
  try {
    return JSON.parse(event.data);
  } catch {
    return undefined;
  }
}
