import type { Context } from 'koa';
import type { ActionOutcome } from '../dashboard/grant-actions.js';
import { OperatorError } from './operator-errors.js';

const CODES = { 400: 'invalid_request', 404: 'not_found', 409: 'conflict' } as const;

/** A dashboard action's outcome on the wire: 204, or its refusal as `{ error, error_description }`. */
export function answerOutcome(context: Context, outcome: ActionOutcome): void {
  if (!outcome.ok) {
    const details = outcome.problemDetails?.length ? ` ${outcome.problemDetails.join('; ')}` : '';
    throw new OperatorError(outcome.status, CODES[outcome.status], `${outcome.problem}${details}`);
  }
  context.status = 204;
}
