import type { Dispatcher } from 'undici';
import { AnthropicStreamReader } from './anthropic-stream-reader.js';
import { CallScope } from './call-scope.js';
import { scopeFailure } from './classify-error.js';
import { OpenAIStreamReader } from './openai-stream-reader.js';
import { discardBody } from './read-body.js';
import { redactJson } from './redact-secret.js';
import { relayEvents } from './relay-events.js';
import { headerValue, relayableHeaders, requestIdOf } from './relayable-headers.js';
import { sendRequest } from './send-request.js';
import { statusFailure } from './status-failure.js';
import type { StreamEventReader } from './stream-event-reader.js';
import type { StreamSink } from './stream-sink.js';
import type { UpstreamCall, UpstreamTarget } from './upstream-call.js';
import type { UpstreamFailure } from './upstream-failure.js';
import type { ResolvedUpstreamOptions } from './upstream-options.js';
import { buildUpstreamRequest } from './upstream-request.js';
import type { StreamResult } from './upstream-result.js';

/**
 * Forwards a streaming call: once the provider answers 2xx with an event stream, starts `sink`
 * and relays each event's bytes as they come, reading usage and output text on the way.
 * Upstream problems end up in `failure`; `sink` is started only for a real event stream, so a
 * failure before it leaves the pipeline free to answer with an ordinary error.
 *
 * @throws {TypeError} for a call with `stream: false`, for an endpoint that does not stream, or
 *   for a call {@link buildUpstreamRequest} refuses; and whatever `sink` throws.
 */
export async function forwardStream(
  dispatcher: Dispatcher,
  options: ResolvedUpstreamOptions,
  call: UpstreamCall,
  sink: StreamSink,
): Promise<StreamResult> {
  if (!call.stream) throw new TypeError('A call with `stream: false` goes through call()');
  if (call.endpoint !== 'chat.completions' && call.endpoint !== 'messages') {
    throw new TypeError(`Endpoint ${call.endpoint} does not stream`);
  }
  const request = buildUpstreamRequest(call, 'text/event-stream');
  const { target } = call;
  const reader: StreamEventReader =
    target.api === 'openai' ? new OpenAIStreamReader(call.appWantsUsage) : new AnthropicStreamReader();
  const scope = new CallScope(call.signal, options.callTimeoutMs);
  let started = false;
  let requestId: string | undefined;
  let failure: UpstreamFailure | undefined;
  try {
    const sent = await sendRequest(dispatcher, request, target, options, scope);
    if (!sent.ok) {
      failure = sent.failure;
    } else {
      const { response } = sent;
      requestId = requestIdOf(response.headers);
      const contentType = headerValue(response.headers, 'content-type') ?? '';
      if (response.statusCode < 200 || response.statusCode > 299) {
        failure = await statusFailure(response, target, scope);
      } else if (!/^text\/event-stream\b/i.test(contentType)) {
        discardBody(response.body);
        const message = `Provider "${target.providerId}" answered a stream with "${contentType}", not an event stream.`;
        failure = { kind: 'protocol', status: response.statusCode, message };
      } else {
        started = true;
        try {
          sink.start(response.statusCode, relayableHeaders(response.headers));
        } catch (error) {
          discardBody(response.body); // a paused body would hold its connection forever
          throw error;
        }
        failure = await relayEvents(response.body, reader, sink, scope, target);
      }
    }
    return {
      started,
      completed: reader.completed,
      clientAborted: !reader.completed && scope.clientAborted,
      usage: reader.usage,
      outputTokensFromText: reader.outputTokensFromText,
      deliveredAnyOutput: reader.deliveredAnyOutput,
      requestId,
      ...(reader.completed ? {} : { failure: incompleteFailure(reader, scope, target, failure, requestId) }),
    };
  } finally {
    scope.end();
  }
}

/** Why a stream did not complete: the app leaving wins, then an error event the provider sent. */
function incompleteFailure(
  reader: StreamEventReader,
  scope: CallScope,
  target: UpstreamTarget,
  failure: UpstreamFailure | undefined,
  requestId: string | undefined,
): UpstreamFailure {
  const ended = scopeFailure(scope, target);
  if (ended?.kind === 'aborted') return { ...ended, requestId };
  if (reader.errorEvent !== undefined) {
    return {
      kind: 'error_event',
      body: redactJson(reader.errorEvent, target.apiKey),
      message: `Provider "${target.providerId}" reported an error in the stream.`,
      requestId,
    };
  }
  return {
    ...(failure ?? {
      kind: 'protocol',
      message: `The stream of provider "${target.providerId}" ended before its final event.`,
    }),
    requestId,
  };
}
