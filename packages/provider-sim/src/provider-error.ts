/** Fields of a {@link ProviderError}; everything but `status` has a per-family default. */
export interface ProviderErrorFields {
  /** HTTP status. */
  readonly status: number;
  /** Human-readable message; defaults to the provider's usual wording for `status`. */
  readonly message?: string;
  /** OpenAI `error.code` (e.g. `invalid_api_key`); ignored by the Anthropic shape. */
  readonly code?: string;
  /** OpenAI `error.param`, the offending request field; ignored by the Anthropic shape. */
  readonly param?: string;
  /** Sent as `retry-after` when set. */
  readonly retryAfterSeconds?: number;
}

/**
 * An error a simulated provider answers with. It is data: the route renders it in the provider
 * family's wire shape (see `error-response.ts`), so request checks simply throw it.
 */
export class ProviderError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly param: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** Whether `message` was given, rather than left to the family's default wording. */
  readonly hasMessage: boolean;

  constructor(fields: ProviderErrorFields) {
    super(fields.message ?? `HTTP ${fields.status}`);
    this.name = 'ProviderError';
    this.status = fields.status;
    this.code = fields.code;
    this.param = fields.param;
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.hasMessage = fields.message !== undefined;
  }
}

/** A 400 for a bad request field; `param` names the field as OpenAI's `error.param` does. */
export function invalidRequest(message: string, param?: string, code?: string): ProviderError {
  return new ProviderError({
    status: 400,
    message,
    ...(param === undefined ? {} : { param }),
    ...(code === undefined ? {} : { code }),
  });
}
