import type { Usage } from '@allowance/protocol';
import type { Dispatcher } from 'undici';
import { CallScope } from './call-scope.js';
import { classifyError } from './classify-error.js';
import { isRecord } from './is-record.js';
import { anthropicUsage, embeddingsUsage, openAIUsage } from './normalize-usage.js';
import { type BodyBytes, readBody } from './read-body.js';
import { relayableHeaders, requestIdOf } from './relayable-headers.js';
import { sendRequest } from './send-request.js';
import { statusFailure } from './status-failure.js';
import type { UpstreamCall, UpstreamEndpoint } from './upstream-call.js';
import type { ResolvedUpstreamOptions } from './upstream-options.js';
import { buildUpstreamRequest } from './upstream-request.js';
import type { UpstreamResult } from './upstream-result.js';

/**
 * Forwards a non-streaming call and reads its whole JSON answer, with usage normalized from it.
 * Upstream problems come back as `{ ok: false, failure }`.
 *
 * @throws {TypeError} for a call with `stream: true`, or one that {@link buildUpstreamRequest}
 *   refuses: bugs in the caller.
 */
export async function forwardJson(
  dispatcher: Dispatcher,
  options: ResolvedUpstreamOptions,
  call: UpstreamCall,
): Promise<UpstreamResult> {
  if (call.stream) throw new TypeError('A call with `stream: true` goes through stream()');
  const request = buildUpstreamRequest(call, 'application/json');
  const { target } = call;
  const scope = new CallScope(call.signal, options.callTimeoutMs);
  try {
    const sent = await sendRequest(dispatcher, request, target, options, scope);
    if (!sent.ok) return sent;
    const { response } = sent;
    if (response.statusCode < 200 || response.statusCode > 299) {
      return { ok: false, failure: await statusFailure(response, target, scope) };
    }
    let body: BodyBytes;
    try {
      body = await readBody(response.body, options.maxResponseBytes);
    } catch (error) {
      return { ok: false, failure: classifyError(error, scope, target) };
    }
    const requestId = requestIdOf(response.headers);
    const provider = `Provider "${target.providerId}"`;
    if (body.truncated) {
      const message = `${provider} sent a response larger than ${options.maxResponseBytes} bytes.`;
      return { ok: false, failure: { kind: 'protocol', message, requestId } };
    }
    let json: unknown;
    try {
      json = JSON.parse(body.bytes.toString('utf8'));
    } catch {
      const message = `${provider} answered ${response.statusCode} with a body that is not JSON.`;
      return { ok: false, failure: { kind: 'protocol', message, requestId } };
    }
    return {
      ok: true,
      status: response.statusCode,
      headers: relayableHeaders(response.headers),
      body: body.bytes,
      usage: responseUsage(call.endpoint, json),
      requestId,
    };
  } finally {
    scope.end();
  }
}

/** Usage of a complete response ([Part 6 §6.2.1]); count_tokens is not metered. */
function responseUsage(endpoint: UpstreamEndpoint, json: unknown): Usage | undefined {
  const usage = isRecord(json) ? json.usage : undefined;
  switch (endpoint) {
    case 'chat.completions':
      return openAIUsage(usage);
    case 'embeddings':
      return embeddingsUsage(usage);
    case 'messages':
      return anthropicUsage(usage);
    case 'messages.count_tokens':
      return undefined;
  }
}
