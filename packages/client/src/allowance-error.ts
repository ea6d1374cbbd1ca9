/** What every {@link AllowanceError} may carry besides its code and message. */
export interface AllowanceErrorOptions {
  /** The HTTP status of the response that carried the error, when there was one. */
  status?: number | undefined;
  /** The error this one was made from (an SDK error, an oauth4webapi error, a network failure). */
  cause?: unknown;
}

/**
 * The one error type this package throws. `code` is stable and is the code on the wire: a gateway
 * code from the spec's error table (`budget_exhausted`, `grant_revoked`, …), an OAuth code from
 * the wallet's authorization or token endpoint (`access_denied`, `invalid_grant`, …), or one of
 * this package's own (`invalid_wallet_metadata`, `invalid_callback`, `not_gateway_url`,
 * `invalid_saved_connection`, `unexpected_response`). Subclasses exist for the codes an app
 * usually handles on its own.
 *
 * @example
 * try {
 *   await openai.chat.completions.create({ model: 'gpt-4.1-mini', messages });
 * } catch (error) {
 *   const refusal = toAllowanceError(error);
 *   if (refusal?.code === 'max_output_tokens_exceeded') console.log('ask for fewer tokens');
 *   else throw error;
 * }
 */
export class AllowanceError extends Error {
  override name = 'AllowanceError';
  /** The stable error code. */
  readonly code: string;
  /** The HTTP status that carried the error, if it came in a response. */
  readonly status: number | undefined;

  constructor(code: string, message: string, options: AllowanceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}
