import { type ApiFamily, GATEWAY_ERRORS, type GatewayErrorCode, gatewayErrorBody } from '@allowance/protocol';

/**
 * A refusal on its way to the app: a stable code (spec 05-gateway error table), a message that
 * says what to do, and what the wire needs besides the body.
 */
export class GatewayError extends Error {
  readonly status: number;
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly options: {
      /** Members added to the error object (for example a pending confirmation). */
      extras?: Record<string, unknown>;
      /** Extra response headers, such as retry-after or DPoP-Nonce. */
      headers?: Record<string, string>;
      /** The RFC 6750 error for WWW-Authenticate on a 401. */
      challengeError?: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce';
    } = {},
  ) {
    super(message);
    this.status = GATEWAY_ERRORS[code].status;
  }

  /** The JSON body in the shape the endpoint's SDK parses. */
  body(family: ApiFamily) {
    return gatewayErrorBody(family, this.code, this.message, this.options.extras);
  }
}
