import { randomBytes } from 'node:crypto';
import { parseRules, type SimulationRule } from './rules.js';
import { ConfigurationError, expectRecord, readInteger, readString, rejectUnknownKeys } from './validate.js';

/** Wire protocol a simulated provider speaks. */
export type ProviderFamily = 'openai' | 'anthropic';

/** One simulated provider, mounted under `/<id>/`. */
export interface ProviderConfig {
  /** URL segment and name in the call log: lower-case letters, digits and dashes. */
  readonly id: string;
  /** Which API it imitates; `openai` covers OpenAI-compatible providers such as DeepSeek. */
  readonly family: ProviderFamily;
  /** The only key it accepts (as `Authorization: Bearer`, or `x-api-key` for Anthropic). */
  readonly apiKey: string;
  /** Model ids its models endpoint lists; defaults to a catalogue for known ids or the family. */
  readonly models?: readonly string[];
}

/** Creates an id with the given prefix (`chatcmpl-`, `msg_`, `req_`); injectable for tests. */
export type IdGenerator = (prefix: string) => string;

/** Options for {@link startProviderSim}. Every field is optional; defaults are listed on each. */
export interface ProviderSimOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port to listen on; `0` picks a free one. Default `0`. */
  readonly port?: number;
  /** Providers to mount. Default {@link DEFAULT_PROVIDERS}. */
  readonly providers?: readonly ProviderConfig[];
  /** Initial knob rules. Default none. */
  readonly rules?: readonly SimulationRule[];
  /** How many calls the log keeps; older ones are forgotten. Default 10 000. */
  readonly maxCalls?: number;
  /** Largest request body accepted, in bytes; larger gets 413. Default 32 MiB. */
  readonly maxBodyBytes?: number;
  /** Current time in epoch milliseconds, for `created` fields and the call log. Default `Date.now`. */
  readonly clock?: () => number;
  /** Id generator. Default: prefix followed by random base-62 characters. */
  readonly createId?: IdGenerator;
}

/** {@link ProviderSimOptions} after validation, with every default filled in. Frozen. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly providers: readonly ProviderConfig[];
  readonly rules: readonly SimulationRule[];
  readonly maxCalls: number;
  readonly maxBodyBytes: number;
  readonly clock: () => number;
  readonly createId: IdGenerator;
}

/** The providers mounted when none are configured. */
export const DEFAULT_PROVIDERS: readonly ProviderConfig[] = Object.freeze([
  Object.freeze({ id: 'openai', family: 'openai', apiKey: 'sk-sim-openai' }),
  Object.freeze({ id: 'anthropic', family: 'anthropic', apiKey: 'sk-ant-sim-anthropic' }),
  Object.freeze({ id: 'deepseek', family: 'openai', apiKey: 'sk-sim-deepseek' }),
] satisfies ProviderConfig[]);

const OPTION_KEYS = [
  'host',
  'port',
  'providers',
  'rules',
  'maxCalls',
  'maxBodyBytes',
  'clock',
  'createId',
] as const;
const PROVIDER_KEYS = ['id', 'family', 'apiKey', 'models'] as const;
const PROVIDER_ID = /^[a-z0-9][a-z0-9-]*$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Validates `options` once, fills defaults and freezes the result.
 *
 * @throws {ConfigurationError} naming the dotted path of the first bad option.
 */
export function resolveOptions(options: ProviderSimOptions = {}): ResolvedOptions {
  const record = expectRecord(options, 'options');
  rejectUnknownKeys(record, OPTION_KEYS, 'options');
  const clock = readFunction(record, 'clock') ?? Date.now;
  const createId = readFunction(record, 'createId') ?? randomId;
  return Object.freeze({
    host: readString(record, 'host', 'options') ?? '127.0.0.1',
    port: readInteger(record, 'port', 'options', { minimum: 0, maximum: 65_535 }) ?? 0,
    providers: parseProviders(record.providers ?? DEFAULT_PROVIDERS),
    rules: parseRules(record.rules ?? [], 'options.rules'),
    maxCalls: readInteger(record, 'maxCalls', 'options', { minimum: 1 }) ?? 10_000,
    maxBodyBytes: readInteger(record, 'maxBodyBytes', 'options', { minimum: 1 }) ?? 32 * 1024 * 1024,
    clock: clock as () => number,
    createId: createId as IdGenerator,
  });
}

function parseProviders(input: unknown): readonly ProviderConfig[] {
  const path = 'options.providers';
  if (!Array.isArray(input) || input.length === 0) {
    throw new ConfigurationError(path, 'must be a non-empty array');
  }
  const seen = new Set<string>();
  return Object.freeze(
    input.map((entry, index) => {
      const where = `${path}[${index}]`;
      const record = expectRecord(entry, where);
      rejectUnknownKeys(record, PROVIDER_KEYS, where);
      const id = readString(record, 'id', where);
      if (id === undefined || !PROVIDER_ID.test(id)) {
        throw new ConfigurationError(`${where}.id`, 'must be lower-case letters, digits and dashes');
      }
      if (seen.has(id)) throw new ConfigurationError(`${where}.id`, `duplicates provider "${id}"`);
      seen.add(id);
      if (record.family !== 'openai' && record.family !== 'anthropic') {
        throw new ConfigurationError(`${where}.family`, 'must be "openai" or "anthropic"');
      }
      const apiKey = readString(record, 'apiKey', where);
      if (apiKey === undefined) throw new ConfigurationError(`${where}.apiKey`, 'is required');
      const models = parseModels(record.models, `${where}.models`);
      return Object.freeze({ id, family: record.family, apiKey, ...(models ? { models } : {}) });
    }),
  );
}

function parseModels(input: unknown, path: string): readonly string[] | undefined {
  if (input === undefined) return undefined;
  if (!Array.isArray(input) || input.some((model) => typeof model !== 'string' || model.length === 0)) {
    throw new ConfigurationError(path, 'must be an array of non-empty strings');
  }
  return Object.freeze([...input]);
}

function readFunction(record: Readonly<Record<string, unknown>>, key: string): unknown {
  const value = record[key];
  if (value !== undefined && typeof value !== 'function') {
    throw new ConfigurationError(`options.${key}`, 'must be a function');
  }
  return value;
}

/** Default {@link IdGenerator}: the prefix and 24 random base-62 characters. */
export function randomId(prefix: string): string {
  const bytes = randomBytes(24);
  let suffix = '';
  for (const byte of bytes) suffix += BASE62[byte % BASE62.length];
  return `${prefix}${suffix}`;
}
