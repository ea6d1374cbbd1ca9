import {
  ConfigurationError,
  expectRecord,
  readBoolean,
  readInteger,
  readNonNegativeNumber,
  readString,
  rejectUnknownKeys,
} from './validate.js';

/** HTTP statuses a {@link SimulatedFault} can answer with; each maps to the provider's real error shape. */
export const FAULT_STATUSES = [400, 401, 403, 404, 429, 500, 503, 529] as const;

/** One of {@link FAULT_STATUSES}. */
export type FaultStatus = (typeof FAULT_STATUSES)[number];

/** An error response the simulator sends instead of doing the work. */
export interface SimulatedFault {
  /** HTTP status; the body uses the provider family's error type for it. */
  readonly status: FaultStatus;
  /**
   * Value of the `retry-after` header in seconds. A 429 sends `retry-after: 1` when this is
   * absent, as the real APIs do; other statuses send the header only when this is set.
   */
  readonly retryAfterSeconds?: number;
  /** Overrides the default error message. */
  readonly message?: string;
}

/**
 * A knob setting matched against each call. Rules are tried in order and the first that matches
 * wins; a rule with neither `provider` nor `model` matches every call.
 *
 * @example
 * ```ts
 * sim.setRules([
 *   { provider: 'anthropic', fault: { status: 529 }, times: 1 }, // first call overloaded, then normal
 *   { model: 'gpt-4o*', tokensPerSecond: 50, cachedInputTokens: 8 },
 * ]);
 * ```
 */
export interface SimulationRule {
  /** Provider id to match (e.g. `openai`); absent matches every provider. */
  readonly provider?: string;
  /**
   * Model to match: exact, or a pattern where `*` matches any run of characters
   * (`claude-*`). Absent matches every call, including ones without a model (model lists).
   */
  readonly model?: string;
  /** Apply the rule to this many matching calls only, then skip it. Absent: no limit. */
  readonly times?: number;
  /** Delay before the first byte of the response, in milliseconds. */
  readonly latencyMs?: number;
  /** Output pacing; `0` or absent sends as fast as possible. Also delays JSON responses. */
  readonly tokensPerSecond?: number;
  /** How many tokens the model "wants" to write (default 32), before `max_tokens` cuts it. */
  readonly responseTokens?: number;
  /** Prompt tokens to report as read from the prompt cache. */
  readonly cachedInputTokens?: number;
  /** Prompt tokens to report as written to the prompt cache (Anthropic family only). */
  readonly cacheWriteInputTokens?: number;
  /** Answer with this error instead of the normal response. */
  readonly fault?: SimulatedFault;
  /**
   * Destroy the socket after this many output tokens, before any final event (usage, stop,
   * `[DONE]`). A JSON (non-streamed) response is dropped before its body.
   */
  readonly dropAfterTokens?: number;
  /** Accept the request and never answer until the client goes away or the simulator closes. */
  readonly hang?: boolean;
  /**
   * Answer `307 Temporary Redirect` to this URL instead of doing the work, as a misconfigured
   * proxy or a hostile provider could; a client that follows it sends its request (and its
   * credential) there.
   */
  readonly redirectTo?: string;
  /**
   * Send what api.openai.com's edge sends beside the answer: a `set-cookie` (Cloudflare's
   * `__cf_bm`) and the headers that describe the account (`openai-organization`,
   * `openai-project`, `x-ratelimit-*`; Anthropic: `anthropic-organization-id`,
   * `anthropic-ratelimit-*`).
   */
  readonly setCookie?: boolean;
  /**
   * Report no usage, as some OpenAI-compatible providers do: no `usage` member in a JSON
   * completion, no usage chunk in a stream even with `include_usage`. OpenAI family only
   * (Anthropic always reports usage).
   */
  readonly omitUsage?: boolean;
  /** Write `responseTokens` whatever `max_tokens` says, as a provider ignoring the output cap would. */
  readonly ignoreMaxTokens?: boolean;
}

const RULE_KEYS = [
  'provider',
  'model',
  'times',
  'latencyMs',
  'tokensPerSecond',
  'responseTokens',
  'cachedInputTokens',
  'cacheWriteInputTokens',
  'fault',
  'dropAfterTokens',
  'hang',
  'redirectTo',
  'setCookie',
  'omitUsage',
  'ignoreMaxTokens',
] as const;

const FAULT_KEYS = ['status', 'retryAfterSeconds', 'message'] as const;

/** Largest output the simulator agrees to plan for one choice, to keep a typo from exhausting memory. */
export const MAX_RESPONSE_TOKENS = 1_000_000;

/**
 * Validates untrusted rules (from options or `POST /_sim/rules`) and returns frozen copies.
 *
 * @throws {ConfigurationError} naming the dotted path of the first bad value.
 */
export function parseRules(input: unknown, path = 'rules'): readonly SimulationRule[] {
  if (!Array.isArray(input)) throw new ConfigurationError(path, 'must be an array of rules');
  return Object.freeze(input.map((rule, index) => parseRule(rule, `${path}[${index}]`)));
}

function parseRule(input: unknown, path: string): SimulationRule {
  const record = expectRecord(input, path);
  rejectUnknownKeys(record, RULE_KEYS, path);
  const fault = record.fault === undefined ? undefined : parseFault(record.fault, `${path}.fault`);
  const rule: SimulationRule = {
    provider: readString(record, 'provider', path),
    model: readString(record, 'model', path),
    times: readInteger(record, 'times', path, { minimum: 1 }),
    latencyMs: readNonNegativeNumber(record, 'latencyMs', path),
    tokensPerSecond: readNonNegativeNumber(record, 'tokensPerSecond', path),
    responseTokens: readInteger(record, 'responseTokens', path, { minimum: 1, maximum: MAX_RESPONSE_TOKENS }),
    cachedInputTokens: readInteger(record, 'cachedInputTokens', path, { minimum: 0 }),
    cacheWriteInputTokens: readInteger(record, 'cacheWriteInputTokens', path, { minimum: 0 }),
    fault,
    dropAfterTokens: readInteger(record, 'dropAfterTokens', path, { minimum: 0 }),
    hang: readBoolean(record, 'hang', path),
    redirectTo: readUrl(record, 'redirectTo', path),
    setCookie: readBoolean(record, 'setCookie', path),
    omitUsage: readBoolean(record, 'omitUsage', path),
    ignoreMaxTokens: readBoolean(record, 'ignoreMaxTokens', path),
  };
  // Drop absent keys so rules echo back (GET /_sim/rules) exactly as they were given.
  const present = Object.entries(rule).filter(([, value]) => value !== undefined);
  return Object.freeze(Object.fromEntries(present)) as SimulationRule;
}

function readUrl(record: Record<string, unknown>, key: string, path: string): string | undefined {
  const value = readString(record, key, path);
  if (value !== undefined && !URL.canParse(value)) {
    throw new ConfigurationError(`${path}.${key}`, 'must be an absolute URL');
  }
  return value;
}

function parseFault(input: unknown, path: string): SimulatedFault {
  const record = expectRecord(input, path);
  rejectUnknownKeys(record, FAULT_KEYS, path);
  const status = record.status;
  if (!FAULT_STATUSES.includes(status as FaultStatus)) {
    throw new ConfigurationError(`${path}.status`, `must be one of ${FAULT_STATUSES.join(', ')}`);
  }
  const retryAfterSeconds = readInteger(record, 'retryAfterSeconds', path, { minimum: 0 });
  const message = readString(record, 'message', path);
  return Object.freeze({
    status: status as FaultStatus,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    ...(message === undefined ? {} : { message }),
  });
}
