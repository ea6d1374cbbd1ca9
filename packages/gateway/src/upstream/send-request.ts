import type { Dispatcher } from 'undici';
import type { CallScope } from './call-scope.js';
import { classifyError } from './classify-error.js';
import { destinationFailure } from './destination-guard.js';
import type { UpstreamTarget } from './upstream-call.js';
import type { UpstreamFailure } from './upstream-failure.js';
import type { UpstreamRequest } from './upstream-request.js';

/** The time limits of one request. */
export interface RequestTimeouts {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/** The provider's response head with its unread body, or why there is none. */
export type SendOutcome =
  | { ok: true; response: Dispatcher.ResponseData }
  | { ok: false; failure: UpstreamFailure };

/**
 * Sends `request` and waits for the response head. Redirects are not followed (undici's
 * `request` never does, and no redirect interceptor is installed), so the key goes to the
 * configured origin only (spec SEC-7). A base URL the key must not go to (`http` to a host that
 * is not loopback, SEC-7; a forbidden or unchosen private address, SEC-8) is refused here, before
 * anything is sent, whatever the dispatcher; a name is checked again as it is connected to.
 */
export async function sendRequest(
  dispatcher: Dispatcher,
  request: UpstreamRequest,
  target: UpstreamTarget,
  timeouts: RequestTimeouts,
  scope: CallScope,
): Promise<SendOutcome> {
  const refused = destinationFailure(target);
  if (refused !== undefined) return { ok: false, failure: refused };
  try {
    const response = await dispatcher.request({
      origin: request.origin,
      path: request.path,
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: scope.signal,
      headersTimeout: timeouts.headersTimeoutMs,
      bodyTimeout: timeouts.bodyTimeoutMs,
    });
    return { ok: true, response };
  } catch (error) {
    return { ok: false, failure: classifyError(error, scope, target) };
  }
}
