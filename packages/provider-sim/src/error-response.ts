import type { ProviderFamily } from './options.js';
import type { ProviderError } from './provider-error.js';

/** A rendered error: status, extra headers and JSON body in a provider family's shape. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** The `type` written in the body, for the call log. */
  readonly type: string;
}

interface ErrorWording {
  readonly type: string;
  readonly message: string;
  readonly code?: string;
}

// Types and wording follow what api.openai.com sends: most client errors are
// `invalid_request_error`, rate limits are typed by the limit hit (`requests`), 5xx are
// `server_error`. OpenAI never sends 529; a fault asking for it gets the 503 wording.
const OPENAI_WORDING: Readonly<Record<number, ErrorWording>> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message:
      'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  403: { type: 'invalid_request_error', message: 'You are not allowed to access this resource.' },
  404: { type: 'invalid_request_error', message: 'Not found.' },
  413: { type: 'invalid_request_error', message: 'Request body too large.' },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests per min (RPM). Please try again later.',
  },
  500: {
    type: 'server_error',
    message: 'The server had an error while processing your request. Sorry about that!',
  },
  503: { type: 'server_error', message: 'The engine is currently overloaded, please try again later.' },
  529: { type: 'server_error', message: 'The engine is currently overloaded, please try again later.' },
};

// Types from https://docs.anthropic.com/en/api/errors.
const ANTHROPIC_WORDING: Readonly<Record<number, ErrorWording>> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  403: {
    type: 'permission_error',
    message: 'Your API key does not have permission to use the specified resource.',
  },
  404: { type: 'not_found_error', message: 'Not found' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  429: {
    type: 'rate_limit_error',
    message: "This request would exceed your organization's rate limit. Please try again later.",
  },
  500: { type: 'api_error', message: 'Internal server error' },
  503: { type: 'api_error', message: 'Service unavailable' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

/** Renders `error` in the wire shape of `family`, tagging it with `requestId`. */
export function renderError(family: ProviderFamily, error: ProviderError, requestId: string): ErrorResponse {
  const table = family === 'openai' ? OPENAI_WORDING : ANTHROPIC_WORDING;
  const wording = table[error.status] ?? table[error.status >= 500 ? 500 : 400] ?? table[400];
  const type = wording?.type ?? 'invalid_request_error';
  const message = error.hasMessage ? error.message : (wording?.message ?? error.message);
  const retryAfter = error.retryAfterSeconds ?? (error.status === 429 ? 1 : undefined);
  const headers: Record<string, string> =
    retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
  if (family === 'openai') {
    const code = error.code ?? wording?.code ?? null;
    return {
      status: error.status,
      headers,
      type,
      body: { error: { message, type, param: error.param ?? null, code } },
    };
  }
  return {
    status: error.status,
    headers,
    type,
    body: { type: 'error', error: { type, message }, request_id: requestId },
  };
}
