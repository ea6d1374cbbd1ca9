import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { OperatorError } from './operator-errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Every operator request carries `Authorization: Bearer <operator token>`; anything else is 401
 * `invalid_token`. The comparison is of fixed-length digests in constant time, so neither the
 * token's content nor its length leaks through timing.
 */
export function operatorAuth(token: string) {
  const expected = digest(token);
  return async (context: Context, next: Next) => {
    const presented = /^Bearer ([^\s]+)$/.exec(context.get('authorization'))?.[1] ?? '';
    if (!timingSafeEqual(digest(presented), expected)) {
      context.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new OperatorError(401, 'invalid_token', 'A missing or wrong operator token.');
    }
    await next();
  };
}
