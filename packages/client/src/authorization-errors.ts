import * as oauth from 'oauth4webapi';
import { AllowanceError, type AllowanceErrorOptions } from './allowance-error.js';

/**
 * `access_denied`: the user denied the request on the consent screen (spec [AUTH-17]), or, in the
 * device flow, on the device consent screen. Nothing was granted.
 */
export class AuthorizationDeniedError extends AllowanceError {
  override name = 'AuthorizationDeniedError';
  constructor(message = 'The user denied the request.', options: AllowanceErrorOptions = {}) {
    super('access_denied', message, options);
  }
}

/**
 * The wallet refused the connection's refresh token (`invalid_grant`, spec [TOK-2], [TOK-3]):
 * the grant was revoked or has expired, or the refresh token was used twice. The connection is
 * over; run the authorization flow again.
 */
export class ReauthorizationRequiredError extends AllowanceError {
  override name = 'ReauthorizationRequiredError';
  constructor(
    message = 'The wallet no longer accepts this connection; authorize again.',
    options: AllowanceErrorOptions & { code?: string } = {},
  ) {
    super(options.code ?? 'invalid_grant', message, options);
  }
}

/** An `ai_allowance` request that is not valid under spec Part 3, found before anything was sent. */
export class InvalidAllowanceError extends AllowanceError {
  override name = 'InvalidAllowanceError';
  /** Every problem, as `path: message`. */
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super('invalid_authorization_details', `Invalid allowance request:\n  ${issues.join('\n  ')}`);
    this.issues = issues;
  }
}

/**
 * Turns what oauth4webapi throws into an {@link AllowanceError} carrying the OAuth error code, and
 * rethrows anything else (a network failure, an abort) unchanged.
 */
export function throwAsAllowanceError(error: unknown): never {
  if (error instanceof AllowanceError) throw error;
  if (error instanceof oauth.AuthorizationResponseError) {
    const message = error.error_description ?? error.error;
    if (error.error === 'access_denied') throw new AuthorizationDeniedError(message, { cause: error });
    throw new AllowanceError(error.error, message, { cause: error });
  }
  if (error instanceof oauth.ResponseBodyError) {
    throw new AllowanceError(error.error, error.error_description ?? error.error, {
      status: error.status,
      cause: error,
    });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = error.cause.find((candidate) => candidate.parameters.error);
    const code = challenge?.parameters.error ?? 'invalid_client';
    throw new AllowanceError(code, challenge?.parameters.error_description ?? code, {
      status: error.status,
      cause: error,
    });
  }
  if (error instanceof oauth.OperationProcessingError) {
    throw new AllowanceError('unexpected_response', error.message, { cause: error });
  }
  throw error;
}
