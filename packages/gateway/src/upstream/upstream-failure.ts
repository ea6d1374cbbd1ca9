import type { DestinationProblem } from '@allowance/protocol';

/**
 * Why a forwarded call did not get a usable answer:
 * - `refused`: the gateway did not send the key, because the base URL or an address its name
 *   resolved to is one the key must not go to (spec SEC-7, SEC-8); nothing reached the provider;
 * - `connect`: the provider could not be reached, or the connection broke (refused, DNS, TLS,
 *   reset, closed mid-response);
 * - `timeout`: a connect, response-head, idle-body or whole-call time limit ran out;
 * - `status`: the provider answered with a status other than 2xx (3xx included: redirects are
 *   never followed, so the key cannot be sent elsewhere);
 * - `protocol`: the answer was not what the API promises (not JSON, not an event stream, too
 *   large, or a stream that ended before its final event);
 * - `error_event`: the provider reported an error inside a stream; that event has already been
 *   relayed to the app as it came, so the pipeline need not write one of its own;
 * - `aborted`: the caller's signal aborted (the app went away) and the request was abandoned.
 */
export type UpstreamFailureKind =
  | 'refused'
  | 'connect'
  | 'timeout'
  | 'status'
  | 'protocol'
  | 'error_event'
  | 'aborted';

/**
 * An upstream problem, as data. Never carries the provider key: messages are written by the
 * gateway and bodies are redacted.
 */
export interface UpstreamFailure {
  kind: UpstreamFailureKind;
  /** For `status`: the provider's HTTP status. */
  status?: number;
  /** For `status`: the provider's `retry-after` header, as sent. */
  retryAfter?: string;
  /**
   * For `status`: the provider's error body (parsed JSON, or text when it is not JSON),
   * at most 64 KiB of it. For `error_event`: the event's parsed data.
   */
  body?: unknown;
  /** For `refused`: which rule the destination broke. */
  problem?: DestinationProblem;
  /** The provider's request id (`x-request-id` or `request-id`), for the ledger. */
  requestId?: string;
  /** A sentence for logs and the ledger. */
  message: string;
}
