import { AllowanceError } from './allowance-error.js';
import { type Confirmation, gatewayError, isGatewayErrorCode } from './gateway-errors.js';

type Loose = Record<string, unknown>;

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null;
}

/**
 * The gateway's error object inside `value`: `value.error` when it carries a gateway code (a raw
 * body in either family's shape, or an Anthropic SDK error, whose `error` is the whole body), or
 * `value` itself (an OpenAI SDK error's `error`, which is the inner object).
 */
function errorObjectIn(value: unknown): Loose | undefined {
  if (!isObject(value)) return undefined;
  if (isObject(value.error) && isGatewayErrorCode(value.error.code)) return value.error;
  if (isGatewayErrorCode(value.code) && typeof value.message === 'string') return value;
  return undefined;
}

function retryAfterSeconds(headers: unknown): number | undefined {
  let value: unknown;
  if (headers instanceof Headers) value = headers.get('retry-after');
  else if (isObject(headers)) value = headers['retry-after'];
  const seconds = Number(value);
  return typeof value === 'string' && Number.isInteger(seconds) && seconds >= 0 ? seconds : undefined;
}

function confirmationOf(errorObject: Loose): Confirmation | undefined {
  const confirmation = errorObject.confirmation;
  if (!isObject(confirmation)) return undefined;
  const { id, url, expires_at: expiresAt, estimated_max_cost: estimatedMaxCost } = confirmation;
  if ([id, url, expiresAt, estimatedMaxCost].some((member) => typeof member !== 'string')) return undefined;
  return {
    id: id as string,
    url: url as string,
    expiresAt: expiresAt as string,
    estimatedMaxCost: estimatedMaxCost as string,
  };
}

/**
 * Recognises a gateway refusal in whatever carried it and returns the typed error for its code
 * (spec 05-gateway §5.9): an error thrown by the official `openai` or `@anthropic-ai/sdk`
 * packages (`status`, `headers`, and the body's `error.code`), a raw gateway error body in the
 * OpenAI or Anthropic shape, an {@link AllowanceError} (returned as is), or an error whose `cause`
 * chain holds one of these (the SDKs wrap what a `fetch` throws, such as a refused refresh, in a
 * connection error). Returns `undefined` for anything else, including a provider's own 4xx that
 * the gateway relayed, so the caller can rethrow it.
 *
 * @example
 * try {
 *   await openai.chat.completions.create({ model: 'gpt-4.1', messages });
 * } catch (error) {
 *   const refusal = toAllowanceError(error);
 *   if (refusal instanceof ModelNotAllowedError) return fallBackToAllowedModel();
 *   if (refusal instanceof BudgetExhaustedError) return showBudgetMessage();
 *   throw error;
 * }
 */
export function toAllowanceError(error: unknown): AllowanceError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && isObject(current); depth += 1) {
    if (current instanceof AllowanceError) return current;
    const errorObject = errorObjectIn(current) ?? errorObjectIn(current.error);
    if (errorObject && isGatewayErrorCode(errorObject.code)) {
      const status = typeof current.status === 'number' ? current.status : undefined;
      const message = typeof errorObject.message === 'string' ? errorObject.message : errorObject.code;
      return gatewayError(errorObject.code, message, {
        status,
        cause: error,
        retryAfterSeconds: retryAfterSeconds(current.headers),
        confirmation: confirmationOf(errorObject),
      });
    }
    current = current.cause;
  }
  return undefined;
}
