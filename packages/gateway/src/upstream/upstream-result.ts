import type { Usage } from '@allowance/protocol';
import type { UpstreamFailure } from './upstream-failure.js';

/** The answer to a non-streaming call. */
export type UpstreamResult =
  | {
      ok: true;
      /** The provider's 2xx status. */
      status: number;
      /** The provider's response headers that may be relayed to the app (see `relayableHeaders`). */
      headers: Record<string, string>;
      /** The JSON body exactly as the provider sent it, to relay unchanged. */
      body: Buffer;
      /** Usage read from the body and normalized; `undefined` when it has none (count_tokens). */
      usage: Usage | undefined;
      /** The provider's request id (`x-request-id` or `request-id`), for the ledger. */
      requestId: string | undefined;
    }
  | { ok: false; failure: UpstreamFailure };

/** How a streaming call ended. */
export interface StreamResult {
  /** Whether `sink.start` was called, that is, the provider answered 200 with an event stream. */
  started: boolean;
  /** Whether the stream's final event (`[DONE]`, `message_stop`) reached the app. */
  completed: boolean;
  /** Whether the app went away (the signal aborted) before the stream completed. */
  clientAborted: boolean;
  /**
   * The latest usage the provider reported in the stream, normalized. For a stream that did not
   * complete it may be partial (Anthropic's provisional output count) or absent (OpenAI reports
   * usage only at the end).
   */
  usage: Usage | undefined;
  /**
   * Output tokens counted from the text relayed to the app: o200k_base tokens for the OpenAI
   * family, UTF-8 bytes (an upper bound) for Anthropic. For settling when usage is missing or
   * partial ([MTR-22], [MTR-24]).
   */
  outputTokensFromText: number;
  /** Whether any output text was relayed to the app (then at least one token is billed). */
  deliveredAnyOutput: boolean;
  /** The provider's request id, when it answered at all. */
  requestId: string | undefined;
  /** Why the stream did not complete; absent when it did. */
  failure?: UpstreamFailure;
}
