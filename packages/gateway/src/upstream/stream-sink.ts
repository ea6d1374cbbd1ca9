/**
 * Where a stream's events go: the pipeline's response to the app. The pipeline writes the HTTP
 * head (with its own headers) and the final `: allowance-cost=…` comment itself.
 *
 * @example
 * ```ts
 * const sink: StreamSink = {
 *   start: (status, headers) => response.writeHead(status, { ...headers, ...allowanceHeaders }),
 *   write: (chunk) => response.write(chunk),
 *   drained: (signal) => once(response, 'drain', { signal }).then(() => undefined),
 * };
 * ```
 */
export interface StreamSink {
  /**
   * Called once, when the provider has answered 200 with an event stream and before any
   * `write`; `headers` are those that may be relayed (lower-case names).
   */
  start(status: number, headers: Record<string, string>): void;
  /** Takes the raw bytes of one or more whole events; returns `false` when the app is behind. */
  write(chunk: Buffer): boolean;
  /**
   * Resolves once the sink can take more after `write` returned `false`. May reject, or never
   * settle, once `signal` aborts; the upstream stops waiting on abort either way.
   */
  drained(signal: AbortSignal): Promise<void>;
}
