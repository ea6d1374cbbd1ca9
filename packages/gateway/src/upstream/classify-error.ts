import type { CallScope } from './call-scope.js';
import { DestinationRefusedError, refusedFailure } from './destination-guard.js';
import { redactSecret } from './redact-secret.js';
import type { UpstreamTarget } from './upstream-call.js';
import type { UpstreamFailure } from './upstream-failure.js';

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

const PROTOCOL_CODES = new Set(['UND_ERR_RES_EXCEEDED_MAX_SIZE', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']);

// undici's way of saying it was called wrongly: a bug in the gateway, not a provider problem.
const PROGRAMMING_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_INVALID_RETURN_VALUE',
  'UND_ERR_NOT_SUPPORTED',
]);

/**
 * Turns what the HTTP client threw into an {@link UpstreamFailure}. The app going away and the
 * whole-call deadline are read from `scope`, since undici reports both as a bare abort. Anything
 * that is not a network or protocol error is a bug and is thrown again.
 */
export function classifyError(error: unknown, scope: CallScope, target: UpstreamTarget): UpstreamFailure {
  const ended = scopeFailure(scope, target);
  if (ended !== undefined) return ended;
  const provider = `provider "${target.providerId}"`;
  const refused = refusedError(error);
  if (refused !== undefined) return refusedFailure(target, refused.problem, refused.message);
  const code = errorCode(error);
  if (code === undefined || PROGRAMMING_CODES.has(code)) throw error;
  const detail = redactSecret(error instanceof Error ? error.message : String(error), target.apiKey);
  if (TIMEOUT_CODES.has(code)) {
    return { kind: 'timeout', message: `${provider} did not answer in time (${detail}).` };
  }
  if (PROTOCOL_CODES.has(code) || code.startsWith('HPE_')) {
    return { kind: 'protocol', message: `${provider} sent an invalid HTTP response (${detail}).` };
  }
  return { kind: 'connect', message: `Could not talk to ${provider} (${detail}).` };
}

/** The failure of a call whose scope ended (the app went away, or time ran out), if it did. */
export function scopeFailure(scope: CallScope, target: UpstreamTarget): UpstreamFailure | undefined {
  const provider = `provider "${target.providerId}"`;
  if (scope.clientAborted) {
    return { kind: 'aborted', message: `The app went away; the call to ${provider} was aborted.` };
  }
  if (scope.timedOut) {
    return { kind: 'timeout', message: `The call to ${provider} did not finish in the time allowed.` };
  }
  return undefined;
}

/** The connect-time refusal (spec SEC-8) behind an error, however undici wrapped it. */
function refusedError(error: unknown): DestinationRefusedError | undefined {
  for (let current = error, depth = 0; depth < 5; depth += 1) {
    if (current instanceof DestinationRefusedError) return current;
    if (typeof current !== 'object' || current === null) return undefined;
    const { cause, errors } = current as { cause?: unknown; errors?: unknown };
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return undefined;
}

/** The `code` of an error, of its `cause`, or of the first of an `AggregateError`'s errors. */
function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; depth < 5; depth += 1) {
    if (typeof current !== 'object' || current === null) return undefined;
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') return code;
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return undefined;
}
