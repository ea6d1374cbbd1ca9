import { z } from 'zod';

/**
 * Every error a gateway can return, with its HTTP status: the one table the spec's error section
 * (05-gateway) documents. Codes are stable; clients branch on them.
 */
export const GATEWAY_ERRORS = {
  invalid_json: { status: 400, summary: 'The body is not valid JSON.' },
  invalid_request: { status: 400, summary: 'The body is not a valid request for this endpoint.' },
  provider_unresolved: { status: 400, summary: 'No provider can be determined for this model.' },
  provider_api_mismatch: { status: 400, summary: "The provider's API family does not serve this endpoint." },
  token_required: { status: 401, summary: 'No access token was presented.' },
  invalid_token: { status: 401, summary: 'The access token is not valid for this gateway.' },
  invalid_dpop_proof: { status: 401, summary: 'The DPoP proof is missing, invalid or replayed.' },
  use_dpop_nonce: { status: 401, summary: 'The gateway requires a DPoP nonce.' },
  grant_revoked: { status: 401, summary: 'The grant was revoked.' },
  grant_expired: { status: 401, summary: 'The grant has expired.' },
  budget_exhausted: { status: 402, summary: 'A money limit would be exceeded.' },
  token_budget_exhausted: { status: 402, summary: 'A token limit would be exceeded.' },
  grant_suspended: { status: 403, summary: 'The grant is suspended.' },
  provider_not_allowed: { status: 403, summary: 'The grant does not allow this provider.' },
  model_not_allowed: { status: 403, summary: 'The grant does not allow this model.' },
  model_unpriced: { status: 403, summary: 'The model has no price and the grant is limited in money.' },
  max_input_tokens_exceeded: {
    status: 403,
    summary: "The input is larger than the grant's per-request cap.",
  },
  max_output_tokens_exceeded: {
    status: 403,
    summary: "The requested output is above the grant's per-request cap.",
  },
  ip_not_allowed: { status: 403, summary: "The client address is not in the grant's allowlist." },
  confirmation_required: { status: 403, summary: 'The call costs more than the confirmation threshold.' },
  confirmation_denied: { status: 403, summary: 'The user denied this confirmation.' },
  not_found: { status: 404, summary: 'No such endpoint.' },
  method_not_allowed: { status: 405, summary: 'The endpoint does not accept this method.' },
  request_too_large: { status: 413, summary: 'The body is larger than the gateway accepts.' },
  rate_limited: {
    status: 429,
    summary: "The grant's request rate is exhausted; retry after the given time.",
  },
  internal_error: { status: 500, summary: 'The gateway failed; nothing was billed.' },
  upstream_error: { status: 502, summary: 'The provider failed.' },
  provider_unavailable: { status: 503, summary: 'The wallet has no usable credential for this provider.' },
  upstream_timeout: { status: 504, summary: 'The provider did not answer in time.' },
} as const satisfies Record<string, { status: number; summary: string }>;

/** A stable gateway error code. */
export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

/** The API family whose error shape a response uses. */
export type ApiFamily = 'openai' | 'anthropic';

/**
 * The error `type` both official SDKs understand for a status. Anthropic's names, which OpenAI's
 * SDK also maps by status, so one table serves both families.
 */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 400:
    case 405:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    default:
      return 'api_error';
  }
}

/** Extra members an error object may carry, such as a pending confirmation. */
export type ErrorExtras = Record<string, unknown>;

/**
 * The JSON body of a gateway error in the shape the family's SDK parses:
 * OpenAI `{ error: { message, type, code, param } }`, Anthropic `{ type: 'error', error: { type, message, code } }`.
 */
export function gatewayErrorBody(
  family: ApiFamily,
  code: GatewayErrorCode,
  message: string,
  extras: ErrorExtras = {},
) {
  const type = errorTypeForStatus(GATEWAY_ERRORS[code].status);
  if (family === 'anthropic') {
    return { type: 'error', error: { type, message, code, ...extras } };
  }
  return { error: { message, type, code, param: null, ...extras } };
}

/** A gateway refusal as data: what the gateway answers and why. */
export interface Refusal {
  code: GatewayErrorCode;
  status: number;
  message: string;
}

/** Builds a {@link Refusal} for a code with a human-readable message. */
export function refusal(code: GatewayErrorCode, message: string = GATEWAY_ERRORS[code].summary): Refusal {
  return { code, status: GATEWAY_ERRORS[code].status, message };
}

const errorCode = z.enum(Object.keys(GATEWAY_ERRORS) as [GatewayErrorCode, ...GatewayErrorCode[]]);

/** A gateway error body on the OpenAI-compatible endpoints. */
export const openAiErrorBodySchema = z.strictObject({
  error: z.looseObject({ message: z.string(), type: z.string(), code: errorCode, param: z.null() }),
});

/** A gateway error body on the Anthropic-compatible endpoints. */
export const anthropicErrorBodySchema = z.strictObject({
  type: z.literal('error'),
  error: z.looseObject({ type: z.string(), message: z.string(), code: errorCode }),
});
