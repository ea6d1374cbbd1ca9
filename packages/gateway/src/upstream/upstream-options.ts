import type { LookupFunction } from 'node:net';
import type { Dispatcher } from 'undici';
import { z } from 'zod';

const milliseconds = z.number().int().positive();

/**
 * Every option of {@link createUpstream}, with its default. Validated once when the upstream is
 * created; a bad option fails with its name in the message.
 */
export const upstreamOptionsSchema = z.object({
  /** Time allowed to open a TCP (and TLS) connection to a provider. */
  connectTimeoutMs: milliseconds.default(10_000),
  /**
   * Time allowed between sending a request and receiving the whole response head. A JSON answer's
   * head arrives only once the model has finished writing, so this is as long as the OpenAI SDK's
   * own request timeout.
   */
  headersTimeoutMs: milliseconds.default(600_000),
  /** Longest silence allowed between two pieces of a response body (a stalled stream). */
  bodyTimeoutMs: milliseconds.default(300_000),
  /**
   * Longest a whole call may take, head and body. Reservations expire some margin after this
   * ([MTR-26]), so a call must never outlive it, however slowly a provider drips bytes.
   */
  callTimeoutMs: milliseconds.default(600_000),
  /** Connections kept per provider origin; each streaming call holds one for its duration. */
  connectionsPerOrigin: z.number().int().positive().default(256),
  /** Largest JSON response body read into memory (base64 embeddings of big batches are large). */
  maxResponseBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /**
   * The HTTP dispatcher to send through, instead of the pooled `Agent` the upstream creates.
   * Its owner closes it; `connectTimeoutMs` and `connectionsPerOrigin` then do not apply.
   */
  dispatcher: z.custom<Dispatcher>(isDispatcher, 'must be an undici Dispatcher').optional(),
  /**
   * The resolver behind the connect-time address check (spec SEC-8 rule 4): `dns.lookup` by
   * default. Tests pass a stand-in that maps names to addresses without real DNS. Not used with
   * an injected `dispatcher`, whose connections are its owner's to check.
   */
  lookup: z
    .custom<LookupFunction>((value) => typeof value === 'function', 'must be a dns.lookup-like function')
    .optional(),
});

/** Options of {@link createUpstream} as given; every one is optional. */
export type UpstreamOptions = z.input<typeof upstreamOptionsSchema>;

/** Options with their defaults applied. */
export type ResolvedUpstreamOptions = Readonly<z.output<typeof upstreamOptionsSchema>>;

/**
 * Validates options and applies defaults.
 *
 * @throws {TypeError} naming every bad option.
 */
export function resolveUpstreamOptions(options: UpstreamOptions = {}): ResolvedUpstreamOptions {
  const parsed = upstreamOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `options.${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new TypeError(`Invalid upstream options:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(parsed.data);
}

// Duck-typed rather than `instanceof`, so a dispatcher from another copy of undici is accepted.
function isDispatcher(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<'request' | 'dispatch' | 'close', unknown>>;
  return (
    typeof candidate.request === 'function' &&
    typeof candidate.dispatch === 'function' &&
    typeof candidate.close === 'function'
  );
}
