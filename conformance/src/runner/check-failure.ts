import { inspect, isDeepStrictEqual } from 'node:util';

/** Thrown by an assertion: the check fails with this message. */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

/** Thrown to report a check as skipped (feature not advertised, driver operation missing). */
export class CheckSkipped extends Error {
  override readonly name = 'CheckSkipped';
}

const show = (value: unknown) => inspect(value, { depth: 4, breakLength: 120 });

/** Fails the check unless `condition` holds. */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message);
}

/** Fails the check unless `actual` deeply equals `expected`. */
export function expectEqual<T>(actual: unknown, expected: T, what: string): asserts actual is T {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new CheckFailure(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Skips the check with a reason. */
export function skip(reason: string): never {
  throw new CheckSkipped(reason);
}
