/**
 * A simulator option or rule that failed validation. `path` is the full dotted path of the
 * offending value (for example `rules[2].fault.status`) so a bad option fails fast and says where.
 */
export class ConfigurationError extends Error {
  /** Dotted path of the rejected value, e.g. `providers[0].apiKey`. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'ConfigurationError';
    this.path = path;
  }
}

/** Bounds for {@link readInteger}. */
export interface IntegerBounds {
  readonly minimum?: number;
  readonly maximum?: number;
}

/** Returns `value` as a plain object, or throws a {@link ConfigurationError} naming `path`. */
export function expectRecord(value: unknown, path: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError(path, 'must be an object');
  }
  return value as Record<string, unknown>;
}

/** Rejects keys of `record` that are not in `allowed`, so a misspelt option is not silently ignored. */
export function rejectUnknownKeys(
  record: Readonly<Record<string, unknown>>,
  allowed: readonly string[],
  path: string,
): void {
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) {
      throw new ConfigurationError(
        `${path}.${key}`,
        `is not a known option (expected one of ${allowed.join(', ')})`,
      );
    }
  }
}

/** Reads an optional integer within bounds; `undefined` when absent. */
export function readInteger(
  record: Readonly<Record<string, unknown>>,
  key: string,
  path: string,
  bounds: IntegerBounds = {},
): number | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  const where = `${path}.${key}`;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ConfigurationError(where, 'must be an integer');
  }
  if (bounds.minimum !== undefined && value < bounds.minimum) {
    throw new ConfigurationError(where, `must be at least ${bounds.minimum}`);
  }
  if (bounds.maximum !== undefined && value > bounds.maximum) {
    throw new ConfigurationError(where, `must be at most ${bounds.maximum}`);
  }
  return value;
}

/** Reads an optional finite, non-negative number; `undefined` when absent. */
export function readNonNegativeNumber(
  record: Readonly<Record<string, unknown>>,
  key: string,
  path: string,
): number | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`${path}.${key}`, 'must be a finite number ≥ 0');
  }
  return value;
}

/** Reads an optional non-empty string; `undefined` when absent. */
export function readString(
  record: Readonly<Record<string, unknown>>,
  key: string,
  path: string,
): string | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigurationError(`${path}.${key}`, 'must be a non-empty string');
  }
  return value;
}

/** Reads an optional boolean; `undefined` when absent. */
export function readBoolean(
  record: Readonly<Record<string, unknown>>,
  key: string,
  path: string,
): boolean | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    throw new ConfigurationError(`${path}.${key}`, 'must be a boolean');
  }
  return value;
}
