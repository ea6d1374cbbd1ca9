import type { Dispatcher } from 'undici';
import type { CallScope } from './call-scope.js';
import { classifyError } from './classify-error.js';
import { readBody } from './read-body.js';
import { redactJson, redactSecret } from './redact-secret.js';
import { headerValue, requestIdOf } from './relayable-headers.js';
import type { UpstreamTarget } from './upstream-call.js';
import type { UpstreamFailure } from './upstream-failure.js';

/** How much of an error body is kept; provider errors are a few hundred bytes. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Turns a non-2xx answer into a `status` failure carrying the provider's status, `retry-after`
 * and error body (parsed JSON, or text), with the key redacted from the body in case the
 * provider echoed it.
 */
export async function statusFailure(
  response: Dispatcher.ResponseData,
  target: UpstreamTarget,
  scope: CallScope,
): Promise<UpstreamFailure> {
  const failure: UpstreamFailure = {
    kind: 'status',
    status: response.statusCode,
    message: `Provider "${target.providerId}" answered with status ${response.statusCode}.`,
  };
  const retryAfter = headerValue(response.headers, 'retry-after');
  if (retryAfter !== undefined) failure.retryAfter = retryAfter;
  const requestId = requestIdOf(response.headers);
  if (requestId !== undefined) failure.requestId = requestId;
  try {
    const { bytes } = await readBody(response.body, MAX_ERROR_BODY_BYTES);
    if (bytes.length > 0) failure.body = redactedBody(bytes.toString('utf8'), target.apiKey);
  } catch (error) {
    // The status says enough; an error body that could not be read is left out. A bug is not.
    classifyError(error, scope, target);
  }
  return failure;
}

function redactedBody(text: string, secret: string): unknown {
  try {
    return redactJson(JSON.parse(text), secret);
  } catch {
    return redactSecret(text, secret);
  }
}
