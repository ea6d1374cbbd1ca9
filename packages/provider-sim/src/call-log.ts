import type { ProviderFamily } from './options.js';
import type { ReportedUsage } from './usage.js';

/**
 * How a call ended:
 * - `pending`: still being answered;
 * - `completed`: the whole response was written (an error response counts as completed);
 * - `dropped`: the simulator destroyed the socket on purpose (`dropAfterTokens`);
 * - `aborted`: the client went away before the response was complete;
 * - `shutdown`: the simulator closed while the call was in flight.
 */
export type CallOutcome = 'pending' | 'completed' | 'dropped' | 'aborted' | 'shutdown';

/** One request to a simulated provider, as recorded in the call log. */
export interface SimulatedCall {
  /** Request id, also sent as `x-request-id` (OpenAI family) or `request-id` (Anthropic). */
  readonly id: string;
  /** Id of the generated object (`chatcmpl-…`, `msg_…`), or `null` when none was created. */
  readonly responseId: string | null;
  readonly provider: string;
  readonly family: ProviderFamily;
  readonly method: string;
  /** Path below the provider's mount point, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** The request's headers as received, names in lower case (repeated ones joined with `, `). */
  readonly headers: Readonly<Record<string, string>>;
  /** Model named in the request body, or `null`. */
  readonly model: string | null;
  readonly stream: boolean;
  /** The request's `store` flag (OpenAI), or `null` when absent. */
  readonly store: boolean | null;
  /** HTTP status sent, or `null` when no status line was ever written (hang, JSON drop). */
  readonly status: number | null;
  /** Error type sent (`rate_limit_error`, `server_error`, …), or `null`. */
  readonly errorType: string | null;
  /**
   * The last usage the client was sent, in the provider's own terms: for the OpenAI family
   * `inputTokens` is `prompt_tokens` and includes `cachedInputTokens`; for Anthropic it is
   * `input_tokens` and excludes cache reads and writes. `null` when no usage was sent (e.g. a
   * stream without `include_usage`, or one dropped before its usage event).
   */
  readonly usage: ReportedUsage | null;
  /** Output tokens written to the client (all choices). */
  readonly outputTokens: number;
  /** Characters of output text written to the client (all choices). */
  readonly outputTextLength: number;
  readonly outcome: CallOutcome;
  /** Epoch milliseconds when the request arrived. */
  readonly startedAt: number;
  /** Epoch milliseconds when it ended, or `null` while pending. */
  readonly finishedAt: number | null;
}

/** A call record being filled in by its handler. */
export type CallRecord = { -readonly [Key in keyof SimulatedCall]: SimulatedCall[Key] };

/** Bounded, in-memory log of calls; the oldest entries are forgotten past `capacity`. */
export class CallLog {
  readonly #capacity: number;
  #records: CallRecord[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Appends a live record; the handler keeps mutating it until the call ends. */
  add(record: CallRecord): void {
    this.#records.push(record);
    if (this.#records.length > this.#capacity) this.#records.splice(0, this.#records.length - this.#capacity);
  }

  /** Snapshot copies of every logged call, oldest first. */
  snapshot(): SimulatedCall[] {
    return this.#records.map((record) => ({ ...record, usage: record.usage && { ...record.usage } }));
  }

  /** Forgets every logged call. Calls still in flight keep running but are no longer listed. */
  clear(): void {
    this.#records = [];
  }
}
