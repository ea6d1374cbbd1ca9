import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

/** A refusal of the operator interface, with its wire fields (conformance/OPERATOR.md). */
export class OperatorError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 413 | 415,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/** 400 `invalid_request`: the body is not what the operation takes. */
export const invalidRequest = (description: string) => new OperatorError(400, 'invalid_request', description);

/** 404 `not_found`: no such grant, price or credential of the test user. */
export const notFound = (description: string) => new OperatorError(404, 'not_found', description);

/** Answers every failure as `{ error, error_description }`, never a stack. */
export function operatorErrors(logger: Logger) {
  return async (context: Context, next: Next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof OperatorError) {
        context.status = error.status;
        context.body = { error: error.error, error_description: error.description };
        return;
      }
      logger.error({ error: String(error), path: context.path }, 'operator interface request failed');
      context.status = 500;
      context.body = {
        error: 'server_error',
        error_description: 'The operation failed; see the wallet log.',
      };
    }
  };
}
