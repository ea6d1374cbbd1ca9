import { Agent, type Dispatcher } from 'undici';
import { guardedLookup } from './destination-guard.js';
import { forwardJson } from './forward-json.js';
import { forwardStream } from './forward-stream.js';
import type { StreamSink } from './stream-sink.js';
import type { UpstreamCall, UpstreamTarget } from './upstream-call.js';
import { resolveUpstreamOptions, type UpstreamOptions } from './upstream-options.js';
import type { StreamResult, UpstreamResult } from './upstream-result.js';

/**
 * Forwards authorized, reserved calls to providers and reads their usage. Knows nothing of
 * tokens, grants or budgets. Upstream problems are returned as data, never thrown.
 */
export interface Upstream extends AsyncDisposable {
  /** Forwards a non-streaming call and returns the provider's whole answer, with usage read from it. */
  call(call: UpstreamCall): Promise<UpstreamResult>;
  /**
   * Forwards a streaming call, relaying its events to `sink` as they arrive, and returns once the
   * stream is over, with the usage it reported.
   */
  stream(call: UpstreamCall, sink: StreamSink): Promise<StreamResult>;
  /**
   * Stops taking calls and closes the connection pool once the calls in flight are over (abort
   * their signals to end them sooner). An injected dispatcher is left open for its owner.
   */
  close(): Promise<void>;
}

/**
 * Creates the upstream with its own pooled, keep-alive connection `Agent`s (unless a dispatcher
 * is injected): one for keys whose owner chose that their provider is on a private network and
 * one for all others, each checking every address it connects to (spec SEC-8). Two pools, so a
 * connection opened for one key's choice is never reused for a key without it.
 *
 * @example
 * ```ts
 * await using upstream = createUpstream({ headersTimeoutMs: 120_000 });
 * const result = await upstream.call({
 *   endpoint: 'chat.completions',
 *   target: { providerId: 'openai', api: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey },
 *   body: { model: 'gpt-4.1-mini', messages, max_completion_tokens: 4096, store: false },
 *   stream: false,
 *   appWantsUsage: false,
 *   signal: request.signal,
 * });
 * if (result.ok) settle(result.usage);
 * ```
 * @throws {TypeError} for an invalid option.
 */
export function createUpstream(options: UpstreamOptions = {}): Upstream {
  const resolved = resolveUpstreamOptions(options);
  const ownsDispatcher = resolved.dispatcher === undefined;
  const agent = (privateNetworkAllowed: boolean): Dispatcher =>
    new Agent({
      connections: resolved.connectionsPerOrigin,
      connect: {
        timeout: resolved.connectTimeoutMs,
        lookup: guardedLookup({ privateNetworkAllowed }, resolved.lookup),
      },
      headersTimeout: resolved.headersTimeoutMs,
      bodyTimeout: resolved.bodyTimeoutMs,
      // Idle sockets are kept this long unless the provider's Keep-Alive hint says less.
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
    });
  const publicDispatcher: Dispatcher = resolved.dispatcher ?? agent(false);
  let privateDispatcher: Dispatcher | undefined;
  const dispatcherFor = (target: UpstreamTarget): Dispatcher => {
    if (resolved.dispatcher !== undefined || target.privateNetworkAllowed !== true) return publicDispatcher;
    privateDispatcher ??= agent(true);
    return privateDispatcher;
  };
  let closing: Promise<void> | undefined;
  const open = (): void => {
    if (closing !== undefined) throw new Error('The upstream is closed');
  };
  const close = (): Promise<void> => {
    closing ??= ownsDispatcher
      ? Promise.all([publicDispatcher.close(), privateDispatcher?.close()]).then(() => undefined)
      : Promise.resolve();
    return closing;
  };
  return {
    call(call) {
      open();
      return forwardJson(dispatcherFor(call.target), resolved, call);
    },
    stream(call, sink) {
      open();
      return forwardStream(dispatcherFor(call.target), resolved, call, sink);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
